#include "ares/data/load.h"

#include <filesystem>
#include <string_view>
#include <system_error>

#include "ares/common/text.h"
#include "ares/data/audio.h"
#include "ares/data/cifar.h"
#include "ares/data/image_folder.h"
#include "ares/data/sequence.h"
#include "ares/data/tensor_file.h"

namespace ares::data {
namespace fs = std::filesystem;

Split load_dataset(const std::string& name_or_dir, bool test_only) {
  if (name_or_dir == "cifar10" || name_or_dir == "cifar-10") {
    return load_cifar10(name_or_dir, test_only);
  }
  if (name_or_dir == kSpokenDigits) return load_spoken_digits(test_only);
  if (is_tensor_file(name_or_dir)) return load_tensor_file(name_or_dir, test_only);
  std::error_code ec;
  if (fs::is_directory(name_or_dir, ec)) {
    if (is_audio_split_dir(name_or_dir)) return load_audio_split(name_or_dir, test_only);
    if (!is_cifar10_dir(name_or_dir) && is_image_folder(name_or_dir)) {
      return load_image_folder_split(name_or_dir, test_only);
    }
    return is_cifar10_dir(name_or_dir) ? load_cifar10(name_or_dir, test_only)
                                       : load_mnist_like(name_or_dir, test_only);
  }
  // A bare name resolves to the first existing search directory, as in load_mnist_like;
  // that one's contents decide the reader, so a CIFAR-10 copy may be stored under any name.
  if (name_or_dir.find('/') == std::string::npos) {
    if (has_suffix(name_or_dir, kSequenceSuffix)) {
      const size_t stem = name_or_dir.size() - std::string_view(kSequenceSuffix).size();
      return load_row_sequential(name_or_dir.substr(0, stem), test_only, name_or_dir);
    }
    for (const auto& d : search_dirs(name_or_dir)) {
      if (!fs::is_directory(d, ec)) continue;
      if (is_audio_split_dir(d)) return load_audio_split(d, test_only, name_or_dir);
      if (is_cifar10_dir(d)) return load_cifar10(name_or_dir, test_only);
      if (is_image_folder(d)) return load_image_folder_split(d, test_only, name_or_dir);
      break;
    }
  }
  return load_mnist_like(name_or_dir, test_only);
}

}  // namespace ares::data
