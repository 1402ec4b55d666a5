#pragma once
/// Owning the thread counts: LibTorch's intra-op pool, OpenBLAS's own threads, and ours; and
/// the record of where a result is computed.
///
/// The rule, on any core count N (`available_cores`): a campaign runs N workers (or
/// `--threads`), each trial single-threaded in LibTorch and OpenBLAS, so that results do not
/// depend on the thread count and the BLAS pool does not fight the workers; the clean pass
/// over the evaluation set is split into batches over the same workers. Training and
/// evaluation run one pass at a time: LibTorch (its OpenMP pool, which also runs oneDNN's
/// convolutions) gets the threads and OpenBLAS one, since OpenBLAS's own spinning threads and
/// LibTorch's crowd each other out on small matrix multiplies (docs/campaign.md has the
/// figures).

#include <map>
#include <string>

#include "ares/common/platform.h"

namespace ares::campaign {

/// Number of cores this process may use (sched_getaffinity), at least 1.
int available_cores();

/// Sets LibTorch's intra-op threads and, where the BLAS is OpenBLAS, its thread count
/// (looked up with dlsym: pip LibTorch uses MKL and lacks the symbol). Returns the OpenBLAS
/// count set, or -1 when OpenBLAS is not present.
int set_compute_threads(int torch_threads, int blas_threads);

/// LibTorch's CPU kernel level ("AVX2", "AVX512", "DEFAULT", ...), as its build
/// configuration reports it ("CPU capability usage").
std::string torch_cpu_capability();

/// Where a result is computed: the CPU and its ISA, the core count, the BLAS with its version,
/// kernel and who chose it, LibTorch's version and CPU capability, and the thread counts now
/// set (LibTorch intra-op, OpenBLAS) with `workers`, the trial workers of a campaign (0 when
/// there are none). Written into summary.json, the result store, checkpoints, `ares bench` and
/// the report; printed by `ares version`.
platform::Record describe_platform(int workers);

/// Adds `record` to checkpoint-style metadata as "platform.KEY" entries.
void add_platform(std::map<std::string, std::string>& meta, const platform::Record& record);

/// `record` as one JSON object, keys in order (values are JSON strings).
std::string platform_json(const platform::Record& record);

}  // namespace ares::campaign
