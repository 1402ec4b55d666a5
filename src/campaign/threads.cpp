#include "ares/campaign/threads.h"

#include <dlfcn.h>
#include <sched.h>
#include <torch/torch.h>

#include <algorithm>

namespace ares::campaign {

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

int set_compute_threads(int torch_threads, int blas_threads) {
  torch::set_num_threads(std::max(1, torch_threads));
  using SetFn = void (*)(int);
  auto fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!fn) return -1;
  fn(std::max(1, blas_threads));
  return std::max(1, blas_threads);
}

}  // namespace ares::campaign
