#include <cstdio>

#include "ares/models/registry.h"
#include "args.h"
#include "commands.h"

namespace ares::cli {

int cmd_models(const std::vector<std::string>& argv) {
  Args args("models", argv, {}, {"help", "json"});
  if (args.has("help")) {
    std::puts("usage: ares models [--json]\n\nLists the model zoo with parameter counts.");
    return 0;
  }
  bool json = args.has("json");
  if (json) std::puts("[");
  const auto& zoo = models::zoo();
  if (!json) std::printf("%-12s %12s %7s  %s\n", "model", "parameters", "stages", "description");
  for (size_t i = 0; i < zoo.size(); ++i) {
    auto m = zoo[i].make();
    if (json) {
      std::printf(
          "  {\"name\": \"%s\", \"parameters\": %lld, \"stages\": %zu, \"dataset\": \"%s\"}%s\n",
          zoo[i].name.c_str(), (long long)m->parameter_count(), m->num_stages(),
          zoo[i].dataset.c_str(), i + 1 < zoo.size() ? "," : "");
    } else {
      std::printf("%-12s %12lld %7zu  %s\n", zoo[i].name.c_str(), (long long)m->parameter_count(),
                  m->num_stages(), zoo[i].description.c_str());
    }
  }
  if (json) std::puts("]");
  return 0;
}

}  // namespace ares::cli
