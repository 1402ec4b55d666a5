// The settings table, the builder and the TOML reader (campaign/spec_options.h): defaults
// agree with CampaignSpec's and the paper's, TOML files in full syntax give the spec that the
// same flags give, and every kind of bad file gets one line naming the file, line and key.

#include "ares/campaign/spec_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../expect_input_error.h"
#include "ares/campaign/threads.h"

namespace ares::campaign {
namespace {

using ares::testing::expect_input_error;

std::string write_toml(const std::string& name, const std::string& text) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("ares_spec_options_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

SpecSettings with_checkpoint() {
  SpecSettings s;
  s.set("checkpoint", "a.ckpt", "--checkpoint");
  return s;
}

// The table's defaults are the paper's campaign and CampaignSpec's own member defaults.
TEST(SpecOptionsTest, DefaultsAreThePapersAndTheSpecs) {
  const CampaignSpec built = build_spec(with_checkpoint());
  CampaignSpec expected;
  expected.checkpoints = {"a.ckpt"};
  expected.configs = parse_configs({"q2.6-2c", "q2.6-sm", "q2.6-2c+sign"}, {"none"});
  expected.bers = log_grid(1e-9, 1e-3, 50);
  expected.threads = available_cores();
  EXPECT_EQ(built.to_text(), expected.to_text());
  EXPECT_EQ(built.bers.size(), 50u);
  EXPECT_EQ(built.trials, 20);
}

// Giving a setting its table default changes nothing, for every setting with a default.
TEST(SpecOptionsTest, EveryDefaultTextIsTheDefault) {
  const std::string base = build_spec(with_checkpoint()).to_text();
  int checked = 0;
  for (const auto& k : spec_keys()) {
    if (!*k.default_text) continue;
    SCOPED_TRACE(k.key);
    SpecSettings s = with_checkpoint();
    s.set(k.key, k.default_text, "test");
    EXPECT_EQ(build_spec(s).to_text(), base);
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

// Flag and TOML spellings name the same setting; the help lists every flag and its default.
TEST(SpecOptionsTest, NamesAndHelp) {
  ASSERT_NE(find_spec_key("ber-min"), nullptr);
  EXPECT_EQ(find_spec_key("ber-min"), find_spec_key("ber_min"));
  EXPECT_EQ(flag_name(*find_spec_key("cache_mb")), "cache-mb");
  EXPECT_EQ(find_spec_key("spec"), nullptr);  // a flag of the commands, not a setting
  const std::string help = spec_flags_help();
  for (const auto& k : spec_keys()) {
    EXPECT_NE(help.find("--" + flag_name(k) + " "), std::string::npos) << k.key;
    if (*k.default_text) {
      EXPECT_NE(help.find(std::string("default ") + k.default_text + ")"), std::string::npos)
          << k.key;
    }
  }
  expect_input_error([] { with_checkpoint().set("trails", "3", "--trails"); },
                     {"--trails", "unknown setting", "did you mean '--trials'"});
}

// Comments, literal strings, multi-line arrays with trailing commas, a [campaign] table, an
// inline table, integers for a number key, a scalar for a list: the spec the flags give.
TEST(SpecOptionsTest, FullTomlGivesTheSpecOfTheFlags) {
  SpecSettings flags = with_checkpoint();
  flags.set("formats", "q2.6-2c,q4.4-sm+sign", "--formats");
  flags.set("bers", "1e-05,0.0001,0.001", "--bers");
  flags.set("trials", "4", "--trials");
  flags.set("targets", "fc1.*", "--targets");
  flags.set("levels", "1,5", "--levels");
  flags.set("bits", "0-3,7", "--bits");
  flags.set("site", "act:fc1", "--site");
  flags.set("threads", "1", "--threads");
  const std::string expected = build_spec(flags).to_text();

  const std::string top = write_toml("top.toml", R"(# a campaign
checkpoint = 'a.ckpt'   # literal string
formats = [
  "q2.6-2c",            # two's complement
  "q4.4-sm+sign",
]
bers = [1e-5, 1e-4,
        1e-3]
[campaign]
trials = 4
targets = "fc1.*"
levels = [1, 5.0]
bits = [0, 1, 2, 3, 7]
site = "act:fc1"
threads = 1
)");
  EXPECT_EQ(CampaignSpec::from_toml(top).to_text(), expected);
  const std::string inline_table =
      write_toml("inline.toml",
                 "campaign = { checkpoint = ['a.ckpt'], formats = ['q2.6-2c', 'q4.4-sm+sign'], "
                 "bers = [1e-5, 1e-4, 1e-3], trials = 4, targets = ['fc1.*'], levels = [1, 5], "
                 "bits = '0-3,7', site = 'act:fc1', threads = 1 }\n");
  EXPECT_EQ(CampaignSpec::from_toml(inline_table).to_text(), expected);
  // A flag overrides the file.
  SpecSettings over = read_toml_settings(top);
  over.set("trials", "7", "--trials");
  EXPECT_EQ(build_spec(over).trials, 7);
}

TEST(SpecOptionsTest, BadFilesGetOneLineNamingFileLineAndKey) {
  struct Case {
    const char* name;
    const char* text;
    std::vector<std::string> parts;
  };
  const Case cases[] = {
      {"unknown_key.toml", "trials = 4\ntrails = 5\n", {"unknown_key.toml:2", "trails", "trials"}},
      {"wrong_type.toml",
       "checkpoint = 'a'\n\ntrials = \"4\"\n",
       {"wrong_type.toml:3", "trials", "integer", "string"}},
      {"float_for_int.toml",
       "ber_points = 2.5\n",
       {"float_for_int.toml:1", "ber_points", "integer"}},
      {"bool_in_list.toml", "levels = [1, true]\n", {"bool_in_list.toml:1", "levels", "boolean"}},
      {"syntax.toml", "trials = 4\nformats = [\"q2.6-2c\"\n", {"syntax.toml:"}},
      {"twice.toml",
       "trials = 4\n[campaign]\ntrials = 5\n",
       {"twice.toml:3", "trials", "given twice", "twice.toml:1"}},
      {"table.toml", "[training]\nepochs = 3\n", {"table.toml:1", "[training]"}},
      {"range.toml", "checkpoint = 'a'\ntrials = 0\n", {"range.toml:2", "trials", "1..1000000"}},
      {"format.toml",
       "checkpoint = 'a'\nformats = ['q2.6-xx']\n",
       {"format.toml:2", "formats", "q2.6-xx"}},
      {"engine.toml", "checkpoint = 'a'\nengine = 'turbo'\n", {"engine.toml:2", "engine", "turbo"}},
      {"site.toml", "checkpoint = 'a'\nsite = 'gradients'\n", {"site.toml:2", "site", "gradients"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = write_toml(c.name, c.text);
    expect_input_error([&] { CampaignSpec::from_toml(path); }, c.parts);
  }
  expect_input_error([] { read_toml_settings("/nonexistent/x.toml"); },
                     {"/nonexistent/x.toml", "cannot open"});
}

}  // namespace
}  // namespace ares::campaign
