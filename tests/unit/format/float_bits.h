#pragma once
// The format tests' own view of a float's bits (not the code under test's): the bit pattern of
// a float and back, and the two special values they use.

#include <cstdint>
#include <cstring>
#include <limits>

namespace ares::format::testing {

inline const float kInf = std::numeric_limits<float>::infinity();
inline const float kNaN = std::numeric_limits<float>::quiet_NaN();

inline uint32_t bits_of(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

inline float float_of(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

}  // namespace ares::format::testing
