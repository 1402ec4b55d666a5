#include "ares/inject/weight_faults.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../same_bits.h"
#include "ares/common/error.h"
#include "ares/fault/rng.h"
#include "ares/fault/sampler.h"
#include "ares/format/format.h"
#include "ares/format/scaled.h"
#include "ares/models/registry.h"

namespace ares::inject {
namespace {

using fault::Flip;
using format::Format;

constexpr uint64_t kSeeds[] = {1, 2, 3, 4, 5};
const char* const kFormats[] = {"q2.6-2c", "q2.6-sm", "q4.4-2c", "q1.7-sm", "fp16", "bf16", "fp32"};

uint32_t bits_of(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

// Name -> a contiguous copy of every parameter of `m`.
std::map<std::string, torch::Tensor> snapshot(models::StagedModel& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

using ares::testing::same_bits;

void expect_unchanged(models::StagedModel& m, const std::map<std::string, torch::Tensor>& before) {
  for (const auto& p : m.named_parameters()) {
    EXPECT_TRUE(same_bits(p.value(), before.at(p.key()))) << p.key() << " changed";
  }
}

std::shared_ptr<models::StagedModel> seeded(const std::string& name, uint64_t seed) {
  torch::manual_seed(seed);
  auto m = models::create(name);
  m->eval();
  return m;
}

TEST(WeightTargetsTest, QuantizesExactlyLikeFormat) {
  for (const char* spec : kFormats) {
    SCOPED_TRACE(spec);
    const Format fmt = Format::parse(spec);
    auto m = seeded("mnist_fc", 1);
    {
      // Values outside every fixed range and exactly on rounding ties.
      torch::NoGradGuard no_grad;
      auto b = m->named_parameters()["fc2.bias"];
      b[0] = 3.7f;
      b[1] = -5.0f;
      b[2] = 1.0f / 128.0f;  // a tie for q2.6
      b[3] = 3.0f / 128.0f;
    }
    const auto before = snapshot(*m);
    WeightTargets t(*m, {"*"}, fmt);
    EXPECT_EQ(t.format(), fmt);
    ASSERT_EQ(t.num_values(), 266610u);
    ASSERT_EQ(t.params().size(), 6u);
    double max_err = 0;
    uint64_t offset = 0;
    auto named = m->named_parameters();
    for (size_t p = 0; p < t.params().size(); ++p) {
      const auto& info = t.params()[p];
      SCOPED_TRACE(info.name);
      EXPECT_EQ(info.offset, offset);
      const torch::Tensor orig = before.at(info.name).contiguous();
      const torch::Tensor now = named[info.name].contiguous();
      ASSERT_EQ(info.size, uint64_t(orig.numel()));
      EXPECT_EQ(info.shape, orig.sizes().vec());
      const float* o = orig.data_ptr<float>();
      const float* q = now.data_ptr<float>();
      for (uint64_t i = 0; i < info.size; ++i) {
        ASSERT_EQ(t.code(offset + i), fmt.encode(o[i])) << "value " << i;
        ASSERT_EQ(bits_of(q[i]), bits_of(fmt.quantize(o[i]))) << "value " << i;
        ASSERT_EQ(t.param_of(offset + i), p);
        max_err = std::max(max_err, double(std::fabs(o[i] - q[i])));
      }
      offset += info.size;
    }
    EXPECT_EQ(t.max_quantization_error(), max_err);
    if (fmt.kind() == format::Kind::kFloat32) {
      EXPECT_EQ(max_err, 0.0);
    }
  }
}

TEST(WeightTargetsTest, GlobsSelectParameters) {
  struct Case {
    std::vector<std::string> globs;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {{"*"},
       {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
        "fc2.weight", "fc2.bias"}},
      {{"fc1.*"}, {"fc1.weight", "fc1.bias"}},
      {{"*.bias"}, {"conv1.bias", "conv2.bias", "fc1.bias", "fc2.bias"}},
      {{"conv*.weight"}, {"conv1.weight", "conv2.weight"}},
      // Order follows the model, not the globs; a parameter matched twice appears once.
      {{"fc2.bias", "conv1.weight", "conv1.*"}, {"conv1.weight", "conv1.bias", "fc2.bias"}},
      {{"nothing", "fc?.weight"}, {"fc1.weight", "fc2.weight"}},
  };
  const Format fmt = Format::parse("q2.6-sm");
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.globs));
    auto m = seeded("lenet5", 2);
    const auto before = snapshot(*m);
    WeightTargets t(*m, c.globs, fmt);
    std::vector<std::string> names;
    uint64_t total = 0;
    for (const auto& p : t.params()) {
      names.push_back(p.name);
      EXPECT_EQ(p.stage, m->stage_of(p.name));
      EXPECT_EQ(p.is_bias, p.name.size() > 5 && p.name.substr(p.name.size() - 5) == ".bias");
      EXPECT_EQ(p.offset, total);
      total += p.size;
    }
    EXPECT_EQ(names, c.expected);
    EXPECT_EQ(t.num_values(), total);
    // Only the selected parameters were quantized.
    for (const auto& p : m->named_parameters()) {
      const bool selected = std::find(names.begin(), names.end(), p.key()) != names.end();
      if (!selected) {
        EXPECT_TRUE(same_bits(p.value(), before.at(p.key()))) << p.key();
      }
    }
  }
}

TEST(WeightTargetsTest, NoMatchThrowsListingParameters) {
  auto m = seeded("mnist_fc", 3);
  const auto before = snapshot(*m);
  try {
    WeightTargets t(*m, {"conv*", "*.gamma"}, Format::parse("q2.6-2c"));
    ADD_FAILURE() << "expected ares::InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("conv*"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fc1.weight"), std::string::npos) << msg;
  }
  EXPECT_THROW(WeightTargets(*m, {}, Format::parse("q2.6-2c")), InputError);
  expect_unchanged(*m, before);
}

TEST(WeightTargetsTest, NonFiniteParameterThrows) {
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    auto m = seeded("mnist_fc", 4);
    {
      torch::NoGradGuard no_grad;
      m->named_parameters()["fc3.bias"][2] = bad;
    }
    EXPECT_THROW(WeightTargets(*m, {"*"}, Format::parse("fp16")), InputError);
    // Not targeted: fine.
    EXPECT_NO_THROW(WeightTargets(*m, {"fc1.*", "fc2.*"}, Format::parse("fp16")));
  }
}

// Checks one applied plan against the model: every planned value holds decode(code ^ mask),
// every other parameter value is unchanged (compared over whole tensors), and the reported
// changes are exactly the planned values, sorted.
void check_applied(const WeightTargets& t, models::StagedModel& m, const std::vector<Flip>& flips,
                   const std::vector<ValueChange>& changes,
                   const std::map<std::string, torch::Tensor>& clean) {
  std::map<uint64_t, uint32_t> masks;
  for (const auto& f : flips) masks[f.index] |= 1u << f.bit;
  ASSERT_EQ(changes.size(), masks.size());
  size_t k = 0;
  for (const auto& [index, mask] : masks) {
    const ValueChange& c = changes[k++];
    const size_t p = t.param_of(index);
    EXPECT_EQ(c.param, p);
    EXPECT_EQ(c.offset, index - t.params()[p].offset);
    EXPECT_EQ(bits_of(c.clean), bits_of(t.format().decode(t.code(index))));
    EXPECT_EQ(bits_of(c.faulty), bits_of(t.format().decode(t.code(index) ^ mask)));
  }
  auto named = m.named_parameters();
  for (size_t p = 0; p < t.params().size(); ++p) {
    const auto& info = t.params()[p];
    torch::Tensor expected = clean.at(info.name).clone().contiguous();
    float* e = expected.data_ptr<float>();
    for (auto it = masks.lower_bound(info.offset);
         it != masks.end() && it->first < info.offset + info.size; ++it) {
      e[it->first - info.offset] = t.format().decode(t.code(it->first) ^ it->second);
    }
    EXPECT_TRUE(same_bits(named[info.name], expected)) << info.name;
  }
  // Parameters outside the target are untouched.
  for (const auto& p : named) {
    bool target = false;
    for (const auto& info : t.params()) target = target || info.name == p.key();
    if (!target) {
      EXPECT_TRUE(same_bits(p.value(), clean.at(p.key()))) << p.key();
    }
  }
}

TEST(WeightInjectorTest, ApplyWritesExactlyThePlanAndRestoreUndoesIt) {
  struct Case {
    const char* model;
    std::vector<std::string> globs;
  };
  const std::vector<Case> cases = {
      {"mnist_fc", {"*"}}, {"lenet5", {"conv2.*", "fc2.*"}}, {"mnist_fc", {"fc2.weight", "fc3.*"}}};
  for (const auto& c : cases) {
    for (const char* spec : {"q2.6-2c", "q2.6-sm", "fp16"}) {
      const Format fmt = Format::parse(spec);
      auto m = seeded(c.model, 5);
      auto t = std::make_shared<const WeightTargets>(*m, c.globs, fmt);
      const auto clean = snapshot(*m);
      WeightInjector inj(t, *m);
      EXPECT_EQ(inj.first_stage(), m->num_stages());
      for (uint64_t seed : kSeeds) {
        for (double ber : {1e-5, 1e-3, 3e-2}) {
          SCOPED_TRACE(::testing::Message()
                       << c.model << " " << spec << " seed " << seed << " ber " << ber);
          fault::Rng rng(fault::stream_key(seed, {uint64_t(ber * 1e6)}));
          const auto flips = fault::sample_flips(rng, t->num_values(), fmt.code_mask(), ber,
                                                 fault::Semantics::kBernoulli);
          const auto& changes = inj.apply(flips);
          check_applied(*t, *m, flips, changes, clean);
          EXPECT_EQ(&changes, &inj.changes());
          size_t first = m->num_stages();
          for (const auto& f : flips)
            first = std::min(first, t->params()[t->param_of(f.index)].stage);
          EXPECT_EQ(inj.first_stage(), first);
          inj.restore();
          EXPECT_TRUE(inj.changes().empty());
          EXPECT_EQ(inj.first_stage(), m->num_stages());
          expect_unchanged(*m, clean);
        }
      }
    }
  }
}

// Scaled formats: the targets store what format/scaled.h gives each parameter (groups along
// dim 0), and a plan over data and metadata words writes, for every value, the value of its
// (faulty or clean) code in its (faulty or clean) group; a flipped shared scale rewrites
// exactly its group (an MX block of 32, an output channel) and nothing else.
TEST(WeightInjectorTest, ScaledFormatsRewriteExactlyTheGroupsOfChangedMetadata) {
  for (const char* spec : {"int8", "int8-ch", "int4-ch-asym-s16", "mxfp8-e4m3", "mxfp4"}) {
    SCOPED_TRACE(spec);
    const Format fmt = Format::parse(spec);
    auto m = seeded("lenet5", 9);
    const auto before = snapshot(*m);
    auto t = std::make_shared<const WeightTargets>(*m, std::vector<std::string>{"*"}, fmt);
    const auto clean = snapshot(*m);
    // The stored values are scaled.h's, parameter by parameter.
    for (const auto& p : t->params()) {
      const torch::Tensor x = before.at(p.name).contiguous();
      const uint64_t dim0 = p.shape.size() >= 2 ? uint64_t(p.shape[0]) : 1;
      const auto layout = format::group_layout(fmt, p.size, dim0);
      ASSERT_EQ(layout.groups(), p.layout.groups());
      std::vector<uint32_t> codes(p.size), scales(layout.groups()), zeros(layout.groups());
      format::quantize_scaled(fmt, layout, x.data_ptr<float>(), codes.data(), scales.data(),
                              zeros.data());
      const float* w = clean.at(p.name).data_ptr<float>();
      for (uint64_t i = 0; i < p.size; ++i) {
        const uint64_t g = layout.group_of(i);
        ASSERT_EQ(t->code(p.offset + i), codes[i]);
        ASSERT_EQ(bits_of(w[i]),
                  bits_of(format::scaled_value(fmt, codes[i],
                                               format::group_scale(fmt, scales[g], zeros[g]))));
      }
    }
    WeightInjector inj(t, *m);
    const uint64_t n = t->num_values(), groups = t->num_groups();
    const Format sf = fmt.scale_format();
    for (uint64_t seed : kSeeds) {
      // A few data flips, one scale flip (the exponent's top bit: a large change) and, with
      // zero points, one zero-point flip, at indices drawn from the seed.
      fault::Rng rng(seed);
      std::vector<fault::CodeChange> plan;
      for (int k = 0; k < 20; ++k) {
        const uint64_t i = rng.uniform(n);
        plan.push_back({i, t->code(i) ^ (1u << rng.uniform(uint64_t(fmt.width())))});
      }
      std::sort(plan.begin(), plan.end(), [](auto& a, auto& b) { return a.index < b.index; });
      plan.erase(std::unique(plan.begin(), plan.end(),
                             [](auto& a, auto& b) { return a.index == b.index; }),
                 plan.end());
      const uint64_t g = rng.uniform(groups);
      plan.push_back({n + g, t->scale_codes()[g] ^ (1u << (sf.width() - 2))});
      const uint64_t gz = rng.uniform(groups);
      if (fmt.scaling().zero_point) plan.push_back({n + groups + gz, t->zero_codes()[gz] ^ 1u});
      // What every value must read now, from the definition.
      std::map<uint64_t, uint32_t> data;
      for (const auto& c : plan) {
        if (c.index < n) data[c.index] = c.code;
      }
      const auto& changes = inj.apply_codes(plan);
      EXPECT_TRUE(std::is_sorted(changes.begin(), changes.end(), [&](auto& a, auto& b) {
        return t->params()[a.param].offset + a.offset < t->params()[b.param].offset + b.offset;
      }));
      std::set<uint64_t> rewritten;
      for (const auto& c : changes) rewritten.insert(t->params()[c.param].offset + c.offset);
      for (const auto& p : t->params()) {
        const float* w = m->named_parameters()[p.name].data_ptr<float>();
        const float* cw = clean.at(p.name).data_ptr<float>();
        for (uint64_t i = 0; i < p.size; ++i) {
          const uint64_t index = p.offset + i, group = t->group_of(index);
          const uint32_t scale = group == g
                                     ? plan[plan.size() - (fmt.scaling().zero_point ? 2 : 1)].code
                                     : t->scale_codes()[group];
          const uint32_t zero = fmt.scaling().zero_point && group == gz ? (t->zero_codes()[gz] ^ 1u)
                                                                        : t->zero_codes()[group];
          const uint32_t code = data.count(index) ? data[index] : t->code(index);
          const float want = format::scaled_value(fmt, code, format::group_scale(fmt, scale, zero));
          ASSERT_EQ(bits_of(w[i]), bits_of(want)) << p.name << " " << i;
          // Rewritten: exactly the changed data values and the values of changed groups.
          const bool expect =
              data.count(index) || group == g || (fmt.scaling().zero_point && group == gz);
          ASSERT_EQ(rewritten.count(index) == 1, expect) << p.name << " " << i;
          if (!expect) {
            ASSERT_EQ(bits_of(w[i]), bits_of(cw[i]));
          }
        }
      }
      if (fmt.scaling().granularity == format::Granularity::kBlock) {
        const auto& p = t->params()[t->param_of_group(g)];
        const uint64_t local = g - p.group_offset;
        EXPECT_LE(p.layout.end(local) - p.layout.begin(local), 32u);
      }
      inj.restore();
      expect_unchanged(*m, clean);
    }
  }
}

TEST(WeightInjectorTest, FirstStageIsTheLowestTouchedStage) {
  auto m = seeded("lenet5", 6);
  auto t = std::make_shared<const WeightTargets>(*m, std::vector<std::string>{"*"},
                                                 Format::parse("q2.6-2c"));
  WeightInjector inj(t, *m);
  const auto& params = t->params();
  for (size_t p = 0; p < params.size(); ++p) {
    SCOPED_TRACE(params[p].name);
    // The last value of parameter p, plus the first value of the last parameter.
    std::vector<Flip> flips = {{params[p].offset + params[p].size - 1, 3}};
    if (p + 1 < params.size()) flips.push_back({params.back().offset, 0});
    inj.apply(flips);
    EXPECT_EQ(inj.first_stage(), params[p].stage);
    inj.restore();
  }
  inj.apply({});
  EXPECT_EQ(inj.first_stage(), m->num_stages());
  EXPECT_TRUE(inj.changes().empty());
  inj.restore();
}

TEST(WeightInjectorTest, FlipsOnOneValueCombineIntoOneMask) {
  for (const char* spec : {"q2.6-2c", "q2.6-sm", "fp16"}) {
    SCOPED_TRACE(spec);
    const Format fmt = Format::parse(spec);
    auto m = seeded("mnist_fc", 7);
    auto t = std::make_shared<const WeightTargets>(*m, std::vector<std::string>{"*"}, fmt);
    const auto clean = snapshot(*m);
    WeightInjector inj(t, *m);
    const uint64_t v = 123456, w = t->num_values() - 1;
    const std::vector<Flip> flips = {{5, 1}, {v, 0}, {v, 3}, {v, 7}, {w, 2}, {w, 6}};
    const auto& ch = inj.apply(flips);
    ASSERT_EQ(ch.size(), 3u);
    EXPECT_EQ(bits_of(ch[0].faulty), bits_of(fmt.decode(t->code(5) ^ 0x2u)));
    EXPECT_EQ(bits_of(ch[1].faulty), bits_of(fmt.decode(t->code(v) ^ 0x89u)));
    EXPECT_EQ(bits_of(ch[2].faulty), bits_of(fmt.decode(t->code(w) ^ 0x44u)));
    EXPECT_EQ(ch[2].param, t->params().size() - 1);
    EXPECT_EQ(ch[2].offset, t->params().back().size - 1);
    check_applied(*t, *m, flips, ch, clean);
    inj.restore();
    expect_unchanged(*m, clean);
  }
}

TEST(WeightInjectorTest, Fp16FlipsMayCreateInfAndNaNAndRestoreAnyway) {
  const Format fmt = Format::fp16();
  auto m = seeded("mnist_fc", 8);
  auto t = std::make_shared<const WeightTargets>(*m, std::vector<std::string>{"*"}, fmt);
  const auto clean = snapshot(*m);
  WeightInjector inj(t, *m);
  // Flip the bits that turn value 10 into +Inf (0x7C00) and value 20 into a NaN (0x7E00).
  std::vector<Flip> flips;
  for (uint64_t index : {uint64_t(10), uint64_t(20)}) {
    const uint32_t target = index == 10 ? 0x7C00u : 0x7E00u;
    const uint32_t mask = t->code(index) ^ target;
    for (uint32_t b = 0; b < 16; ++b) {
      if (mask & (1u << b)) flips.push_back({index, b});
    }
  }
  const auto& ch = inj.apply(flips);
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_TRUE(std::isinf(ch[0].faulty) && ch[0].faulty > 0);
  EXPECT_TRUE(std::isnan(ch[1].faulty));
  auto w = m->named_parameters()["fc1.weight"].view(-1);
  EXPECT_TRUE(std::isinf(w[10].item<float>()));
  EXPECT_TRUE(std::isnan(w[20].item<float>()));
  inj.restore();
  expect_unchanged(*m, clean);
}

TEST(WeightInjectorTest, WorksOnACloneAndLeavesTheOriginalAlone) {
  const Format fmt = Format::parse("q2.6-sm");
  auto m = seeded("lenet5", 9);
  auto t = std::make_shared<const WeightTargets>(*m, std::vector<std::string>{"*"}, fmt);
  auto copy = m->clone_model();
  const auto clean = snapshot(*m);
  WeightInjector inj(t, *copy);
  fault::Rng rng(fault::stream_key(9, {1}));
  const auto flips =
      fault::sample_flips(rng, t->num_values(), fmt.code_mask(), 1e-3, fault::Semantics::kExact);
  ASSERT_FALSE(flips.empty());
  check_applied(*t, *copy, flips, inj.apply(flips), clean);
  expect_unchanged(*m, clean);
  inj.restore();
  expect_unchanged(*copy, clean);
}

}  // namespace
}  // namespace ares::inject

namespace ares::inject {
namespace {

// Device writes (one index_put_ per touched parameter, as on a GPU) give bit for bit what
// host writes give, for plans over every parameter of lenet5, and restore to the clean bits.
// On the CPU here; WeightInjectorCuda repeats it on a GPU where there is one.
void expect_device_writes_equal_host_writes(const torch::Device& device) {
  for (const char* fmt : {"q2.6-2c", "fp16"}) {
    SCOPED_TRACE(fmt);
    auto host = seeded("lenet5", 7);
    auto targets = std::make_shared<const WeightTargets>(*host, std::vector<std::string>{"*"},
                                                         Format::parse(fmt));
    auto dev = host->clone_model();
    dev->to(device);
    const auto clean = snapshot(*host);
    WeightInjector a(targets, *host, WeightInjector::Writes::kHost);
    WeightInjector b(targets, *dev, WeightInjector::Writes::kDevice);
    for (uint64_t seed : kSeeds) {
      fault::Rng ra(fault::stream_key(seed, {9})), rb(fault::stream_key(seed, {9}));
      const uint32_t mask = Format::parse(fmt).code_mask();
      auto fa =
          fault::sample_flips(ra, targets->num_values(), mask, 1e-3, fault::Semantics::kBernoulli);
      auto fb =
          fault::sample_flips(rb, targets->num_values(), mask, 1e-3, fault::Semantics::kBernoulli);
      ASSERT_FALSE(fa.empty());
      a.apply(fa);
      b.apply(fb);
      for (const auto& p : host->named_parameters()) {
        auto other = dev->named_parameters()[p.key()].detach().cpu();
        EXPECT_TRUE(same_bits(p.value(), other)) << p.key() << " seed " << seed;
      }
      EXPECT_EQ(a.first_stage(), b.first_stage());
      a.restore();
      b.restore();
      for (const auto& p : dev->named_parameters()) {
        EXPECT_TRUE(same_bits(p.value().detach().cpu(), clean.at(p.key())))
            << p.key() << " not restored";
      }
    }
  }
}

TEST(WeightInjectorTest, DeviceWritesEqualHostWrites) {
  expect_device_writes_equal_host_writes(torch::Device(torch::kCPU));
}

TEST(WeightInjectorCuda, DeviceWritesEqualHostWrites) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_device_writes_equal_host_writes(torch::Device(torch::kCUDA));
}

}  // namespace
}  // namespace ares::inject
