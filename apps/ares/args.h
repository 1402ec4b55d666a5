#pragma once
// A small, strict command-line parser for the ares subcommands: `--name value`,
// `--name=value`, boolean `--flag`, and positionals. Unknown flags are input errors.

#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/common/text.h"

namespace ares::cli {

class Args {
 public:
  /// `valued`: flags that take a value; `boolean`: flags that do not. Names without "--".
  Args(std::string command, const std::vector<std::string>& argv, std::set<std::string> valued,
       std::set<std::string> boolean)
      : command_(std::move(command)) {
    for (size_t i = 0; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
        std::string name = a.substr(2);
        std::optional<std::string> value;
        if (auto eq = name.find('='); eq != std::string::npos) {
          value = name.substr(eq + 1);
          name = name.substr(0, eq);
        }
        if (boolean.count(name)) {
          ARES_CHECK(!value, command_, ": flag --", name, " takes no value");
          values_[name] = "1";
        } else if (valued.count(name)) {
          if (!value) {
            ARES_CHECK(i + 1 < argv.size(), command_, ": flag --", name, " needs a value");
            value = argv[++i];
          }
          values_[name] = *value;
          all_[name].push_back(*value);
        } else {
          throw InputError(command_ + ": unknown flag --" + name + closest(name, valued, boolean) +
                           " (see 'ares " + command_ + " --help')");
        }
      } else {
        positional_.push_back(a);
      }
    }
  }

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  /// Every value of a repeatable flag, in order (get() returns the last).
  std::vector<std::string> get_all(const std::string& name) const {
    auto it = all_.find(name);
    return it == all_.end() ? std::vector<std::string>{} : it->second;
  }
  std::string get_or(const std::string& name, const std::string& def) const {
    return get(name).value_or(def);
  }
  long long get_int(const std::string& name, long long def) const {
    auto v = get(name);
    if (!v) return def;
    errno = 0;
    char* end = nullptr;
    long long x = std::strtoll(v->c_str(), &end, 10);
    ARES_CHECK(errno == 0 && end && *end == '\0' && !v->empty(), command_, ": --", name,
               " expects an integer, got '", *v, "'");
    return x;
  }
  double get_double(const std::string& name, double def) const {
    auto v = get(name);
    if (!v) return def;
    return parse_double(*v, "--" + name);
  }
  double parse_double(const std::string& text, const std::string& what) const {
    errno = 0;
    char* end = nullptr;
    double x = std::strtod(text.c_str(), &end);
    ARES_CHECK(errno == 0 && end && *end == '\0' && !text.empty(), command_, ": ", what,
               " expects a number, got '", text, "'");
    return x;
  }
  const std::vector<std::string>& positional() const { return positional_; }

  /// ", did you mean --NAME?" for the known flag nearest to `name` (at most two edits).
  static std::string closest(const std::string& name, const std::set<std::string>& valued,
                             const std::set<std::string>& boolean) {
    std::string best;
    size_t best_d = 3;
    for (const auto* flags : {&valued, &boolean}) {
      for (const auto& f : *flags) {
        const size_t d = edit_distance(name, f);
        if (d < best_d) best_d = d, best = f;
      }
    }
    return best.empty() ? "" : ", did you mean --" + best + "?";
  }
  const std::string& command() const { return command_; }

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_;
  std::vector<std::string> positional_;
};

}  // namespace ares::cli
