// ares::cli::Args on CLI11 (Debian's libcli11-dev, header-only; this is the one file that
// includes it). CLI11 splits `--name=value`, matches the declared flags and hands back
// everything else in order; this file turns that, and CLI11's errors, into Args and
// one-line ares::InputError messages.
#include "args.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>
#include <utility>

namespace ares::cli {
namespace {

// What counts as a flag on the line: "--" and at least one more character. Anything else
// ("-", "--", "-x", "-1.5") is a positional unless a valued flag takes it as its value.
bool is_flag(const std::string& arg) { return arg.size() > 2 && arg.compare(0, 2, "--") == 0; }

// "--name=value" -> "name".
std::string flag_name(const std::string& arg) {
  const std::string name = arg.substr(2);
  return name.substr(0, name.find('='));
}

// CLI11 reads `--name=` as `--name` and would take the next argument as the value; before
// CLI11, `--name=` meant the empty value. So an argument that ends in '=' goes to CLI11 with
// this character appended, and it is taken off again from whatever comes back.
constexpr char kEmptyValue = '\x1f';  // ASCII unit separator

std::string hide_empty_value(std::string arg) {
  if (!arg.empty() && arg.back() == '=') arg += kEmptyValue;
  return arg;
}
std::string unhide_empty_value(std::string s) {
  // "x=\x1f" from a positional or a value "--a=\x1f"; "\x1f" alone from the value of `--a=`.
  const size_t n = s.size();
  if (n >= 1 && s[n - 1] == kEmptyValue && (n == 1 || s[n - 2] == '=')) s.pop_back();
  return s;
}

}  // namespace

Args::Args(std::string command, const std::vector<std::string>& argv, std::set<std::string> valued,
           std::set<std::string> boolean)
    : command_(std::move(command)) {
  const auto unknown = [&](const std::string& arg) {
    const std::string name = flag_name(arg);
    return InputError(command_ + ": unknown flag --" + name + closest(name, valued, boolean) +
                      " (see 'ares " + command_ + " --help')");
  };
  // CLI11 makes everything after a "--" positional; here "--" is a positional like any other
  // and flags after it are still flags. So: one CLI11 parse per stretch of the line between
  // "--" markers, each stretch being what CLI11 left over after the previous marker.
  std::vector<std::string> line;
  line.reserve(argv.size());
  for (const auto& arg : argv) line.push_back(hide_empty_value(arg));
  for (;;) {
    CLI::App app;
    app.set_help_flag();  // no CLI11 --help: the commands declare their own and print it
    app.allow_extras();   // positionals and unknown flags come back in order (remaining())
    std::vector<std::pair<std::string, CLI::Option*>> options, flags;
    for (const auto& name : valued) {
      if (boolean.count(name)) continue;  // a name in both sets is a boolean
      // One value per occurrence, whatever it looks like ("--bers -1"); every occurrence kept.
      options.emplace_back(name, app.add_option("--" + name)
                                     ->expected(1)
                                     ->allow_extra_args(false)
                                     ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll));
    }
    for (const auto& name : boolean) {
      // CLI11 accepts `--flag=value` for a flag; its result is the value ("true" without
      // one). Checked at each occurrence, so that the first error on the line is the one
      // reported.
      flags.emplace_back(name, app.add_flag("--" + name)
                                   ->trigger_on_parse()
                                   ->each([this, name](const std::string& value) {
                                     ARES_CHECK(value == "true", command_, ": flag --", name,
                                                " takes no value");
                                   }));
    }
    std::vector<std::string> reversed(line.rbegin(), line.rend());  // CLI11 parses from the back
    try {
      app.parse(reversed);
    } catch (...) {
      // An unknown flag before the failing argument comes first, as it does on the line.
      for (const auto& arg : app.remaining()) {
        if (is_flag(arg)) throw unknown(arg);
      }
      try {
        throw;
      } catch (const CLI::ArgumentMismatch& e) {
        // The only mismatch left with one value per occurrence: the line ran out before a
        // valued flag got its value, so that flag is the last argument.
        const std::string name = is_flag(line.back()) ? flag_name(line.back()) : "";
        ARES_CHECK(!valued.count(name), command_, ": flag --", name, " needs a value");
        throw InputError(command_ + ": " + e.what());
      } catch (const CLI::ParseError& e) {
        throw InputError(command_ + ": " + e.what());
      }
    }
    for (const auto& [name, option] : options) {
      for (const auto& value : option->results()) {
        all_[name].push_back(unhide_empty_value(value));
        values_[name] = all_[name].back();
      }
    }
    for (const auto& [name, option] : flags) {
      if (option->count() > 0) values_[name] = "1";
    }
    // Positionals, unknown flags and, once, the "--" marker followed by the rest of the line.
    const std::vector<std::string> left = app.remaining();
    auto it = left.begin();
    for (; it != left.end() && *it != "--"; ++it) {
      if (is_flag(*it)) throw unknown(*it);
      positional_.push_back(unhide_empty_value(*it));
    }
    if (it == left.end()) break;
    positional_.push_back("--");
    line.assign(it + 1, left.end());
  }
}

long long Args::get_int(const std::string& name, long long def) const {
  auto v = get(name);
  if (!v) return def;
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(v->c_str(), &end, 10);
  ARES_CHECK(errno == 0 && end && *end == '\0' && !v->empty(), command_, ": --", name,
             " expects an integer, got '", *v, "'");
  return x;
}

double Args::get_double(const std::string& name, double def) const {
  auto v = get(name);
  if (!v) return def;
  return parse_double(*v, "--" + name);
}

double Args::parse_double(const std::string& text, const std::string& what) const {
  errno = 0;
  char* end = nullptr;
  double x = std::strtod(text.c_str(), &end);
  ARES_CHECK(errno == 0 && end && *end == '\0' && !text.empty(), command_, ": ", what,
             " expects a number, got '", text, "'");
  return x;
}

std::string Args::closest(const std::string& name, const std::set<std::string>& valued,
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

}  // namespace ares::cli
