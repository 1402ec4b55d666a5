// The ares subcommands' argument parser (apps/ares/args.h, on CLI11): values, positionals and
// the exact error messages that users and the integration tests see.
#include "args.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "ares/common/error.h"

namespace ares::cli {
namespace {

using Strings = std::vector<std::string>;

const std::set<std::string> kValued = {"a", "out", "bers", "trials", "n", "x"};
const std::set<std::string> kBoolean = {"flag", "quiet", "help"};

Args parse(const Strings& argv) { return Args("cmd", argv, kValued, kBoolean); }

// The message of the ares::InputError that `f` throws ("" when it throws none).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
std::string parse_error(const Strings& argv) {
  return error_of([&] { parse(argv); });
}

TEST(Args, ValueAfterSpaceOrEquals) {
  const Args args = parse({"--out", "dir", "--n=3"});
  EXPECT_EQ(args.get("out"), "dir");
  EXPECT_EQ(args.get("n"), "3");
  EXPECT_EQ(args.get("x"), std::nullopt);
  EXPECT_TRUE(args.has("out"));
  EXPECT_FALSE(args.has("x"));
  EXPECT_EQ(args.get_or("x", "def"), "def");
  EXPECT_EQ(args.command(), "cmd");
}

TEST(Args, RepeatedValuedFlagKeepsEveryValueInOrder) {
  const Args args = parse({"--a", "1", "--a=2"});
  EXPECT_EQ(args.get_all("a"), (Strings{"1", "2"}));
  EXPECT_EQ(args.get("a"), "2");
  EXPECT_EQ(args.get_all("out"), Strings{});
}

TEST(Args, ValueWithEqualsSignsAndSpacesKeptWhole) {
  const Args args = parse({"--a=k=v", "--out", "a b", "--x", "[1,2]"});
  EXPECT_EQ(args.get("a"), "k=v");
  EXPECT_EQ(args.get("out"), "a b");
  EXPECT_EQ(args.get_all("x"), Strings{"[1,2]"});  // no CLI11 vector syntax
}

TEST(Args, BooleansAndPositionalsAnywhere) {
  const Args args = parse({"x", "--a", "1", "y", "--flag", "z", "--flag"});
  EXPECT_EQ(args.positional(), (Strings{"x", "y", "z"}));
  EXPECT_TRUE(args.has("flag"));
  EXPECT_EQ(args.get("flag"), "1");
  EXPECT_FALSE(args.has("quiet"));
  EXPECT_EQ(args.get("a"), "1");
}

TEST(Args, ValuedFlagTakesTheNextArgumentWhateverItIs) {
  EXPECT_EQ(parse({"--bers", "-1"}).get("bers"), "-1");
  const Args args = parse({"--out", "--quiet"});
  EXPECT_EQ(args.get("out"), "--quiet");
  EXPECT_FALSE(args.has("quiet"));
  EXPECT_EQ(parse({"--out", "--"}).get("out"), "--");
  EXPECT_EQ(parse({"--out", "--nope"}).get("out"), "--nope");
  EXPECT_EQ(parse({"--a", "-x", "p"}).positional(), Strings{"p"});
}

TEST(Args, DashArgumentsThatAreNotLongFlagsArePositionals) {
  const Args args = parse({"-", "-x", "-inf", "-1.5", "-h", "--flag"});
  EXPECT_EQ(args.positional(), (Strings{"-", "-x", "-inf", "-1.5", "-h"}));
  EXPECT_TRUE(args.has("flag"));
}

// "--" ends the flags, as it does for most Unix tools (a change: before CLI11 it was a
// positional and flags after it still counted): every argument after it is a positional.
TEST(Args, DoubleDashEndsTheFlags) {
  const Args args = parse({"a", "--flag", "--", "b", "--a", "1", "--", "--trails"});
  EXPECT_EQ(args.positional(), (Strings{"a", "b", "--a", "1", "--", "--trails"}));
  EXPECT_TRUE(args.has("flag"));
  EXPECT_FALSE(args.has("a"));
  EXPECT_TRUE(parse({"--"}).positional().empty());
  EXPECT_EQ(parse_error({"--trails", "5", "--", "x"}),
            "cmd: unknown flag --trails, did you mean --trials? (see 'ares cmd --help')");
}

TEST(Args, BooleanWithValueIsAnError) {
  EXPECT_EQ(parse_error({"--flag=1"}), "cmd: flag --flag takes no value");
  EXPECT_EQ(parse_error({"x", "--quiet=no"}), "cmd: flag --quiet takes no value");
  EXPECT_EQ(parse_error({"--quiet", "--quiet=false"}), "cmd: flag --quiet takes no value");
}

TEST(Args, ValuedFlagLastNeedsAValue) {
  EXPECT_EQ(parse_error({"--a"}), "cmd: flag --a needs a value");
  EXPECT_EQ(parse_error({"x", "--a", "1", "--flag", "--out"}), "cmd: flag --out needs a value");
}

TEST(Args, UnknownFlagSuggestsTheNearestKnownOne) {
  EXPECT_EQ(parse_error({"--trails", "5"}),
            "cmd: unknown flag --trails, did you mean --trials? (see 'ares cmd --help')");
  EXPECT_EQ(parse_error({"--trails=5"}),
            "cmd: unknown flag --trails, did you mean --trials? (see 'ares cmd --help')");
  EXPECT_EQ(parse_error({"--quite"}),
            "cmd: unknown flag --quite, did you mean --quiet? (see 'ares cmd --help')");
  EXPECT_EQ(parse_error({"x", "--completely-different"}),
            "cmd: unknown flag --completely-different (see 'ares cmd --help')");
  // Old spellings the tokenizer might not call flags are still unknown flags.
  EXPECT_EQ(parse_error({"---out", "d"}),
            "cmd: unknown flag ---out, did you mean --out? (see 'ares cmd --help')");
  EXPECT_EQ(parse_error({"--=x"}),
            "cmd: unknown flag --, did you mean --a? (see 'ares cmd --help')");
}

TEST(Args, FirstErrorOnTheLineIsReported) {
  EXPECT_EQ(parse_error({"--zzzzzz", "--flag=1"}),
            "cmd: unknown flag --zzzzzz (see 'ares cmd --help')");
  EXPECT_EQ(parse_error({"--flag=1", "--zzzzzz"}), "cmd: flag --flag takes no value");
  EXPECT_EQ(parse_error({"--zzzzzz", "--a"}), "cmd: unknown flag --zzzzzz (see 'ares cmd --help')");
}

TEST(Args, ClosestIsWithinTwoEdits) {
  EXPECT_EQ(Args::closest("trails", kValued, kBoolean), ", did you mean --trials?");
  EXPECT_EQ(Args::closest("flg", kValued, kBoolean), ", did you mean --flag?");
  EXPECT_EQ(Args::closest("zzzzzz", kValued, kBoolean), "");
}

TEST(Args, Integers) {
  const Args args = parse({"--n", "-12", "--x", "1.5", "--a", "", "--out", "99999999999999999999"});
  EXPECT_EQ(args.get_int("n", 7), -12);
  EXPECT_EQ(args.get_int("trials", 7), 7);
  EXPECT_EQ(error_of([&] { args.get_int("x", 0); }), "cmd: --x expects an integer, got '1.5'");
  EXPECT_EQ(error_of([&] { args.get_int("a", 0); }), "cmd: --a expects an integer, got ''");
  EXPECT_EQ(error_of([&] { args.get_int("out", 0); }),
            "cmd: --out expects an integer, got '99999999999999999999'");
}

TEST(Args, Numbers) {
  const Args args = parse({"--x", "1e-3", "--n", "abc", "--a", "1e999"});
  EXPECT_DOUBLE_EQ(args.get_double("x", 0), 1e-3);
  EXPECT_DOUBLE_EQ(args.get_double("trials", 0.5), 0.5);
  EXPECT_EQ(error_of([&] { args.get_double("n", 0); }), "cmd: --n expects a number, got 'abc'");
  EXPECT_EQ(error_of([&] { args.get_double("a", 0); }), "cmd: --a expects a number, got '1e999'");
  EXPECT_DOUBLE_EQ(args.parse_double("0x1p-2", "VALUE"), 0.25);
  EXPECT_EQ(error_of([&] { args.parse_double("", "VALUE"); }),
            "cmd: VALUE expects a number, got ''");
  EXPECT_EQ(error_of([&] { args.parse_double("2x", "the rate"); }),
            "cmd: the rate expects a number, got '2x'");
}

// `--name=` is refused (a change: before CLI11 it was the empty value; CLI11 by itself would
// take the next argument as the value, silently). An empty value is still `--name ""`.
TEST(Args, NothingAfterEqualsNeedsAValue) {
  EXPECT_EQ(parse_error({"--a=", "x"}), "cmd: flag --a needs a value");
  const Args args = parse({"--out", "--n=", "y=", "--x=k="});
  EXPECT_EQ(args.get("out"), "--n=");
  EXPECT_EQ(args.get("x"), "k=");
  EXPECT_EQ(args.positional(), (Strings{"y="}));
  EXPECT_EQ(parse({"--a", ""}).get("a"), "");
  EXPECT_EQ(parse_error({"--zzzzzz="}), "cmd: unknown flag --zzzzzz (see 'ares cmd --help')");
}

// A third change from the parser before CLI11: CLI11 hands `--flag=true`, `--flag={}` and
// `--flag=` to us exactly as a bare `--flag`, so they are now accepted (they used to be "takes no
// value" errors). Any other value (`--flag=false`, `--flag=1`) is still an error.
TEST(Args, BooleanGivenTrueIsAccepted) {
  EXPECT_TRUE(parse({"--flag=true"}).has("flag"));
  EXPECT_TRUE(parse({"--flag={}"}).has("flag"));
  EXPECT_TRUE(parse({"--flag="}).has("flag"));
  EXPECT_EQ(parse_error({"--flag=false"}), "cmd: flag --flag takes no value");
  EXPECT_EQ(parse({"--a={}", "--a", "{}"}).get_all("a"), (Strings{"{}", "{}"}));
}

TEST(Args, NoArguments) {
  const Args args = parse({});
  EXPECT_TRUE(args.positional().empty());
  EXPECT_FALSE(args.has("help"));
}

}  // namespace
}  // namespace ares::cli
