#pragma once
// A small, strict command-line parser for the ares subcommands: `--name value`,
// `--name=value`, boolean `--flag`, and positionals. Unknown flags are input errors.
// CLI11 (Debian's libcli11-dev) does the tokenizing and matching, in args.cpp only.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/common/text.h"  // not needed here; the commands use split_list through it

namespace ares::cli {

class Args {
 public:
  /// `valued`: flags that take a value; `boolean`: flags that do not. Names without "--".
  /// Throws InputError (one line, naming `command`) for an unknown flag, a boolean given a
  /// value or a valued flag without one.
  Args(std::string command, const std::vector<std::string>& argv, std::set<std::string> valued,
       std::set<std::string> boolean);

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
  long long get_int(const std::string& name, long long def) const;
  double get_double(const std::string& name, double def) const;
  double parse_double(const std::string& text, const std::string& what) const;
  const std::vector<std::string>& positional() const { return positional_; }

  /// ", did you mean --NAME?" for the known flag nearest to `name` (at most two edits).
  static std::string closest(const std::string& name, const std::set<std::string>& valued,
                             const std::set<std::string>& boolean);
  const std::string& command() const { return command_; }

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_;
  std::vector<std::string> positional_;
};

}  // namespace ares::cli
