// campaign::find_thresholds in process on a model in memory: the first round is the coarse
// grid, later rounds stay inside the budget, every threshold's crossing interval is reported
// consistently with its convergence, and a rerun in the same directory resumes every round
// from its store and gives the same thresholds.

#include "ares/campaign/adaptive.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "ares/campaign/store.h"
#include "ares/common/error.h"
#include "ares/models/registry.h"

namespace ares::campaign {
namespace {

namespace fs = std::filesystem;

class AdaptiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("ares_adaptive_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    torch::manual_seed(21);
    model_ = models::create("mnist_fc");
    model_->eval();
    images_ = torch::rand({400, 1, 28, 28});
    torch::NoGradGuard guard;
    labels_ = model_->forward(images_).argmax(1);
    for (int64_t i = 0; i < labels_.size(0); i += 5) {
      labels_[i] = (labels_[i].item<int64_t>() + 1) % 10;
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  CampaignSpec spec() const {
    CampaignSpec s;
    s.checkpoints = {"random-net"};
    s.configs = {{"q2.6-2c", "none"}, {"q2.6-sm", "none"}};
    s.bers = log_grid(1e-5, 1e-1, 5);  // only its range matters
    s.levels = {10, 50};
    s.progress = false;
    return s;
  }
  fs::path dir_;
  std::shared_ptr<models::StagedModel> model_;
  torch::Tensor images_, labels_;
};

TEST_F(AdaptiveTest, RoundsStayInTheBudgetAndResume) {
  SearchOptions o;
  o.coarse_points = 7;
  o.coarse_trials = 3;
  o.refine_trials = 3;
  o.budget = 80;
  o.precision = 1.2;
  const std::string dir = (dir_ / "search").string();
  const SearchResult a = find_thresholds(spec(), {{model_}, images_, labels_}, o, dir);
  ASSERT_EQ(a.thresholds.size(), 2u * 2);  // 2 configurations x 2 levels
  EXPECT_GE(a.rounds, 2);
  for (int64_t t : a.trials[0]) {
    EXPECT_GE(t, 7 * 3);
    EXPECT_LE(t, o.budget);
  }
  // Round 0 is the coarse grid.
  auto first = ResultStore::open_read_only(dir + "/round-0/q2.6-2c/campaign.db");
  EXPECT_EQ(first->spec().bers, log_grid(1e-5, 1e-1, 7));
  EXPECT_EQ(first->trials().size(), 7u * 3);
  for (const auto& t : a.thresholds) {
    SCOPED_TRACE(t.config * 100 + int(t.level));
    EXPECT_LE(t.crossing_lo, t.crossing_hi);
    EXPECT_EQ(t.crossing_lo, t.interval.lo.ber);
    EXPECT_GE(t.crossing_hi, t.interval.hi.ber);
    if (t.converged) {
      EXPECT_LE(t.crossing_hi / t.crossing_lo, o.precision * (1 + 1e-12));
    }
  }
  // The same search again: every round is found in its store, nothing differs.
  size_t stored = 0;
  for (const auto& c : a.campaigns)
    stored += ResultStore::open_read_only(c + "/campaign.db")->trials().size();
  const SearchResult b = find_thresholds(spec(), {{model_}, images_, labels_}, o, dir);
  EXPECT_EQ(b.campaigns, a.campaigns);
  EXPECT_EQ(b.trials, a.trials);
  size_t again = 0;
  for (const auto& c : b.campaigns)
    again += ResultStore::open_read_only(c + "/campaign.db")->trials().size();
  EXPECT_EQ(again, stored);
  ASSERT_EQ(b.thresholds.size(), a.thresholds.size());
  for (size_t i = 0; i < a.thresholds.size(); ++i) {
    EXPECT_EQ(b.thresholds[i].crossing_lo, a.thresholds[i].crossing_lo);
    EXPECT_EQ(b.thresholds[i].crossing_hi, a.thresholds[i].crossing_hi);
    EXPECT_EQ(b.thresholds[i].point.ber, a.thresholds[i].point.ber);
  }
  const std::string csv = search_csv(spec(), a);
  EXPECT_EQ(csv.rfind("instance,checkpoint,format,protection,level_pct,ber,", 0), 0u);
}

TEST_F(AdaptiveTest, BadOptionsAreNamed) {
  SearchOptions o;
  o.precision = 1.0;
  EXPECT_THROW(find_thresholds(spec(), {{model_}, images_, labels_}, o, (dir_ / "x").string()),
               InputError);
  o = SearchOptions();
  o.budget = 10;  // below the first round's 13 x 5
  EXPECT_THROW(find_thresholds(spec(), {{model_}, images_, labels_}, o, (dir_ / "y").string()),
               InputError);
}

}  // namespace
}  // namespace ares::campaign
