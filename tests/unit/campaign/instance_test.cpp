// train_instance, in-process: the checkpoint it writes loads back with the weights it trained
// and the metadata it returned; the same seed gives the same weights; a model whose weights
// turn NaN is not written.

#include "ares/campaign/instance.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>

#include "ares/data/dataset.h"
#include "ares/models/checkpoint.h"

namespace ares::campaign {
namespace {

namespace fs = std::filesystem;

data::Split tiny_split() {
  torch::manual_seed(3);
  data::Split s;
  s.train.images = torch::rand({64, 1, 28, 28});
  s.train.labels = torch::randint(0, 10, {64}, torch::kInt64);
  s.test.images = torch::rand({32, 1, 28, 28});
  s.test.labels = torch::randint(0, 10, {32}, torch::kInt64);
  return s;
}

TEST(TrainInstanceTest, WritesTheCheckpointWithItsMetadataAndIsReproducible) {
  const fs::path dir =
      fs::path(::testing::TempDir()) / ("ares_instance_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto data = tiny_split();
  const auto opts = train::TrainOptions().epochs(1).batch_size(16).seed(7).progress(false);
  const auto a = train_instance("mnist_fc", "tiny", data, opts, 1, (dir / "a.ckpt").string());
  const auto b = train_instance("mnist_fc", "tiny", data, opts, 1, (dir / "b.ckpt").string());
  ASSERT_TRUE(a.written);
  EXPECT_EQ(a.meta.at("seed"), "7");
  EXPECT_EQ(a.meta.at("epochs"), "1");
  EXPECT_EQ(a.meta.at("batch"), "16");
  EXPECT_EQ(a.meta.at("dataset"), "tiny");
  EXPECT_EQ(a.meta.count("platform.cpu"), 1u);
  EXPECT_EQ(a.meta.count("device"), 0u);  // CPU checkpoints keep their bytes
  const auto la = models::load_checkpoint((dir / "a.ckpt").string());
  const auto lb = models::load_checkpoint((dir / "b.ckpt").string());
  EXPECT_EQ(la.meta.at("test_error"), a.meta.at("test_error"));
  auto pa = la.model->named_parameters(), pb = lb.model->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  EXPECT_NE(describe(a).find("seed 7  test error"), std::string::npos) << describe(a);

  // Gradient faults at rate 1 in fp32 send the weights to NaN: nothing is written.
  auto bad = opts;
  bad.injections({train::Injection::parse("grad:fp32:1")});
  const auto c = train_instance("mnist_fc", "tiny", data, bad, 1, (dir / "c.ckpt").string());
  EXPECT_FALSE(c.written);
  EXPECT_FALSE(fs::exists(dir / "c.ckpt"));
  EXPECT_NE(describe(c).find("not written"), std::string::npos);
  EXPECT_EQ(default_epochs("mnist_fc"), 10);
  EXPECT_EQ(default_epochs("lenet5"), 2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ares::campaign
