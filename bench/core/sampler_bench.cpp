// Cost of sampling fault plans: it must follow the number of flips, not the number of bits.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>

#include "ares/fault/binomial.h"
#include "ares/fault/rng.h"
#include "ares/fault/sampler.h"

namespace {

using ares::fault::Rng;
using ares::fault::Semantics;

// 1e8 stored bits: 12.5 million 8-bit values, all faultable.
constexpr uint64_t kValues = 12500000;
constexpr uint32_t kMask = 0xFF;

// One plan per iteration, each from its own stream (like the trials of a campaign).
// Argument: the BER's decimal exponent (-9 means BER 1e-9).
void BM_SampleFlips(benchmark::State& state) {
  const double ber = std::pow(10.0, static_cast<double>(state.range(0)));
  uint64_t trial = 0;
  uint64_t flips = 0;
  for (auto _ : state) {
    Rng rng(ares::fault::stream_key(1, {trial++}));
    auto plan = ares::fault::sample_flips(rng, kValues, kMask, ber, Semantics::kBernoulli);
    flips += plan.size();
    benchmark::DoNotOptimize(plan.data());
  }
  state.counters["ber"] = ber;
  state.counters["bits"] = static_cast<double>(kValues) * 8;
  state.counters["flips_per_plan"] =
      benchmark::Counter(static_cast<double>(flips), benchmark::Counter::kAvgIterations);
  state.counters["flips_per_s"] =
      benchmark::Counter(static_cast<double>(flips), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SampleFlips)->DenseRange(-9, -3)->Unit(benchmark::kMicrosecond);

// The same for exact-count plans (no binomial draw).
void BM_SampleFlipsExact(benchmark::State& state) {
  const double ber = std::pow(10.0, static_cast<double>(state.range(0)));
  uint64_t trial = 0;
  uint64_t flips = 0;
  for (auto _ : state) {
    Rng rng(ares::fault::stream_key(1, {trial++}));
    auto plan = ares::fault::sample_flips(rng, kValues, kMask, ber, Semantics::kExact);
    flips += plan.size();
    benchmark::DoNotOptimize(plan.data());
  }
  state.counters["flips_per_plan"] =
      benchmark::Counter(static_cast<double>(flips), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_SampleFlipsExact)->DenseRange(-9, -3, 2)->Unit(benchmark::kMicrosecond);

// The binomial count alone. Arguments: log10(n), then the exponent of p (-9 means 1e-9);
// small means take inversion, means >= 10 take BTRS.
void BM_SampleBinomial(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(std::llround(std::pow(10.0, state.range(0))));
  const double p = std::pow(10.0, static_cast<double>(state.range(1)));
  Rng rng(ares::fault::stream_key(2, {}));
  uint64_t sum = 0;
  for (auto _ : state) sum += ares::fault::sample_binomial(rng, n, p);
  benchmark::DoNotOptimize(sum);
  state.counters["mean"] = static_cast<double>(n) * p;
  state.counters["words_per_draw"] =
      benchmark::Counter(static_cast<double>(rng.position()), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_SampleBinomial)
    ->Args({8, -9})
    ->Args({8, -7})
    ->Args({8, -5})
    ->Args({8, -3})
    ->Args({12, -12})
    ->Args({12, -6})
    ->Args({12, -1});

}  // namespace
