#include "ares/train/injection.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../expect_input_error.h"
#include "../same_bits.h"
#include "ares/common/error.h"
#include "ares/models/evaluate.h"
#include "ares/train/train.h"

namespace ares::train {
namespace {

using Op = models::StageOptions::Op;

// 1x2x2 inputs -> fc1 (4 -> 3, ReLU) -> fc2 (3 -> 2): small enough to check by hand.
std::shared_ptr<models::StagedModel> tiny_model(uint64_t seed) {
  torch::manual_seed(seed);
  auto m = std::make_shared<models::StagedModel>("tiny", std::vector<int64_t>{1, 2, 2});
  m->add_stage("fc1", {Op::kLinear, 4, 3, 0, 0, /*flatten=*/true, /*relu=*/true});
  m->add_stage("fc2", {Op::kLinear, 3, 2, 0, 0, false, false});
  return m;
}

data::Split tiny_data(int64_t n) {
  torch::manual_seed(99);
  data::Split s;
  s.train.images = torch::rand({n, 1, 2, 2});
  s.train.labels = (s.train.images.sum({1, 2, 3}) > 2).to(torch::kInt64);
  s.test.images = torch::rand({32, 1, 2, 2});
  s.test.labels = (s.test.images.sum({1, 2, 3}) > 2).to(torch::kInt64);
  s.train.source = s.test.source = "tiny";
  s.train.num_classes = s.test.num_classes = 2;
  return s;
}

std::vector<torch::Tensor> params_of(const models::StagedModel& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

void expect_same_params(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(a[i].sizes(), b[i].sizes());
    EXPECT_TRUE(ares::testing::same_bits(a[i], b[i]));  // bit for bit, not just numerically
  }
}

uint32_t bits_of(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return u;
}

TrainOptions quick(int64_t limit, int64_t batch) {
  return TrainOptions().epochs(1).batch_size(batch).limit(limit).seed(5).progress(false);
}

TEST(InjectionSpecTest, ParsesEverySiteAndOption) {
  auto g = Injection::parse("grad:1e-5");
  EXPECT_EQ(g.site, Injection::Site::kGradient);
  EXPECT_EQ(g.format, format::Format::fp32());
  EXPECT_EQ(g.rate, 1e-5);
  EXPECT_EQ(g.spec(), "grad:fp32:1e-05");

  auto w = Injection::parse("weights:q2.6-2c:1e-5:every=50");
  EXPECT_EQ(w.site, Injection::Site::kWeights);
  EXPECT_EQ(w.format.spec(), "q2.6-2c");
  EXPECT_EQ(w.every, 50);
  EXPECT_EQ(w.spec(), "weights:q2.6-2c:1e-05:every=50");
  EXPECT_EQ(Injection::parse("weights:fp16:0").every, Injection::kDefaultEvery);

  auto a = Injection::parse("act:fc1:q4.4-sm:1e-3:model=stuck1:protect=sign");
  EXPECT_EQ(a.site, Injection::Site::kActivation);
  EXPECT_EQ(a.stage, "fc1");
  EXPECT_EQ(a.model.kind(), fault::FaultModel::Kind::kStuck1);
  EXPECT_EQ(a.protection.spec(), "sign");
  EXPECT_EQ(a.spec(), "act:fc1:q4.4-sm:0.001:model=stuck1:protect=sign");

  // Options whose values hold ':' or ',' keep them.
  auto o = Injection::parse("grad:bf16:0.25:model=gaussian:0.5:protect=bits:0,15:semantics=exact");
  EXPECT_EQ(o.model.kind(), fault::FaultModel::Kind::kGaussian);
  EXPECT_EQ(o.model.sigma(), 0.5);
  EXPECT_EQ(o.protection.spec(), "mask:0x8001");
  EXPECT_EQ(o.semantics, fault::Semantics::kExact);
  EXPECT_EQ(Injection::parse(o.spec()).spec(), o.spec());
  EXPECT_EQ(o.spec(), "grad:bf16:0.25:model=gaussian:0.5:protect=mask:0x8001:semantics=exact");
}

TEST(InjectionSpecTest, BadSpecsAreOneLineInputErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"grad", "expected grad:[FORMAT:]BER"},
      {"", "site '' is not weights, grad or act:STAGE"},
      {"gradient:1e-4", "site 'gradient' is not weights, grad or act:STAGE"},
      {"act:1e-4", "expected act:1e-4:[FORMAT:]BER"},
      {"act", "'act' needs a stage"},
      {"grad:fp99:1e-4", "format 'fp99'"},
      {"grad:fp16", "expected a BER after format 'fp16'"},
      {"grad:fp16:x", "BER 'x' is not a number"},
      {"grad:2", "BER 2 is outside [0, 1]"},
      {"grad:-1e-3", "is outside [0, 1]"},
      {"grad:nan", "is outside [0, 1]"},
      {"grad:1e-4:every=5", "every= applies to the weights site only"},
      {"weights:1e-4:every=0", "every= expects an integer >= 1, got '0'"},
      {"weights:1e-4:every=2.5", "every= expects an integer >= 1"},
      {"grad:1e-4:model=nope", "fault model 'nope'"},
      {"grad:q2.6-2c:1e-4:protect=msb:9", "protection 'msb:9' does not fit format 'q2.6-2c'"},
      {"grad:1e-4:semantics=some", "fault semantics 'some'"},
      {"grad:1e-4:colour=red", "unknown option 'colour'"},
      {"grad:1e-4:junk", "unexpected 'junk'"},
      {"grad:1e-4:model=flip:model=zero", "option 'model' given twice"},
  };
  for (const auto& [spec, expected] : cases) {
    SCOPED_TRACE(spec);
    try {
      Injection::parse(spec);
      ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
      std::string what = e.what();
      EXPECT_EQ(what.rfind("--inject '" + spec + "': ", 0), 0u) << what;
      EXPECT_NE(what.find(expected), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

TEST(InjectionSpecTest, ActivationStageMustExist) {
  auto m = tiny_model(1);
  EXPECT_NO_THROW(check_injection(Injection::parse("act:fc2:1e-3"), *m));
  EXPECT_NO_THROW(check_injection(Injection::parse("act:0:1e-3"), *m));
  try {
    check_injection(Injection::parse("act:fc9:1e-3"), *m);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "--inject 'act:fc9:fp32:0.001': model tiny has no stage 'fc9' (stages: fc1, fc2)");
  }
}

TEST(TrainInjectionTest, ZeroRateEqualsCleanTrainingBitForBit) {
  auto data = tiny_data(200);
  auto clean = tiny_model(3);
  auto faulty = clean->clone_model();
  auto opts = quick(0, 16);
  auto rc = train_model(*clean, data, opts);
  auto rf = train_model(*faulty, data,
                        quick(0, 16)
                            .inject(Injection::parse("grad:0"))
                            .inject(Injection::parse("weights:q2.6-2c:0:every=1"))
                            .inject(Injection::parse("act:fc1:q4.4-sm:0:model=uniform")));
  expect_same_params(params_of(*clean), params_of(*faulty));
  EXPECT_EQ(rc.final_loss, rf.final_loss);
  EXPECT_EQ(rc.test_error, rf.test_error);
  ASSERT_EQ(rf.injections.size(), 3u);
  EXPECT_EQ(rf.injections[0].rounds, 13u);  // ceil(200 / 16) steps
  EXPECT_EQ(rf.injections[1].rounds, 13u);
  EXPECT_EQ(rf.injections[2].rounds, 13u);
  for (const auto& st : rf.injections) EXPECT_EQ(st.faults, 0u);
}

TEST(TrainInjectionTest, GradientFaultGivesTheFaultyCodeBeforeTheStep) {
  auto m = tiny_model(4);
  auto data = tiny_data(8);
  auto loss =
      torch::nn::functional::cross_entropy(m->forward(data.train.images), data.train.labels);
  loss.backward();
  std::vector<torch::Tensor> clean;
  for (const auto& p : m->parameters()) clean.push_back(p.grad().clone());
  // bf16, rate 1 on the one faultable bit (the sign, bit 15): every gradient becomes
  // decode(encode(g) ^ 0x8000), i.e. -bf16(g); nothing else moves.
  auto fmt = format::Format::bf16();
  Injector inj({Injection::parse("grad:bf16:1:protect=mask:0x7fff")}, *m, 1);
  inj.after_backward(0);
  uint64_t n = 0;
  auto params = m->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    auto g = clean[i].contiguous();
    auto got = params[i].grad().contiguous();
    for (int64_t k = 0; k < g.numel(); ++k, ++n) {
      float expected = fmt.decode(fmt.encode(g.data_ptr<float>()[k]) ^ 0x8000u);
      ASSERT_EQ(bits_of(got.data_ptr<float>()[k]), bits_of(expected)) << i << " " << k;
    }
  }
  EXPECT_EQ(n, 4u * 3 + 3 + 3 * 2 + 2);
  EXPECT_EQ(inj.stats()[0].hits, n);
  EXPECT_EQ(inj.stats()[0].faults, n);
  EXPECT_EQ(inj.stats()[0].rounds, 1u);
  EXPECT_EQ(inj.stats()[0].nonfinite, 0u);
}

TEST(TrainInjectionTest, GradientFaultsFeedTheOptimizerExactly) {
  // One sample, one step: training with every gradient negated (fp32 sign bit, rate 1) must
  // equal a hand-run Adam step on the negated gradients, bit for bit.
  auto data = tiny_data(1);
  auto trained = tiny_model(6);
  auto manual = trained->clone_model();
  train_model(*trained, data,
              quick(1, 1).inject(Injection::parse("grad:1:protect=mask:0x7fffffff")));
  torch::optim::Adam opt(manual->parameters(), torch::optim::AdamOptions(1e-3));
  manual->train();
  opt.zero_grad();
  torch::nn::functional::cross_entropy(manual->forward(data.train.images.slice(0, 0, 1)),
                                       data.train.labels.slice(0, 0, 1))
      .backward();
  for (auto& p : manual->parameters()) p.grad().neg_();
  opt.step();
  expect_same_params(params_of(*trained), params_of(*manual));
}

TEST(TrainInjectionTest, WeightFaultsPersistInTheWeights) {
  // Learning rate 0: Adam leaves the weights alone, so only the faults move them. The sign
  // bit of every value flips after every step: three steps give -w.
  auto data = tiny_data(3);
  auto m = tiny_model(7);
  auto w0 = params_of(*m);
  auto r = train_model(*m, data,
                       quick(3, 1).learning_rate(0).inject(
                           Injection::parse("weights:1:every=1:protect=mask:0x7fffffff")));
  std::vector<torch::Tensor> neg;
  for (const auto& t : w0) neg.push_back(-t);
  expect_same_params(params_of(*m), neg);
  EXPECT_EQ(r.injections[0].rounds, 3u);
  EXPECT_EQ(r.injections[0].faults, 3u * 23);
  // every=2 over three steps: one round, after the second step.
  auto m2 = tiny_model(7);
  auto r2 = train_model(*m2, data,
                        quick(3, 1).learning_rate(0).inject(
                            Injection::parse("weights:1:every=2:protect=mask:0x7fffffff")));
  expect_same_params(params_of(*m2), neg);
  EXPECT_EQ(r2.injections[0].rounds, 1u);
}

TEST(TrainInjectionTest, OneWeightFaultLandsInOneValueAndStays) {
  auto m = tiny_model(8);
  auto w0 = params_of(*m);
  // exact semantics, rate 1 / bits: exactly one flip per round over all 23 x 32 bits.
  Injection one = Injection::parse("weights:1:every=1:semantics=exact");
  one.rate = 1.0 / (23 * 32);
  Injector inj({one}, *m, 3);
  auto count_changed = [&](const std::vector<torch::Tensor>& now) {
    int changed = 0;
    for (size_t i = 0; i < now.size(); ++i) {
      for (int64_t k = 0; k < now[i].numel(); ++k) {
        uint32_t x = bits_of(now[i].data_ptr<float>()[k]) ^ bits_of(w0[i].data_ptr<float>()[k]);
        if (x != 0) {
          EXPECT_EQ(__builtin_popcount(x), 1) << "one bit per fault";
          ++changed;
        }
      }
    }
    return changed;
  };
  inj.after_step(0);
  EXPECT_EQ(count_changed(params_of(*m)), 1);
  inj.after_step(1);
  EXPECT_EQ(count_changed(params_of(*m)), 2);  // the first fault is still there
  EXPECT_EQ(inj.stats()[0].faults, 2u);
  EXPECT_EQ(inj.stats()[0].hits, 2u);
}

TEST(TrainInjectionTest, ActivationFaultsPassGradientsStraightThrough) {
  // q4.4-sm sign flip at rate 1 hits every value of fc1's output: each nonzero value becomes
  // -q(a) (zeros stay). Backward treats the faulty values as the stage output.
  auto data = tiny_data(8);
  auto m = tiny_model(9);
  auto ref = m->clone_model();
  Injector inj({Injection::parse("act:fc1:q4.4-sm:1:model=signflip")}, *m, 1);
  auto logits = inj.forward(data.train.images, 0);
  torch::nn::functional::cross_entropy(logits, data.train.labels).backward();

  auto fmt = format::Format::parse("q4.4-sm");
  auto a = ref->stage(0)->forward(data.train.images);
  auto f = a.detach().clone();
  for (int64_t k = 0; k < f.numel(); ++k) {
    float& v = f.data_ptr<float>()[k];
    if (fmt.encode(v) != 0) v = -fmt.quantize(v);
  }
  f.requires_grad_(true);
  auto ref_logits = ref->stage(1)->forward(f);
  EXPECT_TRUE(torch::equal(logits.detach(), ref_logits.detach()));
  torch::nn::functional::cross_entropy(ref_logits, data.train.labels).backward();
  a.backward(f.grad());
  auto p = m->parameters(), q = ref->parameters();
  for (size_t i = 0; i < p.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(torch::equal(p[i].grad(), q[i].grad()));
  }
  EXPECT_EQ(inj.stats()[0].hits, uint64_t(a.numel()));
}

TEST(TrainInjectionTest, ActivationFaultsDoNotLeakIntoTheWeights) {
  auto data = tiny_data(64);
  auto clean = tiny_model(10);
  auto faulty = clean->clone_model();
  auto w0 = params_of(*clean);
  auto rc = train_model(*clean, data, quick(0, 8).learning_rate(0));
  auto rf = train_model(
      *faulty, data,
      quick(0, 8).learning_rate(0).inject(Injection::parse("act:fc1:q4.4-sm:0.5:model=signflip")));
  expect_same_params(params_of(*faulty), w0);
  EXPECT_GT(rf.injections[0].faults, 0u);
  EXPECT_NE(rf.final_loss, rc.final_loss);  // the faults were there during training
  EXPECT_EQ(rf.test_error, rc.test_error);  // and are gone at evaluation
}

TEST(TrainInjectionTest, SameSeedSameFaultsAndCheckpoint) {
  auto data = tiny_data(100);
  auto opts = quick(0, 10)
                  .inject(Injection::parse("grad:fp16:1e-3"))
                  .inject(Injection::parse("weights:q2.6-sm:1e-3:every=3"))
                  .inject(Injection::parse("act:fc1:bf16:1e-2:model=stuck1"));
  auto a = tiny_model(11);
  auto b = tiny_model(11);
  auto ra = train_model(*a, data, opts);
  auto rb = train_model(*b, data, opts);
  expect_same_params(params_of(*a), params_of(*b));
  ASSERT_EQ(ra.injections.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_GT(ra.injections[i].faults, 0u);
    EXPECT_EQ(ra.injections[i].faults, rb.injections[i].faults);
    EXPECT_EQ(ra.injections[i].hits, rb.injections[i].hits);
  }
  EXPECT_EQ(ra.final_loss, rb.final_loss);
  // Another seed samples other faults.
  auto c = tiny_model(11);
  auto rc = train_model(*c, data, opts.seed(6));
  EXPECT_NE(rc.injections[0].hits + rc.injections[2].hits,
            ra.injections[0].hits + ra.injections[2].hits);
}

TEST(TrainInjectionTest, NonFiniteGradientsAreKeptAndReported) {
  // Every exponent bit of every gradient stuck at 1: each gradient becomes Inf or NaN, Adam
  // turns every weight into NaN, and training goes on without throwing.
  auto data = tiny_data(2);
  auto m = tiny_model(12);
  auto r = train_model(
      *m, data,
      quick(2, 1).inject(Injection::parse("grad:1:model=stuck1:protect=mask:0x807fffff")));
  EXPECT_EQ(r.nonfinite_parameters, m->parameter_count());
  EXPECT_TRUE(std::isnan(r.final_loss));
  EXPECT_EQ(r.test_error, 1.0);  // NaN logits count as wrong
  EXPECT_EQ(r.injections[0].nonfinite, r.injections[0].faults);
  EXPECT_GE(r.injections[0].faults, 23u);
}

// The injector on a GPU model: the same gradients and weights get the same faults, bit for bit
// (only the hit values cross to the host), and training on the GPU hands the model back on
// the CPU with the same plans (hits) as on the CPU.
TEST(TrainInjectionCuda, GpuTensorsGetTheCpuFaults) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Device gpu(torch::kCUDA);
  auto data = tiny_data(8);
  auto cpu_model = tiny_model(12);
  auto gpu_model = cpu_model->clone_model();
  gpu_model->to(gpu);
  torch::nn::functional::cross_entropy(cpu_model->forward(data.train.images), data.train.labels)
      .backward();
  auto cp = cpu_model->parameters(), gp = gpu_model->parameters();
  for (size_t i = 0; i < cp.size(); ++i) gp[i].mutable_grad() = cp[i].grad().to(gpu);
  const std::vector<Injection> sites = {
      Injection::parse("grad:bf16:0.05:model=gaussian:0.1"),
      Injection::parse("weights:fp16:0.02:every=1:model=stuck1"),
      Injection::parse("grad:q2.6-sm:0.05:protect=sign"),
  };
  Injector on_cpu(sites, *cpu_model, 4), on_gpu(sites, *gpu_model, 4);
  on_cpu.after_backward(0);
  on_gpu.after_backward(0);
  on_cpu.after_step(0);
  on_gpu.after_step(0);
  for (size_t i = 0; i < cp.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(gp[i].is_cuda());
    EXPECT_TRUE(ares::testing::same_bits(gp[i].grad(), cp[i].grad()));
    EXPECT_TRUE(ares::testing::same_bits(gp[i], cp[i]));
  }
  for (size_t s = 0; s < sites.size(); ++s) {
    EXPECT_GT(on_gpu.stats()[s].faults, 0u) << s;
    EXPECT_EQ(on_gpu.stats()[s].faults, on_cpu.stats()[s].faults) << s;
  }

  auto opts = quick(0, 4).inject(Injection::parse("act:fc1:q4.4-sm:0.05"));
  auto a = tiny_model(13), b = tiny_model(13);
  auto ra = train_model(*a, tiny_data(64), opts);
  auto rb = train_model(*b, tiny_data(64), opts.device("cuda"));
  for (const auto& p : b->parameters()) EXPECT_TRUE(p.is_cpu());
  EXPECT_EQ(ra.injections[0].hits, rb.injections[0].hits);
  EXPECT_EQ(ra.injections[0].rounds, rb.injections[0].rounds);
  EXPECT_GT(rb.injections[0].faults, 0u);
}

TEST(TrainInjectionTest, AMissingGpuIsOneLineBeforeTraining) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has a GPU";
  auto m = tiny_model(14);
  const auto w0 = params_of(*m);
  ares::testing::expect_input_error(
      [&] { train_model(*m, tiny_data(8), quick(0, 4).device("cuda")); },
      {"train: --device cuda: no CUDA device here"});
  expect_same_params(params_of(*m), w0);
  ares::testing::expect_input_error(
      [&] { train_model(*m, tiny_data(8), quick(0, 4).device("tpu")); },
      {"train: device 'tpu' is not cpu, cuda or cuda:N"});
}

}  // namespace
}  // namespace ares::train
