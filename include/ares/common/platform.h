#pragma once
/// Where a result was computed: the CPU, its vector units, the BLAS and the kernel it runs.
///
/// Debian's OpenBLAS 0.3.21 picks its kernels from a table of the CPUs it knew in 2022. On a
/// newer CPU it falls back to old ones: on an Intel Xeon of family 6 model 207 it runs its SSE3
/// "Prescott" kernels, a GEMM 4x slower than its AVX-512 "SkylakeX" kernels on the same CPU.
/// OpenBLAS reads `OPENBLAS_CORETYPE` once, when it loads (before `main`), so the CLI calls
/// `select_blas_kernel` first thing: where OpenBLAS runs below what the CPU and the operating
/// system support, it sets the variable and re-executes itself once. A user's own
/// `OPENBLAS_CORETYPE` is kept as it is.
///
/// Torch-free: CPUID, and OpenBLAS looked up with dlsym (a BLAS without these symbols, such as
/// MKL, is reported as it is and left alone).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ares::platform {

/// What CPUID (and XGETBV, for what the operating system saves) says about this CPU.
struct CpuFeatures {
  std::string vendor;  ///< "GenuineIntel", "AuthenticAMD", ...
  std::string brand;   ///< the brand string, e.g. "AMD EPYC 9R14 96-Core Processor"
  int family = 0;      ///< display family (base + extended)
  int model = 0;       ///< display model (base + extended)
  bool sse3 = false, ssse3 = false, sse41 = false, sse42 = false;
  bool avx = false, avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false, avx512cd = false;
  bool avx512_bf16 = false;
  bool os_ymm = false;  ///< the OS saves the AVX (ymm) state
  bool os_zmm = false;  ///< the OS saves the AVX-512 (zmm, opmask) state

  /// AVX2 and FMA usable (CPU and OS).
  bool has_avx2_fma() const { return avx2 && fma && avx && os_ymm; }
  /// AVX-512 F, BW, DQ, VL and CD usable (what OpenBLAS's SkylakeX kernels need), with AVX2.
  bool has_avx512() const {
    return has_avx2_fma() && avx512f && avx512bw && avx512dq && avx512vl && avx512cd && os_zmm;
  }
};

/// This CPU's features (all false off x86-64).
const CpuFeatures& cpu_features();

/// Widest vector ISA usable here: "AVX-512", "AVX2", "AVX", "SSE4.2", "SSE3" or "baseline".
std::string isa_name(const CpuFeatures& f);

/// Level of an OpenBLAS x86-64 kernel name (as `openblas_get_corename` spells it, any case):
/// 3 for the AVX-512 kernels (SkylakeX, Cooperlake, SapphireRapids), 2 for AVX2 (Haswell, Zen,
/// Excavator), 1 for AVX (Sandybridge, Bulldozer, Piledriver, Steamroller), 0 for anything
/// older or unknown (Prescott, Core2, Nehalem, ...).
int openblas_kernel_level(std::string_view kernel);

/// The best OpenBLAS kernel these features can run safely: "SkylakeX" with AVX-512 F, BW, DQ,
/// VL and CD; "Haswell" with AVX2 and FMA; "" (nothing better to offer) otherwise.
std::string best_openblas_kernel(const CpuFeatures& f);

/// What to do about the kernel OpenBLAS chose.
struct KernelDecision {
  bool select = false;  ///< set OPENBLAS_CORETYPE=kernel and re-execute
  std::string kernel;   ///< the kernel to select (when `select`)
  std::string why;      ///< one line for stderr (when `select`), else empty
};

/// The decision rule: keep a kernel the user chose (`user_set`), and any kernel at or above
/// the best one the CPU supports; otherwise select that best one. `current` is the name of the
/// kernel OpenBLAS runs now ("" when the BLAS is not OpenBLAS: keep).
KernelDecision decide_openblas_kernel(const CpuFeatures& f, std::string_view current,
                                      bool user_set);

/// The BLAS this process runs, found with dlsym.
struct BlasInfo {
  std::string library = "unknown";  ///< "OpenBLAS", or "unknown" (MKL, reference BLAS, ...)
  std::string version;              ///< "0.3.21"
  std::string kernel;               ///< "SkylakeX" (OpenBLAS's corename)
  std::string kernel_source;        ///< who chose it (see blas_kernel_source)
  int threads = -1;                 ///< OpenBLAS's thread count, -1 when unknown
};

/// Looks the BLAS up now (its thread count may change during a run).
BlasInfo blas_info();

/// Who chose the BLAS kernel: "OpenBLAS (its own choice)", "Ares (OpenBLAS chose Prescott)",
/// or "the user (OPENBLAS_CORETYPE)".
std::string blas_kernel_source();

/// Call first thing in `main`, before any thread starts. Where OpenBLAS runs below the best
/// kernel the CPU supports and the user has not set `OPENBLAS_CORETYPE`, says so in one line
/// on stderr, sets `OPENBLAS_CORETYPE` (and `ARES_OPENBLAS_CORETYPE_SET_BY=ares`, so that Ares
/// processes started from this one know the value is Ares's), and re-executes this program
/// with the same arguments, at most once. A value that Ares set is Ares's to revise: with
/// `ARES_OPENBLAS_CORETYPE_SET_BY=ares`, the rule runs again. Returns only when nothing is to
/// be done or re-executing failed (then with a warning on stderr).
void select_blas_kernel(char** argv);

/// Ordered (key, value) pairs describing where a result is computed; see `describe`.
using Record = std::vector<std::pair<std::string, std::string>>;

/// The torch-free part of the record: cpu, cpu_isa, cores, blas, blas_kernel,
/// blas_kernel_source, blas_threads.
Record describe_cpu_and_blas(int cores);

}  // namespace ares::platform
