#pragma once
/// Errors shared by every Ares module.
///
/// `InputError` is bad input from a user (a file, a flag, a spec); the CLI turns it into one
/// line on stderr and exit code 2. `StateError` is broken state (an invariant that failed);
/// the CLI exits 1. Both derive from `ares::Error`.

#include <sstream>
#include <stdexcept>
#include <string>

namespace ares {

/// Base of every exception Ares throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input: a file, a flag, a config value. The message says what, where, expected, got.
class InputError : public Error {
 public:
  using Error::Error;
};

/// Broken internal state: a violated invariant. Never caused by user input alone.
class StateError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace ares

/// Validates user input; always on. Throws ares::InputError with the concatenated message.
#define ARES_CHECK(cond, ...)                                                   \
  do {                                                                          \
    if (!(cond)) throw ::ares::InputError(::ares::detail::concat(__VA_ARGS__)); \
  } while (0)

/// Guards an internal invariant; always on. Throws ares::StateError naming the location.
#define ARES_ASSERT(cond, ...)                                                      \
  do {                                                                              \
    if (!(cond))                                                                    \
      throw ::ares::StateError(::ares::detail::concat(                              \
          __FILE__, ":", __LINE__, ": internal error: " #cond " ", ##__VA_ARGS__)); \
  } while (0)
