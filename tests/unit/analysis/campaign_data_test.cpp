#include "ares/analysis/campaign_data.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "ares/analysis/csv.h"
#include "ares/analysis/json.h"
#include "ares/common/error.h"
#include "fake_campaign.h"

namespace ares::analysis {
namespace {

using testing::FakeCampaign;
using testing::TempDir;
using testing::write_text;

TEST(CsvTest, QuotedFieldsAndLineEnds) {
  auto t = CsvTable::parse("a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n2,,\"two\nlines\"\n", "t.csv");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.at(0, 1), "x,y");
  EXPECT_EQ(t.at(0, 2), "say \"hi\"");
  EXPECT_EQ(t.at(1, 1), "");
  EXPECT_EQ(t.at(1, 2), "two\nlines");
  EXPECT_EQ(t.column("c"), 2u);
  EXPECT_EQ(t.number(0, 0), 1.0);
  EXPECT_EQ(t.integer(1, 0), 2);
  EXPECT_EQ(t.line_of(1), 3u);
  EXPECT_EQ(csv_field("x,y"), "\"x,y\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("plain"), "plain");
}

TEST(CsvTest, BadInputNamesFileAndLine) {
  try {
    CsvTable::parse("a,b\n1,2\n3\n", "t.csv");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("t.csv:3: expected 2 fields, got 1"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(CsvTable::parse("a,b\n1,\"2\n", "t.csv"), InputError);
  EXPECT_THROW(CsvTable::parse("", "t.csv"), InputError);
  auto t = CsvTable::parse("a,b\nx,1e-3\n", "t.csv");
  EXPECT_THROW(t.number(0, 0), InputError);
  EXPECT_THROW(t.integer(0, 1), InputError);
  EXPECT_THROW(t.column("zzz"), InputError);
  EXPECT_THROW(CsvTable::read("/nonexistent/file.csv"), InputError);
}

TEST(JsonTest, ParsesValuesInOrder) {
  auto v = parse_json(
      R"({"s": "a\"b\\c\u00e9", "n": -1.5e-3, "t": true, "f": false, "z": null,
          "arr": [1, [2, 3], {}], "o": {"k": "v"}})",
      "x.json");
  ASSERT_EQ(v.type, JsonValue::Type::kObject);
  ASSERT_EQ(v.members.size(), 7u);
  EXPECT_EQ(v.members[0].first, "s");
  EXPECT_EQ(v.find("s")->text, "a\"b\\c\xc3\xa9");
  EXPECT_EQ(v.find("n")->number, -1.5e-3);
  EXPECT_EQ(v.find("n")->scalar_text(), "-1.5e-3");
  EXPECT_EQ(v.find("t")->scalar_text(), "true");
  EXPECT_EQ(v.find("f")->scalar_text(), "false");
  EXPECT_EQ(v.find("z")->type, JsonValue::Type::kNull);
  EXPECT_EQ(v.find("arr")->items.size(), 3u);
  EXPECT_EQ(v.find("arr")->items[1].items[1].number, 3);
  EXPECT_EQ(v.find("o")->find("k")->text, "v");
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(JsonTest, BadInputThrows) {
  for (const char* bad :
       {"", "{", "{\"a\" 1}", "[1,]", "\"abc", "{\"a\": 1} x", "tru", "[1 2]", "\"\\q\""}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_json(bad, "x.json"), InputError);
  }
  std::string deep(100, '[');
  EXPECT_THROW(parse_json(deep, "x.json"), InputError);
}

TEST(CampaignDataTest, ReadsTrialsSummaryAndJson) {
  TempDir dir;
  FakeCampaign fake;
  fake.error = [](int i, int c, int b, int k) { return 0.1 + 0.01 * (i + c + b) + 0.001 * k; };
  fake.write(dir.str());
  CampaignData d = load_campaign(dir.str());
  ASSERT_EQ(d.trials.size(), 2u * 2 * 4 * 2);
  ASSERT_EQ(d.summaries.size(), 4u);
  EXPECT_EQ(d.summaries[0].checkpoint, "ck,0.ckpt");
  EXPECT_EQ(d.summaries[1].format, "q2.6-sm");
  EXPECT_EQ(d.summaries[0].model, "mnist_fc");
  EXPECT_EQ(d.summaries[0].dataset, "fashion-mnist");
  EXPECT_EQ(d.summaries[0].values, 100u);
  const TrialRecord& r = d.trials[3];  // instance 0, 2c, BER index 1, trial 1
  EXPECT_EQ(r.ber_index, 1);
  EXPECT_EQ(r.trial, 1);
  EXPECT_EQ(r.ber, 1e-5);
  EXPECT_EQ(r.errors, 111);
  EXPECT_EQ(r.samples, 1000);
  EXPECT_DOUBLE_EQ(r.error, 0.111);
  EXPECT_EQ(r.site, "weights");
  EXPECT_EQ(d.levels, (std::vector<double>{0.5, 1, 5, 10}));
  EXPECT_EQ(d.setting("seed"), "7");
  EXPECT_EQ(d.setting("git_revision"), "abc");
  EXPECT_EQ(d.setting("nothing", "x"), "x");
  EXPECT_EQ(d.targets_label(), "*");
}

TEST(CampaignDataTest, WorksWithoutJsonAndTakesLevelsFromTheHeader) {
  TempDir dir;
  FakeCampaign fake;
  fake.json = false;
  fake.write(dir.str());
  CampaignData d = load_campaign(dir.str());
  EXPECT_EQ(d.levels, std::vector<double>{1});
  EXPECT_TRUE(d.settings.empty());
  EXPECT_EQ(d.targets, std::vector<std::string>{"*"});
}

TEST(CampaignDataTest, BadDirectoriesThrowOneClearError) {
  TempDir dir;
  EXPECT_THROW(load_campaign(dir.sub("none")), InputError);
  EXPECT_THROW(load_campaign(dir.str()), InputError);  // no trials.csv
  FakeCampaign().write(dir.str());
  // A trial whose configuration has no summary row.
  write_text(dir.str() + "/summary.csv",
             "instance,checkpoint,model,dataset,format,protection,values,bits,float_error,"
             "baseline_error\n0,a,mnist_fc,x,q2.6-2c,none,1,8,0.1,0.1\n");
  EXPECT_THROW(load_campaign(dir.str()), InputError);
  // A malformed number.
  FakeCampaign().write(dir.str());
  std::ifstream in(dir.str() + "/trials.csv");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  size_t pos = text.find(",bernoulli,0,") + 13;  // the first trial's BER
  text.replace(pos, text.find(',', pos) - pos, "1e-0x");
  write_text(dir.str() + "/trials.csv", text);
  try {
    load_campaign(dir.str());
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("trials.csv:2: column 'ber'"), std::string::npos)
        << e.what();
  }
  // Broken JSON.
  FakeCampaign().write(dir.str());
  write_text(dir.str() + "/summary.json", "{\"seed\": ");
  EXPECT_THROW(load_campaign(dir.str()), InputError);
}

}  // namespace
}  // namespace ares::analysis
