#pragma once
// The unit tests' check for bad input: `f()` throws ares::InputError, one line, whose message
// holds every one of `parts` (the file, the flag, the value it names).

#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <vector>

#include "ares/common/error.h"

namespace ares::testing {

template <typename F>
void expect_input_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected ares::InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << msg << "\nlacks: " << p;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected ares::InputError, got another exception: " << e.what();
  }
}

}  // namespace ares::testing
