// The JSON reader (analysis/json.h): values in file order, numbers as written, strings with
// every escape decoded, and one InputError line naming the file and offset for bad input.

#include "ares/analysis/json.h"

#include <gtest/gtest.h>

#include <string>

#include "../expect_input_error.h"

namespace ares::analysis {
namespace {

using ares::testing::expect_input_error;

TEST(JsonTest, ValuesInFileOrderAndNumbersAsWritten) {
  const auto v = parse_json(
      R"({"b": [1, -2.50, 1.0000000000000001e-09, 18446744073709551615], "a": {"x": null},
          "t": true, "f": false, "s": "q\"\\\/\n\u00e9\ud83d\ude00"})",
      "test.json");
  ASSERT_EQ(v.type, JsonValue::Type::kObject);
  ASSERT_EQ(v.members.size(), 5u);
  EXPECT_EQ(v.members[0].first, "b");
  EXPECT_EQ(v.members[1].first, "a");
  const JsonValue* b = v.find("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->items.size(), 4u);
  EXPECT_EQ(b->items[1].text, "-2.50");
  EXPECT_EQ(b->items[1].number, -2.5);
  EXPECT_EQ(b->items[2].scalar_text(), "1.0000000000000001e-09");
  EXPECT_EQ(b->items[2].number, 1e-9);
  EXPECT_EQ(b->items[3].text, "18446744073709551615");
  EXPECT_EQ(v.find("a")->find("x")->type, JsonValue::Type::kNull);
  EXPECT_TRUE(v.find("t")->boolean);
  EXPECT_EQ(v.find("f")->scalar_text(), "false");
  EXPECT_EQ(v.find("s")->text, "q\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(parse_json("  7 ", "x").number, 7.0);
}

TEST(JsonTest, BadInputNamesTheFileAndOffset) {
  for (const char* bad : {"{\"a\": 1,}", "[1 2]", "{\"a\" 1}", "\"open", "nan", "[1] x", "",
                          "{\"a\": tru}", "\"\\x\""}) {
    SCOPED_TRACE(bad);
    expect_input_error([&] { parse_json(bad, "summary.json"); }, {"summary.json: offset "});
  }
  expect_input_error([] { parse_json(std::string(100, '[') + std::string(100, ']'), "deep.json"); },
                     {"deep.json", "nested too deeply"});
}

}  // namespace
}  // namespace ares::analysis
