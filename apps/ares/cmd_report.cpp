#include "ares/common/error.h"
#include "commands.h"

namespace ares::cli {

int cmd_report(const std::vector<std::string>&) {
  throw InputError("ares report: not implemented yet");
}

}  // namespace ares::cli
