#include "ares/data/load.h"

#include <filesystem>
#include <system_error>

#include "ares/data/cifar.h"

namespace ares::data {
namespace fs = std::filesystem;

Split load_dataset(const std::string& name_or_dir, bool test_only) {
  if (name_or_dir == "cifar10" || name_or_dir == "cifar-10") {
    return load_cifar10(name_or_dir, test_only);
  }
  std::error_code ec;
  if (fs::is_directory(name_or_dir, ec)) {
    return is_cifar10_dir(name_or_dir) ? load_cifar10(name_or_dir, test_only)
                                       : load_mnist_like(name_or_dir, test_only);
  }
  // A bare name resolves to the first existing search directory, as in load_mnist_like;
  // that one's contents decide the reader, so a CIFAR-10 copy may be stored under any name.
  if (name_or_dir.find('/') == std::string::npos) {
    for (const auto& d : search_dirs(name_or_dir)) {
      if (!fs::is_directory(d, ec)) continue;
      if (is_cifar10_dir(d)) return load_cifar10(name_or_dir, test_only);
      break;
    }
  }
  return load_mnist_like(name_or_dir, test_only);
}

}  // namespace ares::data
