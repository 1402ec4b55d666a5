#include "ares/common/error.h"
#include "commands.h"

namespace ares::cli {

int cmd_study(const std::vector<std::string>&) {
  throw InputError("ares study: not implemented yet");
}

}  // namespace ares::cli
