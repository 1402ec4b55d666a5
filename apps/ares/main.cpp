// The `ares` command: dispatches to one subcommand per file (cmd_*.cpp).
#include <malloc.h>
#include <torch/version.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/common/platform.h"
#include "ares/common/version.h"
#include "commands.h"
#include "mpi.h"

namespace {

const char* kUsage =
    "usage: ares <command> [options]\n"
    "\n"
    "Measures how deep neural networks tolerate bit flips in their stored numbers.\n"
    "\n"
    "commands:\n"
    "  formats    list number formats, show one, or flip one bit of a value\n"
    "  models     list the model zoo\n"
    "  train      train zoo models and write checkpoints\n"
    "  evaluate   clean error (and predictions) of a checkpoint or TorchScript file\n"
    "  sites      every fault site of a model (--site names), with shapes and value counts\n"
    "  campaign   sweep bit error rates over a model's weights and report tolerances\n"
    "  export     CSV and JSON files from a campaign's result store\n"
    "  merge      join the result stores of a campaign's shards (--shard I/N)\n"
    "  bench      time the campaign engine against reference engines\n"
    "  report     tables, plots and an HTML page from campaign results\n"
    "  study      train N instances, run their campaigns, write the report\n"
    "  quantize   clean error over a grid of formats; recommend the smallest\n"
    "  plan       trials needed: fault sample size, or from a pilot campaign\n"
    "  version    print the Ares version, git revision, LibTorch, CPU, BLAS kernel, threads\n"
    "\n"
    "'ares <command> --help' describes each command's options.\n";

}  // namespace

int run(int argc, char** argv);

int main(int argc, char** argv) {
  // Before anything else (MPI, threads): OpenBLAS must run the best kernels this CPU has.
  ares::platform::select_blas_kernel(argv);
  ares::cli::mpi_start(&argc, &argv);
  int rc = run(argc, argv);
  // Under MPI an error on one rank must stop them all (the others would wait at a barrier).
  if (rc != 0 && ares::cli::mpi_active()) ares::cli::mpi_abort(rc);
  ares::cli::mpi_stop();
  return rc;
}

int run(int argc, char** argv) {
  // Keep freed tensor memory in the heap instead of returning it to the kernel: evaluation
  // allocates the same activation sizes batch after batch, and fresh pages cost more than
  // the arithmetic (LeNet5's clean pass: 5.9 s -> 3.1 s at batch 256, measured here).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // The worker threads allocate from glibc's per-thread arenas (heaps of up to 64 MiB), which
  // give freed pages back to the kernel down to M_TOP_PAD bytes whatever M_TRIM_THRESHOLD
  // says. With a full heap's worth of pad nothing is given back, and a LeNet5 trial on the
  // fast engine takes 0.60 s instead of 1.21 s (half of it was the kernel clearing pages;
  // `ares bench` with 1 thread, measured here; a 16 MiB pad does not help).
  mallopt(M_TOP_PAD, 64 << 20);
  // Past a file-size limit (ulimit -f), let the write fail with EFBIG so that the store and
  // the writers report it as a full disk, instead of the process dying of SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (cmd == "formats") return ares::cli::cmd_formats(rest);
    if (cmd == "models") return ares::cli::cmd_models(rest);
    if (cmd == "train") return ares::cli::cmd_train(rest);
    if (cmd == "campaign") return ares::cli::cmd_campaign(rest);
    if (cmd == "bench") return ares::cli::cmd_bench(rest);
    if (cmd == "export") return ares::cli::cmd_export(rest);
    if (cmd == "merge") return ares::cli::cmd_merge(rest);
    if (cmd == "evaluate") return ares::cli::cmd_evaluate(rest);
    if (cmd == "report") return ares::cli::cmd_report(rest);
    if (cmd == "study") return ares::cli::cmd_study(rest);
    if (cmd == "quantize") return ares::cli::cmd_quantize(rest);
    if (cmd == "plan") return ares::cli::cmd_plan(rest);
    if (cmd == "sites") return ares::cli::cmd_sites(rest);
    if (cmd == "version" || cmd == "--version") {
#ifdef ARES_WITH_MPI
      const char* mpi = "with MPI";
#else
      const char* mpi = "without MPI";
#endif
      std::printf("ares %s (git %s), LibTorch %s, %s\n", ares::version(), ares::git_revision(),
                  TORCH_VERSION, mpi);
      for (const auto& [k, v] : ares::campaign::describe_platform(0)) {
        std::printf("  %-24s %s\n", k.c_str(), v.c_str());
      }
      return 0;
    }
    std::fprintf(stderr, "ares: unknown command '%s' (run 'ares --help')\n", cmd.c_str());
    return 2;
  } catch (const ares::InputError& e) {
    std::fprintf(stderr, "ares: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    // LibTorch's c10::Error messages carry a backtrace: keep the first line only.
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    std::fprintf(stderr, "ares: error: %s\n", msg.c_str());
    return 1;
  }
}
