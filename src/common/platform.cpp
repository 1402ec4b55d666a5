#include "ares/common/platform.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define ARES_X86 1
#endif

namespace ares::platform {
namespace {

#ifdef ARES_X86
uint64_t xgetbv0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#ifdef ARES_X86
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
  const unsigned max_leaf = a;
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  f.vendor = vendor;
  __get_cpuid(1, &a, &b, &c, &d);
  const int base_family = int((a >> 8) & 0xf), base_model = int((a >> 4) & 0xf);
  f.family = base_family == 0xf ? base_family + int((a >> 20) & 0xff) : base_family;
  f.model = (base_family == 6 || base_family == 0xf) ? (int((a >> 16) & 0xf) << 4) + base_model
                                                     : base_model;
  f.sse3 = c & (1u << 0);
  f.ssse3 = c & (1u << 9);
  f.fma = c & (1u << 12);
  f.sse41 = c & (1u << 19);
  f.sse42 = c & (1u << 20);
  f.avx = c & (1u << 28);
  const bool osxsave = c & (1u << 27);
  if (osxsave) {
    const uint64_t xcr0 = xgetbv0();
    f.os_ymm = (xcr0 & 0x6) == 0x6;    // SSE and AVX state
    f.os_zmm = (xcr0 & 0xe6) == 0xe6;  // and opmask, ZMM_Hi256, Hi16_ZMM
  }
  if (max_leaf >= 7) {
    __get_cpuid_count(7, 0, &a, &b, &c, &d);
    const unsigned leaf7_max_sub = a;
    f.avx2 = b & (1u << 5);
    f.avx512f = b & (1u << 16);
    f.avx512dq = b & (1u << 17);
    f.avx512cd = b & (1u << 28);
    f.avx512bw = b & (1u << 30);
    f.avx512vl = b & (1u << 31);
    if (leaf7_max_sub >= 1) {
      __get_cpuid_count(7, 1, &a, &b, &c, &d);
      f.avx512_bf16 = a & (1u << 5);
    }
  }
  if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000004) {
    char brand[49] = {};
    for (size_t leaf = 0; leaf < 3; ++leaf) {
      __get_cpuid(0x80000002 + unsigned(leaf), &a, &b, &c, &d);
      std::memcpy(brand + 16 * leaf, &a, 4);
      std::memcpy(brand + 16 * leaf + 4, &b, 4);
      std::memcpy(brand + 16 * leaf + 8, &c, 4);
      std::memcpy(brand + 16 * leaf + 12, &d, 4);
    }
    std::string s = brand;
    auto first = s.find_first_not_of(' ');
    auto last = s.find_last_not_of(' ');
    f.brand = first == std::string::npos ? "" : s.substr(first, last - first + 1);
  }
#endif
  return f;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

template <typename Fn>
Fn blas_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

std::string openblas_corename() {
  auto fn = blas_symbol<char* (*)()>("openblas_get_corename");
  const char* name = fn ? fn() : nullptr;
  return name ? name : "";
}

// Under MPI every rank runs this; only the first one speaks.
bool first_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"}) {
    if (const char* r = env(v)) return std::strcmp(r, "0") == 0;
  }
  return true;
}

constexpr const char* kSetBy = "ARES_OPENBLAS_CORETYPE_SET_BY";
constexpr const char* kChose = "ARES_OPENBLAS_CHOSE";

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

std::string isa_name(const CpuFeatures& f) {
  if (f.has_avx512()) return "AVX-512";
  if (f.has_avx2_fma()) return "AVX2";
  if (f.avx && f.os_ymm) return "AVX";
  if (f.sse42) return "SSE4.2";
  if (f.sse3) return "SSE3";
  return "baseline";
}

int openblas_kernel_level(std::string_view kernel) {
  const std::string k = lower(kernel);
  for (const char* n : {"skylakex", "cooperlake", "sapphirerapids"}) {
    if (k == n) return 3;
  }
  for (const char* n : {"haswell", "zen", "excavator"}) {
    if (k == n) return 2;
  }
  for (const char* n : {"sandybridge", "bulldozer", "piledriver", "steamroller"}) {
    if (k == n) return 1;
  }
  return 0;
}

std::string best_openblas_kernel(const CpuFeatures& f) {
  if (f.has_avx512()) return "SkylakeX";
  if (f.has_avx2_fma()) return "Haswell";
  return "";
}

KernelDecision decide_openblas_kernel(const CpuFeatures& f, std::string_view current,
                                      bool user_set) {
  KernelDecision d;
  const std::string best = best_openblas_kernel(f);
  if (user_set || current.empty() || best.empty()) return d;
  if (openblas_kernel_level(current) >= openblas_kernel_level(best)) return d;
  d.select = true;
  d.kernel = best;
  d.why = "OpenBLAS runs its " + std::string(current) + " kernels, below what this CPU supports (" +
          isa_name(f) + "): selecting " + best + " (set OPENBLAS_CORETYPE to choose yourself)";
  return d;
}

std::string blas_kernel_source() {
  const char* set = env("OPENBLAS_CORETYPE");
  const char* by = env(kSetBy);
  if (set && by && std::strcmp(by, "ares") == 0) {
    const char* chose = env(kChose);
    return std::string("Ares (OpenBLAS chose ") + (chose ? chose : "another") + ")";
  }
  if (set) return "the user (OPENBLAS_CORETYPE)";
  return "OpenBLAS (its own choice)";
}

BlasInfo blas_info() {
  BlasInfo info;
  auto config = blas_symbol<char* (*)()>("openblas_get_config");
  if (!config) return info;
  info.library = "OpenBLAS";
  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"
  const char* text = config();
  std::string cfg = text ? text : "";
  if (cfg.rfind("OpenBLAS ", 0) == 0) {
    info.version = cfg.substr(9, cfg.find(' ', 9) - 9);
  }
  info.kernel = openblas_corename();
  info.kernel_source = blas_kernel_source();
  if (auto threads = blas_symbol<int (*)()>("openblas_get_num_threads")) info.threads = threads();
  return info;
}

void select_blas_kernel(char** argv) {
  const char* set = env("OPENBLAS_CORETYPE");
  const char* by = env(kSetBy);
  const bool ares_set = set && by && std::strcmp(by, "ares") == 0;
  const std::string current = openblas_corename();
  const KernelDecision d = decide_openblas_kernel(cpu_features(), current, set && !ares_set);
  if (!d.select) return;
  // Ares set this very value and OpenBLAS still runs something else: do not loop.
  if (set && lower(set) == lower(d.kernel)) {
    if (first_rank()) {
      std::fprintf(stderr, "ares: warning: OpenBLAS ignored OPENBLAS_CORETYPE=%s and runs %s\n",
                   set, current.c_str());
    }
    return;
  }
  if (first_rank()) std::fprintf(stderr, "ares: %s\n", d.why.c_str());
  std::fflush(stderr);
  setenv("OPENBLAS_CORETYPE", d.kernel.c_str(), 1);
  setenv(kSetBy, "ares", 1);
  setenv(kChose, current.c_str(), 1);
  execv("/proc/self/exe", argv);
  // Still here: exec failed. Carry on with the kernel OpenBLAS chose.
  std::fprintf(stderr, "ares: warning: could not re-execute to select %s (%s); running %s\n",
               d.kernel.c_str(), std::strerror(errno), current.c_str());
}

Record describe_cpu_and_blas(int cores) {
  const CpuFeatures& f = cpu_features();
  const BlasInfo b = blas_info();
  Record r;
  std::string cpu = f.brand.empty() ? "unknown CPU" : f.brand;
  if (!f.vendor.empty()) {
    cpu += " (" + f.vendor + ", family " + std::to_string(f.family) + " model " +
           std::to_string(f.model) + ")";
  }
  r.emplace_back("cpu", cpu);
  r.emplace_back("cpu_isa", isa_name(f));
  r.emplace_back("cores", std::to_string(cores));
  r.emplace_back("blas", b.version.empty() ? b.library : b.library + " " + b.version);
  if (!b.kernel.empty()) {
    r.emplace_back("blas_kernel", b.kernel);
    r.emplace_back("blas_kernel_source", b.kernel_source);
  }
  if (b.threads >= 0) r.emplace_back("blas_threads", std::to_string(b.threads));
  return r;
}

}  // namespace ares::platform
