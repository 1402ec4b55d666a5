#include "ares/analysis/report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ares/analysis/csv.h"
#include "fake_campaign.h"

namespace ares::analysis {
namespace {

using testing::FakeCampaign;
using testing::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

FakeCampaign encodings() {
  FakeCampaign f;
  f.configs = {{"q2.6-2c", "none"}, {"q2.6-sm", "none"}, {"q2.6-2c", "sign"}};
  f.instances = 3;
  f.error = [](int i, int c, int b, int) {
    // 2c degrades first; instance i shifts the knee.
    int knee = c == 0 ? 1 + (i % 2) : 2 + (i % 2);
    return b < knee ? 0.1 : 0.1 + 0.1 * (b - knee + 1);
  };
  return f;
}

TEST(ReportTest, Base64KnownVectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\x00\x80", 3)), "/wCA");
}

TEST(ReportTest, WritesTablesMarkdownAndPageWithoutPlots) {
  TempDir dir;
  encodings().write(dir.sub("c"));
  std::vector<CampaignData> cs = {load_campaign(dir.sub("c"))};
  Analysis a = analyze(cs);
  ReportOptions opts = ReportOptions().plots(false).title("Test <report>");
  opts.checkpoint_meta["ck,0.ckpt"] = {{"seed", "11"}, {"epochs", "3"}};
  opts.notes.push_back({"command", "ares study --model mnist_fc"});
  ReportResult r = write_report(a, cs, dir.sub("out"), opts);

  EXPECT_FALSE(r.plot_problem.empty());
  EXPECT_TRUE(r.figures.empty());
  EXPECT_GT(r.figures_failed, 0);
  for (const char* t : {"curves", "thresholds", "spread", "ratios", "instances"}) {
    SCOPED_TRACE(t);
    EXPECT_TRUE(std::filesystem::is_regular_file(dir.sub(std::string("out/tables/") + t + ".csv")));
  }
  auto spread = CsvTable::read(dir.sub("out/tables/spread.csv"));
  EXPECT_EQ(spread.rows(), 3u * 2 * 4);  // configurations x baselines x levels
  EXPECT_EQ(spread.at(0, spread.column("baseline")), "relative");
  auto curves = CsvTable::read(dir.sub("out/tables/curves.csv"));
  EXPECT_EQ(curves.rows(), 3u * 3 * 4);  // configurations x instances x BERs
  EXPECT_EQ(curves.at(0, curves.column("checkpoint")), "ck,0.ckpt");
  auto ratios = CsvTable::read(dir.sub("out/tables/ratios.csv"));
  EXPECT_EQ(ratios.rows(), 2u * 2 * 4);  // sm and +sign vs 2c
  EXPECT_EQ(ratios.at(0, ratios.column("reference_format")), "q2.6-2c");
  auto thresholds = CsvTable::read(dir.sub("out/tables/thresholds.csv"));
  EXPECT_EQ(thresholds.rows(), 3u * 3 * 2 * 4);

  std::string html = slurp(r.html);
  EXPECT_NE(html.find("<title>Test &lt;report&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("data-figures-total"), std::string::npos);
  EXPECT_NE(html.find("figure unavailable"), std::string::npos);
  EXPECT_NE(html.find("Encoding: q2.6-sm tolerates"), std::string::npos);
  EXPECT_NE(html.find("ares study --model mnist_fc"), std::string::npos);
  EXPECT_NE(html.find("<td>11</td>"), std::string::npos);  // the seed from the metadata
  EXPECT_NE(html.find("git_revision"), std::string::npos);
  EXPECT_EQ(html.find("src=\"figures/"), std::string::npos);  // nothing outside the file
  std::string md = slurp(r.markdown);
  EXPECT_NE(md.find("## Findings"), std::string::npos);
  EXPECT_NE(md.find("| q2.6-sm |"), std::string::npos);

  std::string text = spread_text(a);
  EXPECT_NE(text.find("relative baseline"), std::string::npos);
  EXPECT_NE(text.find("q2.6-2c+sign"), std::string::npos);
}

TEST(ReportTest, MissingGnuplotIsReportedNotThrown) {
  TempDir dir;
  encodings().write(dir.sub("c"));
  std::vector<CampaignData> cs = {load_campaign(dir.sub("c"))};
  ReportResult r = write_report(analyze(cs), cs, dir.sub("out"),
                                ReportOptions().gnuplot("/nonexistent/gnuplot"));
  EXPECT_NE(r.plot_problem.find("gnuplot not found"), std::string::npos) << r.plot_problem;
  EXPECT_TRUE(std::filesystem::is_regular_file(r.html));
  EXPECT_NE(slurp(r.html).find("gnuplot not found"), std::string::npos);
}

TEST(ReportTest, PerBitCampaignsGetTheirTable) {
  TempDir dir;
  FakeCampaign f;
  f.configs = {{"q2.6-2c", "mask:0x7f"}, {"q2.6-2c", "mask:0xbf"}};
  f.write(dir.sub("c"));
  std::vector<CampaignData> cs = {load_campaign(dir.sub("c"))};
  ReportResult r = write_report(analyze(cs), cs, dir.sub("out"), ReportOptions().plots(false));
  auto bits = CsvTable::read(dir.sub("out/tables/bits.csv"));
  EXPECT_EQ(bits.rows(), 2u * 4);
  EXPECT_EQ(bits.at(0, bits.column("bit")), "7");
  EXPECT_EQ(bits.at(0, bits.column("role")), "sign");
  EXPECT_NE(slurp(r.html).find("Per-bit vulnerability"), std::string::npos);
}

}  // namespace
}  // namespace ares::analysis
