#pragma once
// One function per subcommand; each parses its own flags and returns the exit code.
// They throw ares::InputError for bad input; main() turns that into one line and exit 2.

#include <string>
#include <vector>

namespace ares::cli {
int cmd_formats(const std::vector<std::string>& argv);
int cmd_models(const std::vector<std::string>& argv);
int cmd_plan(const std::vector<std::string>& argv);
int cmd_train(const std::vector<std::string>& argv);
int cmd_campaign(const std::vector<std::string>& argv);
int cmd_bench(const std::vector<std::string>& argv);
int cmd_export(const std::vector<std::string>& argv);
int cmd_merge(const std::vector<std::string>& argv);
int cmd_evaluate(const std::vector<std::string>& argv);
int cmd_report(const std::vector<std::string>& argv);
int cmd_study(const std::vector<std::string>& argv);
int cmd_quantize(const std::vector<std::string>& argv);
int cmd_sites(const std::vector<std::string>& argv);
}  // namespace ares::cli
