#include "ares/inject/param_kind.h"

#include <string>

#include "ares/common/error.h"

namespace ares::inject {

ParamKind parse_param_kind(std::string_view text) {
  if (text == "all") return ParamKind::kAll;
  if (text == "weight") return ParamKind::kWeight;
  if (text == "bias") return ParamKind::kBias;
  throw InputError("parameter kind '" + std::string(text) + "': expected weight, bias or all");
}

const char* to_string(ParamKind kind) {
  switch (kind) {
    case ParamKind::kWeight:
      return "weight";
    case ParamKind::kBias:
      return "bias";
    case ParamKind::kAll:
      break;
  }
  return "all";
}

}  // namespace ares::inject
