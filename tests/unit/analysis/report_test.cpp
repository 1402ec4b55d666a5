#include "ares/analysis/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "analysis/detail/document.h"
#include "analysis/detail/report_internal.h"
#include "ares/analysis/csv.h"
#include "ares/common/error.h"
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

// Campaigns with outcome classes get their rates in curves.csv (the mean over trials, exact
// for counts out of 1000) and the outcomes figure; campaigns without them get neither.
TEST(ReportTest, OutcomeClassesGetTheirColumnsAndFigure) {
  TempDir dir;
  FakeCampaign f;
  f.outcomes = [](int i, int c, int b, int k) {
    return std::pair<long, long>(10 * b + k + i + c, b == 3 ? 5 : 0);
  };
  f.write(dir.sub("with"));
  FakeCampaign{}.write(dir.sub("without"));
  for (const char* which : {"with", "without"}) {
    SCOPED_TRACE(which);
    std::vector<CampaignData> cs = {load_campaign(dir.sub(which))};
    const Analysis a = analyze(cs);
    const bool with = std::string(which) == "with";
    // Instance 1 of q2.6-sm (config 1) at BER index 2: changed 20 + k + 2, k = 0, 1.
    const Curve& c = a.curves[a.groups[1].curves[1]];
    if (with) {
      EXPECT_DOUBLE_EQ(c.changed_rate[2], (22.0 + 23.0) / 2 / 1000);
      EXPECT_DOUBLE_EQ(c.nonfinite_rate[3], 0.005);
      EXPECT_EQ(c.nonfinite_rate[2], 0.0);
    } else {
      EXPECT_TRUE(std::isnan(c.changed_rate[2]));
    }
    ReportResult r =
        write_report(a, cs, dir.sub(std::string("out_") + which), ReportOptions().plots(false));
    auto curves = CsvTable::read(dir.sub(std::string("out_") + which + "/tables/curves.csv"));
    EXPECT_TRUE(curves.has("changed_rate"));
    EXPECT_EQ(slurp(r.markdown).find("Outcomes vs BER") != std::string::npos, with);
  }
}

// Campaigns with the trials' NLL get the pooled perplexity per BER in curves.csv: exp of the
// mean of the trials' NLLs (+Inf as soon as one is infinite), nan for campaigns without it; a
// negative NLL is bad input, named by file and line.
TEST(ReportTest, PerplexityIsTheTrialsPooled) {
  TempDir dir;
  FakeCampaign f;
  f.nll = [](int i, int c, int b, int k) {
    return b == 3 && k == 1 && c == 1 ? std::numeric_limits<double>::infinity()
                                      : 0.5 + 0.25 * b + 0.125 * k + 0.0625 * (i + c);
  };
  f.write(dir.sub("with"));
  FakeCampaign{}.write(dir.sub("without"));
  std::vector<CampaignData> with = {load_campaign(dir.sub("with"))};
  const Analysis a = analyze(with);
  // Three trials: the median of their perplexities, against the pooled one.
  FakeCampaign three = f;
  three.trials = 3;
  three.nll = [](int, int, int b, int k) { return k == 2 ? 30.0 + b : 1.0 + 0.5 * k; };
  three.write(dir.sub("three"));
  const Analysis t = analyze({load_campaign(dir.sub("three"))});
  EXPECT_EQ(t.curves[0].median_perplexity[1], std::exp(1.5));
  EXPECT_EQ(t.curves[0].perplexity[1], std::exp((1.0 + 1.5 + 31.0) / 3));
  for (int i = 0; i < 2; ++i) {
    for (int c = 0; c < 2; ++c) {
      const Curve& curve = a.curves[a.groups[size_t(c)].curves[size_t(i)]];
      ASSERT_EQ(curve.perplexity.size(), 4u);
      for (int b = 0; b < 3; ++b) {
        EXPECT_EQ(curve.perplexity[size_t(b)],
                  std::exp((f.nll(i, c, b, 0) + f.nll(i, c, b, 1)) / 2));
      }
      EXPECT_EQ(std::isinf(curve.perplexity[3]), c == 1);
    }
  }
  write_report(a, with, dir.sub("out_with"), ReportOptions().plots(false));
  auto curves = CsvTable::read(dir.sub("out_with/tables/curves.csv"));
  EXPECT_EQ(curves.number(0, curves.column("perplexity")), a.curves[0].perplexity[0]);
  // The figure: per configuration the instances' geometric mean, no point where infinite.
  const auto figures = detail::make_figures(a);
  const auto fig = std::find_if(figures.begin(), figures.end(), [](const detail::Figure& x) {
    return x.id == "perplexity_vs_ber";
  });
  ASSERT_NE(fig, figures.end());
  const double mean0 = std::exp((std::log(a.curves[a.groups[0].curves[0]].perplexity[0]) +
                                 std::log(a.curves[a.groups[0].curves[1]].perplexity[0])) /
                                2);
  // Two trials: the median is the mean of their NLLs too, so it equals the pooled value.
  const std::string p0 = detail::strf("%.10g", mean0);
  EXPECT_NE(fig->data.find("$ppl0 << EOD\n1e-06 " + p0 + " " + p0 + "\n"), std::string::npos)
      << fig->data;
  // Config 1 at BER index 3: one trial infinite, so the pooled and median values are too.
  EXPECT_NE(fig->data.find("0.001 NaN NaN\nEOD"), std::string::npos) << fig->data;
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    ReportResult drawn = write_report(a, with, dir.sub("out_drawn"), ReportOptions());
    EXPECT_EQ(drawn.figures_failed, 0) << drawn.plot_problem;
    EXPECT_TRUE(
        std::filesystem::is_regular_file(dir.sub("out_drawn/figures/perplexity_vs_ber.svg")));
  }

  std::vector<CampaignData> without = {load_campaign(dir.sub("without"))};
  const Analysis b = analyze(without);
  EXPECT_TRUE(std::isnan(b.curves[0].perplexity[0]));
  write_report(b, without, dir.sub("out_without"), ReportOptions().plots(false));
  auto none = CsvTable::read(dir.sub("out_without/tables/curves.csv"));
  EXPECT_EQ(none.at(0, none.column("perplexity")), "nan");
  for (const auto& x : detail::make_figures(b))
    EXPECT_EQ(x.id.find("perplexity"), std::string::npos);

  f.nll = [](int, int, int ber, int) { return ber == 2 ? -0.5 : 1.0; };
  f.write(dir.sub("bad"));
  try {
    load_campaign(dir.sub("bad"));
    FAIL() << "a negative nll was read";
  } catch (const ares::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("trials.csv:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nll must be >= 0, got -0.5"), std::string::npos)
        << e.what();
  }
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

// One small document with every kind of block, rendered both ways. Exact strings: a change
// to either rendering changes report.md or index.html and should be seen here first.
TEST(DocumentTest, RendersEachBlockAsMarkdownAndHtml) {
  using namespace detail;
  Document doc;
  doc.title = "T <1>";
  doc.html_style = "p {}";
  doc.add(Heading{2, "Intro & more"});
  doc.add(Paragraph{"Plain `code`.", "lead"});
  doc.add(BulletList{{"a < b", "c"}, "findings"});
  doc.add(Table{"Tab", "A note.", {"name", "value"}, {{"x|y", "<&"}, {"z", "1"}}});
  doc.add(Details{Table{"More", "", {"k"}, {{"v"}}}});
  doc.add(Notice{"no figures."});
  doc.add(FigureBlock{"f1", "figures/f1", "Figure \"1\"", "Cap.", 300, true});
  doc.add(FigureBlock{"f2", "figures/f2", "Figure 2", "Gone.", 300, false});
  doc.add(Paragraph{"md only", ""}, Audience::kMarkdown);
  doc.add(Paragraph{"html only", ""}, Audience::kHtml);
  doc.add(RawHtml{"<script></script>\n"});

  EXPECT_EQ(render_markdown(doc),
            "# T <1>\n\n"
            "## Intro & more\n\n"
            "Plain `code`.\n\n"
            "- a < b\n- c\n\n"
            "### Tab\n\nA note.\n\n"
            "| name | value |\n| --- | ---: |\n| x\\|y | <& |\n| z | 1 |\n\n"
            "### More\n\n| k |\n| --- |\n| v |\n\n"
            "Note: no figures.\n\n"
            "**Figure \"1\".** Cap.\n\n![Figure \"1\"](figures/f1.png) ([SVG](figures/f1.svg))\n\n"
            "**Figure 2.** Gone.\n\n(figure unavailable)\n\n"
            "md only\n\n");

  std::vector<std::string> read;
  std::string html = render_html(doc, [&read](const std::string& path) {
    read.push_back(path);
    return std::string("<svg/>");
  });
  EXPECT_EQ(html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>T &lt;1&gt;</title>\n<style>p {}</style>\n</head>\n<body>\n"
            "<h1>T &lt;1&gt;</h1>\n"
            "<h2>Intro &amp; more</h2>\n"
            "<p class=\"lead\">Plain `code`.</p>\n"
            "<ul class=\"findings\">\n<li>a &lt; b</li>\n<li>c</li>\n</ul>\n"
            "<h3>Tab</h3>\n<p class=\"note\">A note.</p>\n"
            "<div class=\"scroll\"><table>\n<thead><tr><th>name</th><th>value</th></tr></thead>\n"
            "<tbody>\n<tr><td class=\"l\">x|y</td><td>&lt;&amp;</td></tr>\n"
            "<tr><td class=\"l\">z</td><td>1</td></tr>\n</tbody></table></div>\n"
            "<details><summary>More</summary>\n<h3>More</h3>\n"
            "<div class=\"scroll\"><table>\n<thead><tr><th>k</th></tr></thead>\n"
            "<tbody>\n<tr><td class=\"l\">v</td></tr>\n</tbody></table></div>\n</details>\n"
            "<p class=\"missing\">no figures.</p>\n"
            "<figure id=\"f1\">\n<img class=\"figure\" alt=\"Figure &quot;1&quot;\" width=\"300\" "
            "src=\"data:image/svg+xml;base64,PHN2Zy8+\">\n"
            "<figcaption><b>Figure &quot;1&quot;.</b> Cap.</figcaption>\n</figure>\n"
            "<figure id=\"f2\">\n<div class=\"missing\">Figure 2: figure unavailable.</div>\n"
            "<figcaption><b>Figure 2.</b> Gone.</figcaption>\n</figure>\n"
            "<p>html only</p>\n"
            "<script></script>\n"
            "</body>\n</html>\n");
  // Only the drawn figure is read, by its path relative to the page.
  EXPECT_EQ(read, std::vector<std::string>{"figures/f1.svg"});
}

}  // namespace
}  // namespace ares::analysis
