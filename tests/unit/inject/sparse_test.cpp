#include "ares/inject/sparse.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../same_bits.h"
#include "ares/fault/fault_model.h"
#include "ares/fault/protection.h"
#include "ares/fault/rng.h"
#include "ares/format/format.h"

namespace ares::inject {
namespace {

using ares::testing::same_bits;
using fault::FaultModel;
using fault::Rng;
using fault::Semantics;
using fault::stream_key;
using format::Format;

// Three tensors seen as one index space; the middle one is a transposed (non-contiguous) view.
std::vector<torch::Tensor> make_tensors(const torch::Device& device) {
  torch::manual_seed(11);
  auto a = torch::randn({37, 5}) * 3;
  auto b = (torch::randn({40, 30}) * 2).t();  // non-contiguous
  auto c = torch::randn({1000});
  c[3] = std::numeric_limits<float>::infinity();
  c[4] = std::numeric_limits<float>::quiet_NaN();
  return {a.to(device), b.to(device), c.to(device)};
}

// The dense reference: every value encoded, fault::sample_faults, its changes written.
std::vector<torch::Tensor> dense_reference(uint64_t key, const Format& fmt, uint32_t mask,
                                           double rate, Semantics sem, const FaultModel& model) {
  auto ts = make_tensors(torch::kCPU);
  std::vector<uint32_t> codes;
  std::vector<float*> where;
  std::vector<torch::Tensor> dense;
  for (auto& t : ts) {
    dense.push_back(t.contiguous());
    float* p = dense.back().data_ptr<float>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      codes.push_back(fmt.encode(p[i]));
      where.push_back(p + i);
    }
  }
  Rng rng(key);
  for (const auto& ch : fault::sample_faults(rng, codes.data(), codes.size(), fmt, mask, rate, sem,
                                             model, nullptr)) {
    *where[ch.index] = fmt.decode(ch.code);
  }
  for (size_t k = 0; k < ts.size(); ++k) ts[k].copy_(dense[k]);
  return ts;
}

// faults_at on tensors of `device` equals the dense reference bit for bit, for every model,
// format and semantics; the hit values are the only ones that may change.
void expect_sparse_equals_dense(const torch::Device& device) {
  const std::vector<std::pair<const char*, double>> models = {
      {"flip", 1e-2}, {"stuck0", 1e-2},  {"stuck1", 1e-2},       {"signflip", 3e-2},
      {"zero", 3e-2}, {"uniform", 3e-2}, {"gaussian:0.5", 3e-2},
  };
  int changed_runs = 0;
  for (const char* f : {"q2.6-2c", "q4.4-sm", "fp16", "bf16", "fp32"}) {
    const Format fmt = Format::parse(f);
    for (const char* p : {"none", "sign"}) {
      const uint32_t mask = fault::Protection::parse(p).faultable_mask(fmt);
      for (const auto& [m, rate] : models) {
        for (auto sem : {Semantics::kBernoulli, Semantics::kExact}) {
          SCOPED_TRACE(std::string(f) + " " + p + " " + m + " " + to_string(sem));
          const auto model = FaultModel::parse(m);
          const uint64_t key = stream_key(3, {uint64_t(changed_runs)});
          const auto expect = dense_reference(key, fmt, mask, rate, sem, model);
          auto got = make_tensors(device);
          const auto clean = make_tensors(torch::kCPU);
          uint64_t n = 0;
          for (const auto& t : got) n += uint64_t(t.numel());
          Rng rng(key);
          const auto hits = fault::sample_hits(rng, n, mask, rate, sem, model, nullptr);
          ASSERT_FALSE(hits.empty());
          const auto count = faults_at(rng, hits, got, fmt, mask, model);
          EXPECT_LE(count.changed, hits.size());
          uint64_t differ = 0;
          for (size_t k = 0; k < got.size(); ++k) {
            EXPECT_EQ(got[k].device(), device);
            EXPECT_TRUE(same_bits(got[k], expect[k])) << "tensor " << k;
            differ += uint64_t((got[k].cpu().view(torch::kInt32) != clean[k].view(torch::kInt32))
                                   .sum()
                                   .item<int64_t>());
          }
          // A changed code may decode to the value the float already had (a value that was
          // already exact in the format), so differ <= changed.
          EXPECT_LE(differ, count.changed);
          changed_runs += count.changed > 0;
        }
      }
    }
  }
  EXPECT_GT(changed_runs, 100);
}

TEST(SparseFaultsTest, EqualDenseEncodingOnEveryModelAndFormat) {
  expect_sparse_equals_dense(torch::Device(torch::kCPU));
}

TEST(SparseFaultsCuda, EqualDenseEncodingOnEveryModelAndFormat) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_sparse_equals_dense(torch::Device(torch::kCUDA));
}

TEST(SparseFaultsTest, GatherAndPutTouchOnlyTheListedValues) {
  auto t = torch::arange(0, 100, torch::kFloat32).reshape({10, 10});
  EXPECT_EQ(gather_values(t, {0, 17, 99}), (std::vector<float>{0, 17, 99}));
  EXPECT_TRUE(gather_values(t, {}).empty());
  put_values(t, {5, 42}, {-1.5f, 7.25f});
  auto expect = torch::arange(0, 100, torch::kFloat32);
  expect[5] = -1.5f;
  expect[42] = 7.25f;
  EXPECT_TRUE(same_bits(t.view({-1}), expect));
  // A parameter that requires gradients is written outside autograd.
  auto w = torch::zeros({4}, torch::requires_grad());
  put_values(w, {2}, {3.0f});
  EXPECT_EQ(w[2].item<float>(), 3.0f);
  EXPECT_FALSE(w.grad_fn());
}

}  // namespace
}  // namespace ares::inject
