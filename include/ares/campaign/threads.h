#pragma once
/// Owning the thread counts: LibTorch's intra-op pool, OpenBLAS's own threads, and ours.

namespace ares::campaign {

/// Number of cores this process may use (sched_getaffinity), at least 1.
int available_cores();

/// Sets LibTorch's intra-op threads and, where the BLAS is OpenBLAS, its thread count
/// (looked up with dlsym: pip LibTorch uses MKL and lacks the symbol). Returns the OpenBLAS
/// count set, or -1 when OpenBLAS is not present.
int set_compute_threads(int torch_threads, int blas_threads);

}  // namespace ares::campaign
