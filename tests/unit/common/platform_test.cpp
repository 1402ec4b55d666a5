// The CPUID-to-kernel rule: feature sets in, OpenBLAS kernel out, never one the CPU lacks.
#include "ares/common/platform.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ares::platform {
namespace {

CpuFeatures sse3_only() {
  CpuFeatures f;
  f.sse3 = f.ssse3 = f.sse41 = f.sse42 = true;
  return f;
}
CpuFeatures avx_only() {
  CpuFeatures f = sse3_only();
  f.avx = f.os_ymm = true;
  return f;
}
CpuFeatures avx2_fma() {
  CpuFeatures f = avx_only();
  f.avx2 = f.fma = true;
  return f;
}
CpuFeatures avx512() {
  CpuFeatures f = avx2_fma();
  f.avx512f = f.avx512bw = f.avx512dq = f.avx512vl = f.avx512cd = f.os_zmm = true;
  return f;
}

TEST(Platform, KernelLevels) {
  EXPECT_EQ(openblas_kernel_level("SkylakeX"), 3);
  EXPECT_EQ(openblas_kernel_level("COOPERLAKE"), 3);
  EXPECT_EQ(openblas_kernel_level("SapphireRapids"), 3);
  EXPECT_EQ(openblas_kernel_level("Haswell"), 2);
  EXPECT_EQ(openblas_kernel_level("Zen"), 2);
  EXPECT_EQ(openblas_kernel_level("Sandybridge"), 1);
  EXPECT_EQ(openblas_kernel_level("Prescott"), 0);
  EXPECT_EQ(openblas_kernel_level("Nehalem"), 0);
  EXPECT_EQ(openblas_kernel_level("NoSuchCore"), 0);
}

TEST(Platform, BestKernelNeverAboveTheCpu) {
  EXPECT_EQ(best_openblas_kernel(CpuFeatures()), "");
  EXPECT_EQ(best_openblas_kernel(sse3_only()), "");
  EXPECT_EQ(best_openblas_kernel(avx_only()), "");
  EXPECT_EQ(best_openblas_kernel(avx2_fma()), "Haswell");
  EXPECT_EQ(best_openblas_kernel(avx512()), "SkylakeX");
  // Each AVX-512 part the SkylakeX kernels need, and the OS's saving of the zmm state: without
  // any one of them, Haswell (AVX2) is the best safe choice.
  for (bool CpuFeatures::*part :
       {&CpuFeatures::avx512f, &CpuFeatures::avx512bw, &CpuFeatures::avx512dq,
        &CpuFeatures::avx512vl, &CpuFeatures::avx512cd, &CpuFeatures::os_zmm}) {
    CpuFeatures f = avx512();
    f.*part = false;
    EXPECT_EQ(best_openblas_kernel(f), "Haswell");
  }
  // AVX2 without FMA, or without the OS saving the ymm state: nothing better to offer.
  CpuFeatures no_fma = avx2_fma();
  no_fma.fma = false;
  EXPECT_EQ(best_openblas_kernel(no_fma), "");
  CpuFeatures no_ymm = avx512();
  no_ymm.os_ymm = false;
  EXPECT_EQ(best_openblas_kernel(no_ymm), "");
}

TEST(Platform, DecisionTable) {
  struct Case {
    const char* name;
    CpuFeatures cpu;
    std::string current;
    bool user_set;
    bool select;
    std::string kernel;
  };
  const std::vector<Case> cases = {
      // The Xeon of family 6 model 207: OpenBLAS 0.3.21 falls back to Prescott.
      {"avx512, Prescott", avx512(), "Prescott", false, true, "SkylakeX"},
      {"avx512, Haswell", avx512(), "Haswell", false, true, "SkylakeX"},
      {"avx512, Zen", avx512(), "Zen", false, true, "SkylakeX"},
      {"avx512, SkylakeX", avx512(), "SkylakeX", false, false, ""},
      {"avx512, Cooperlake", avx512(), "Cooperlake", false, false, ""},
      {"avx2, Prescott", avx2_fma(), "Prescott", false, true, "Haswell"},
      {"avx2, Sandybridge", avx2_fma(), "Sandybridge", false, true, "Haswell"},
      {"avx2, Zen", avx2_fma(), "Zen", false, false, ""},
      // A kernel above what the CPU supports is OpenBLAS's business (it checks), not ours.
      {"avx2, SkylakeX", avx2_fma(), "SkylakeX", false, false, ""},
      {"avx, Prescott", avx_only(), "Prescott", false, false, ""},
      {"sse3, Prescott", sse3_only(), "Prescott", false, false, ""},
      // The user's own OPENBLAS_CORETYPE stands, however slow.
      {"user Prescott on avx512", avx512(), "Prescott", true, false, ""},
      // Not OpenBLAS (MKL, the reference BLAS): nothing to select.
      {"no OpenBLAS", avx512(), "", false, false, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto d = decide_openblas_kernel(c.cpu, c.current, c.user_set);
    EXPECT_EQ(d.select, c.select);
    EXPECT_EQ(d.kernel, c.kernel);
    EXPECT_EQ(d.why.empty(), !c.select);
    if (d.select) {
      // Never a kernel above the CPU's level, always above the current one.
      EXPECT_LE(openblas_kernel_level(d.kernel),
                openblas_kernel_level(best_openblas_kernel(c.cpu)));
      EXPECT_GT(openblas_kernel_level(d.kernel), openblas_kernel_level(c.current));
      EXPECT_NE(d.why.find(c.current), std::string::npos) << d.why;
    }
  }
}

TEST(Platform, IsaNames) {
  EXPECT_EQ(isa_name(avx512()), "AVX-512");
  EXPECT_EQ(isa_name(avx2_fma()), "AVX2");
  EXPECT_EQ(isa_name(avx_only()), "AVX");
  EXPECT_EQ(isa_name(sse3_only()), "SSE4.2");
  EXPECT_EQ(isa_name(CpuFeatures()), "baseline");
}

// This machine's CPUID agrees with the kernel levels: whatever it reports, the chosen kernel
// is one its features allow.
TEST(Platform, ThisCpu) {
  const CpuFeatures& f = cpu_features();
#if defined(__x86_64__)
  EXPECT_FALSE(f.vendor.empty());
  EXPECT_TRUE(f.sse3);  // every x86-64 CPU Ares builds for
#endif
  std::string best = best_openblas_kernel(f);
  if (f.has_avx512()) {
    EXPECT_EQ(best, "SkylakeX");
  }
  if (!f.has_avx2_fma()) {
    EXPECT_EQ(best, "");
  }
  auto rec = describe_cpu_and_blas(2);
  ASSERT_GE(rec.size(), 4u);
  EXPECT_EQ(rec[0].first, "cpu");
  EXPECT_EQ(rec[1].first, "cpu_isa");
  EXPECT_EQ(rec[1].second, isa_name(f));
}

}  // namespace
}  // namespace ares::platform
