#include "ares/common/error.h"
#include "commands.h"

namespace ares::cli {

int cmd_quantize(const std::vector<std::string>&) {
  throw InputError("ares quantize: not implemented yet");
}

}  // namespace ares::cli
