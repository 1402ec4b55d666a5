#include "ares/campaign/threads.h"

#include <ATen/Version.h>
#include <dlfcn.h>
#include <sched.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>

#include "ares/common/files.h"

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

std::string torch_cpu_capability() {
  // at::native::get_cpu_capability is not exported by every build; the configuration text
  // is, and names the level the dispatcher chose: "  - CPU capability usage: AVX2".
  static const std::string level = [] {
    const std::string cfg = at::show_config();
    const std::string key = "CPU capability usage: ";
    auto p = cfg.find(key);
    if (p == std::string::npos) return std::string("unknown");
    p += key.size();
    return cfg.substr(p, cfg.find('\n', p) - p);
  }();
  return level;
}

platform::Record describe_platform(int workers) {
  platform::Record r = platform::describe_cpu_and_blas(available_cores());
  r.emplace_back("libtorch", TORCH_VERSION);
  r.emplace_back("libtorch_cpu_capability", torch_cpu_capability());
  r.emplace_back("libtorch_threads", std::to_string(torch::get_num_threads()));
  if (workers > 0) r.emplace_back("worker_threads", std::to_string(workers));
  return r;
}

void add_platform(std::map<std::string, std::string>& meta, const platform::Record& record) {
  for (const auto& [k, v] : record) meta["platform." + k] = v;
}

std::string platform_json(const platform::Record& record) {
  std::string out = "{";
  for (size_t i = 0; i < record.size(); ++i) {
    out += (i ? ", " : "") + json_string(record[i].first) + ": " + json_string(record[i].second);
  }
  return out + "}";
}

}  // namespace ares::campaign
