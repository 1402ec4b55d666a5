// Regression tests for inputs found by fuzzing the IDX reader (fuzz/fuzz_idx.cpp): each is
// the smallest file that reproduced the finding. Bad input must be an ares::InputError.

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/data/dataset.h"

namespace ares::data {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kImagesMagic = 0x00000803;

// An IDX images header (magic 0x00000803, three dimensions) and no data.
std::string write_header(const std::string& name, uint32_t n, uint32_t h, uint32_t w) {
  const fs::path p = fs::path(::testing::TempDir()) /
                     ("ares_idx_regression_" + name + "_" + std::to_string(::getpid()));
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  for (uint32_t v : {kImagesMagic, n, h, w}) {
    const unsigned char b[4] = {static_cast<unsigned char>(v >> 24),
                                static_cast<unsigned char>(v >> 16),
                                static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
    out.write(reinterpret_cast<const char*>(b), 4);
  }
  return p.string();
}

// In a death-test child: limits the address space to what is in use plus 4 GiB, reads `path`
// and exits 0 on an InputError, 1 on any other exception, 2 when it reads without error,
// after removing `path`.
[[noreturn]] void read_under_address_limit(const std::string& path) {
  long pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  const rlim_t limit =
      static_cast<rlim_t>(pages) * static_cast<rlim_t>(::getpagesize()) + (rlim_t{4} << 30);
  const rlimit rl{limit, limit};
  if (::setrlimit(RLIMIT_AS, &rl) != 0) std::_Exit(3);
  int code = 2;
  try {
    read_idx(path, kImagesMagic);
  } catch (const InputError&) {
    code = 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "not an InputError: %s\n", e.what());
    code = 1;
  }
  // A threadsafe death test re-runs the test body in the child, which wrote its own file.
  std::remove(path.c_str());
  std::_Exit(code);
}

// Found by fuzz_idx (UBSan: "signed integer overflow" in read_idx's size product, then
// c10::Error "Storage size calculation overflowed", so `ares` exited 1 instead of 2).
// 131072 * 65536 = 2^33 passes the 2^34 plausibility check, and times 2^31 - 1 overflows
// int64 to a negative total that passes it again.
TEST(IdxRegression, DimensionsWhoseProductOverflowsAreAnInputError) {
  const std::string p = write_header("overflow", 131072, 65536, 2147483647u);
  EXPECT_THROW(read_idx(p, kImagesMagic), InputError);
  // Wraps to +2^33 instead: 196608 * 65536 * 1431655766 = 2^64 + 2^33.
  const std::string q = write_header("overflow_positive", 196608, 65536, 1431655766u);
  EXPECT_THROW(read_idx(q, kImagesMagic), InputError);
  std::remove(p.c_str());
  std::remove(q.c_str());
}

// Found by fuzz_idx (libFuzzer: out-of-memory, malloc of GBs from a 16-byte file): read_idx
// allocates the size the header claims before reading any data. Where that much memory cannot
// be reserved (a smaller machine, ulimit -v, vm.overcommit_memory=2) the allocation throws
// c10::Error and `ares` exits 1, although the file is merely truncated. Reproduced here with
// an address-space limit in a child process: 65535 x 512 x 512 = 17 GB claimed, 0 bytes held.
TEST(IdxRegression, HugeClaimedSizeOfATruncatedFileIsAnInputError) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "an address-space limit breaks AddressSanitizer's shadow memory";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "an address-space limit breaks AddressSanitizer's shadow memory";
#endif
#endif
  const std::string p = write_header("huge", 65535, 512, 512);
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(read_under_address_limit(p), ::testing::ExitedWithCode(0), "");
  std::remove(p.c_str());
}

}  // namespace
}  // namespace ares::data
