#include "ares/inject/tensor_format.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/fault/rng.h"
#include "ares/format/format.h"

namespace ares::inject {
namespace {

using format::Format;

// Every sign and exponent, with low-bit patterns around every rounding point of fp16 (13
// dropped bits), bf16 (16) and the fixed formats' grids, plus NaN payloads, subnormals,
// infinities and random words: 65536 high halves x 20 low halves, and more.
std::vector<float> probe_values() {
  std::vector<uint32_t> bits;
  const uint32_t lows[] = {0x0000, 0x0001, 0x0FFF, 0x1000, 0x1001, 0x1FFF, 0x2000,
                           0x3000, 0x5000, 0x7FFF, 0x8000, 0x8001, 0x9000, 0xBFFF,
                           0xC000, 0xE000, 0xF000, 0xFFFE, 0xFFFF, 0x4321};
  for (uint32_t hi = 0; hi < 0x10000u; ++hi) {
    for (uint32_t lo : lows) bits.push_back(hi << 16 | lo);
  }
  fault::Rng rng(fault::stream_key(21, {}));
  for (int i = 0; i < 200000; ++i) bits.push_back(uint32_t(rng.next_u64()));
  std::vector<float> v(bits.size());
  std::memcpy(v.data(), bits.data(), bits.size() * 4);
  // Ties and neighbours of fixed-point grids: (k + 1/2) / 2^f for small k and f.
  for (int f = 0; f <= 16; f += 2) {
    for (int k = -600; k <= 600; ++k) {
      const float t = float((k + 0.5) / double(1 << f));
      v.push_back(t);
      v.push_back(std::nextafter(t, 1e9f));
      v.push_back(std::nextafter(t, -1e9f));
    }
  }
  return v;
}

void expect_host_bits(const torch::Device& device) {
  const std::vector<float> values = probe_values();
  const auto x =
      torch::from_blob(const_cast<float*>(values.data()), {int64_t(values.size())}, torch::kFloat32)
          .to(device);
  for (const char* spec : {"q2.6-2c", "q2.6-sm", "q4.4-sm", "q8.8-2c", "q1.15-sm", "q16.16-2c",
                           "q16.16-sm", "q1.31-2c", "q32.0-sm", "q24.0-2c", "fp16", "bf16", "fp32",
                           "fp8-e4m3", "fp8-e5m2", "fp8-e4m3-nosat", "fp8-e5m2-nosat"}) {
    SCOPED_TRACE(spec);
    const Format fmt = Format::parse(spec);
    std::vector<float> expect(values.size());
    fmt.quantize(values.data(), expect.data(), values.size());
    const auto got = quantize_tensor(fmt, x);
    EXPECT_EQ(got.device(), device);
    const auto host = got.to(torch::kCPU).contiguous();
    ASSERT_EQ(host.numel(), int64_t(values.size()));
    const uint32_t* g = reinterpret_cast<const uint32_t*>(host.data_ptr<float>());
    const uint32_t* e = reinterpret_cast<const uint32_t*>(expect.data());
    int shown = 0;
    size_t wrong = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      if (g[i] == e[i]) continue;
      ++wrong;
      if (shown++ < 5) {
        uint32_t in;
        std::memcpy(&in, &values[i], 4);
        ADD_FAILURE() << std::hex << "input 0x" << in << ": got 0x" << g[i] << ", host 0x" << e[i];
      }
    }
    EXPECT_EQ(wrong, 0u) << "of " << values.size();
  }
}

TEST(TensorFormatTest, QuantizeEqualsTheHostBitForBit) {
  expect_host_bits(torch::Device(torch::kCPU));
}

TEST(TensorFormatCuda, QuantizeEqualsTheHostBitForBit) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_host_bits(torch::Device(torch::kCUDA));
}

TEST(TensorFormatTest, KeepsShapeAndLeavesTheInputAlone) {
  auto x = torch::randn({3, 4, 5}) * 4;
  const auto before = x.clone();
  const auto q = quantize_tensor(Format::parse("q2.6-2c"), x);
  EXPECT_EQ(q.sizes(), x.sizes());
  EXPECT_TRUE(torch::equal(x, before));
  EXPECT_LE(q.max().item<float>(), 1.984375f);
  EXPECT_GE(q.min().item<float>(), -2.0f);
  EXPECT_THROW(quantize_tensor(Format::fp16(), x.to(torch::kFloat64)), InputError);
}

}  // namespace
}  // namespace ares::inject
