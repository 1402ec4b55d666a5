// common/text.h: list splitting, edit distance and exact number text.

#include "ares/common/text.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace ares {
namespace {

TEST(TextTest, SplitListDropsEmptyItems) {
  EXPECT_EQ(split_list("a,b,,c,"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_list("").empty());
  EXPECT_EQ(split_list("x;y", ';'), (std::vector<std::string>{"x", "y"}));
}

TEST(TextTest, EditDistance) {
  EXPECT_EQ(edit_distance("trials", "trials"), 0u);
  EXPECT_EQ(edit_distance("trails", "trials"), 2u);  // two substitutions
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("seed", "sed"), 1u);
}

TEST(TextTest, ExactNumberReadsBackToTheSameDouble) {
  for (double v : {1e-9, 0.1, 1.0 / 3.0, 6.25e-06, 1e300, -0.0}) {
    EXPECT_EQ(std::strtod(exact_number(v).c_str(), nullptr), v) << exact_number(v);
  }
  EXPECT_EQ(exact_number(0.5), "0.5");
}

TEST(TextTest, ShortestNumberIsTheShortestThatReadsBack) {
  for (double v : {1e-9, 0.1, 1.0 / 3.0, 6.25e-06, 1e300, 0.9, 5e-4}) {
    EXPECT_EQ(std::strtod(shortest_number(v).c_str(), nullptr), v) << shortest_number(v);
  }
  EXPECT_EQ(shortest_number(0.9), "0.9");
  EXPECT_EQ(shortest_number(5e-4), "0.0005");
  EXPECT_EQ(shortest_number(1.0 / 3.0), "0.3333333333333333");  // 16 digits suffice
}

// A suffix needs a name before it: ".gz" alone is not a gzip file's name.
TEST(TextTest, HasSuffixNeedsANameBeforeIt) {
  EXPECT_TRUE(has_suffix("t10k.gz", ".gz"));
  EXPECT_TRUE(has_suffix("fashion-mnist-seq", "-seq"));
  EXPECT_TRUE(has_suffix("windows.pt", ".pt"));
  EXPECT_FALSE(has_suffix(".gz", ".gz"));
  EXPECT_FALSE(has_suffix("gz", ".gz"));
  EXPECT_FALSE(has_suffix("windows.pth", ".pt"));
  EXPECT_FALSE(has_suffix("", ""));
}

}  // namespace
}  // namespace ares
