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

}  // namespace

Args::Args(std::string command, const std::vector<std::string>& argv, std::set<std::string> valued,
           std::set<std::string> boolean)
    : command_(std::move(command)) {
  const auto unknown = [&](const std::string& arg) {
    const std::string name = flag_name(arg);
    return InputError(command_ + ": unknown flag --" + name + closest(name, valued, boolean) +
                      " (see 'ares " + command_ + " --help')");
  };
  // CLI11 would read `--name=` as `--name` and take the next argument as the value.
  for (size_t i = 0; i < argv.size() && argv[i] != "--"; ++i) {
    if (!is_flag(argv[i])) continue;
    const std::string name = flag_name(argv[i]);
    if (!valued.count(name) || boolean.count(name)) continue;
    const size_t eq = argv[i].find('=');
    if (eq == std::string::npos) {
      ++i;  // its value, whatever it looks like
    } else if (eq + 1 == argv[i].size()) {
      throw InputError(command_ + ": flag --" + name + " needs a value");
    }
  }
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
    // CLI11 accepts `--flag=value` for a flag; its result is the value ("true" without one).
    // Checked at each occurrence, so that the first error on the line is the one reported.
    flags.emplace_back(
        name,
        app.add_flag("--" + name)->trigger_on_parse()->each([this, name](const std::string& value) {
          ARES_CHECK(value == "true", command_, ": flag --", name, " takes no value");
        }));
  }
  std::vector<std::string> reversed(argv.rbegin(), argv.rend());  // CLI11 parses from the back
  try {
    app.parse(reversed);
  } catch (...) {
    // An unknown flag before the failing argument comes first, as it does on the line.
    for (const auto& arg : app.remaining()) {
      if (arg == "--") break;
      if (is_flag(arg)) throw unknown(arg);
    }
    try {
      throw;
    } catch (const CLI::ArgumentMismatch& e) {
      // The only mismatch left with one value per occurrence: the line ran out before a
      // valued flag got its value, so that flag is the last argument.
      const std::string name = is_flag(argv.back()) ? flag_name(argv.back()) : "";
      ARES_CHECK(!valued.count(name), command_, ": flag --", name, " needs a value");
      throw InputError(command_ + ": " + e.what());
    } catch (const CLI::ParseError& e) {
      throw InputError(command_ + ": " + e.what());
    }
  }
  for (const auto& [name, option] : options) {
    for (const auto& value : option->results()) {
      all_[name].push_back(value);
      values_[name] = value;
    }
  }
  for (const auto& [name, option] : flags) {
    if (option->count() > 0) values_[name] = "1";
  }
  // Positionals and unknown flags, in order; after "--" (the usual end of the flags) every
  // argument is a positional.
  bool after_marker = false;
  for (const auto& arg : app.remaining()) {
    if (!after_marker && arg == "--") {
      after_marker = true;
      continue;
    }
    if (!after_marker && is_flag(arg)) throw unknown(arg);
    positional_.push_back(arg);
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
