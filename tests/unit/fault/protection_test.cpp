#include "ares/fault/protection.h"

#include <gtest/gtest.h>

#include <string>

#include "../expect_input_error.h"
#include "ares/common/error.h"
#include "ares/format/format.h"

namespace ares::fault {
namespace {

using format::Format;

TEST(ProtectionTest, ParsesEachFormToItsCanonicalSpec) {
  EXPECT_EQ(Protection::parse("none").spec(), "none");
  EXPECT_EQ(Protection::parse("sign").spec(), "sign");
  EXPECT_EQ(Protection::parse("msb:2").spec(), "msb:2");
  EXPECT_EQ(Protection::parse("lsb:3").spec(), "lsb:3");
  EXPECT_EQ(Protection::parse("mask:0x81").spec(), "mask:0x81");
  EXPECT_EQ(Protection::parse("mask:0x0081").spec(), "mask:0x81");
  EXPECT_EQ(Protection::parse("MASK:0XFF").spec(), "mask:0xff");
  EXPECT_EQ(Protection::parse("bits:0,7").spec(), "mask:0x81");
  EXPECT_EQ(Protection::parse("bits:7,0,7").spec(), "mask:0x81");
  EXPECT_EQ(Protection::parse("Sign").spec(), "sign");
  EXPECT_EQ(Protection::none().spec(), "none");
  EXPECT_EQ(Protection::sign().spec(), "sign");
  EXPECT_EQ(Protection::parse("bits:0,7"), Protection::parse("mask:0x81"));
  EXPECT_FALSE(Protection::parse("msb:1") == Protection::parse("sign"));
}

TEST(ProtectionTest, CanonicalSpecRoundTrips) {
  for (const char* spec :
       {"none", "sign", "msb:1", "msb:32", "lsb:4", "mask:0x0", "mask:0xffffffff", "bits:31"}) {
    SCOPED_TRACE(spec);
    const Protection p = Protection::parse(spec);
    EXPECT_EQ(Protection::parse(p.spec()), p);
  }
}

TEST(ProtectionTest, MasksOnAnEightBitFixedPoint) {
  const Format q = Format::parse("q2.6-2c");
  ASSERT_EQ(q.width(), 8);
  EXPECT_EQ(Protection::parse("none").protected_mask(q), 0x00u);
  EXPECT_EQ(Protection::parse("sign").protected_mask(q), 0x80u);
  EXPECT_EQ(Protection::parse("msb:1").protected_mask(q), 0x80u);
  EXPECT_EQ(Protection::parse("msb:2").protected_mask(q), 0xC0u);
  EXPECT_EQ(Protection::parse("msb:8").protected_mask(q), 0xFFu);
  EXPECT_EQ(Protection::parse("lsb:3").protected_mask(q), 0x07u);
  EXPECT_EQ(Protection::parse("mask:0x81").protected_mask(q), 0x81u);
  EXPECT_EQ(Protection::parse("bits:1,2").protected_mask(q), 0x06u);
  EXPECT_EQ(Protection::parse("none").faultable_mask(q), 0xFFu);
  EXPECT_EQ(Protection::parse("sign").faultable_mask(q), 0x7Fu);
  EXPECT_EQ(Protection::parse("msb:2").faultable_mask(q), 0x3Fu);
  EXPECT_EQ(Protection::parse("msb:8").faultable_mask(q), 0x00u);
}

TEST(ProtectionTest, MasksOnHalfPrecision) {
  const Format h = Format::parse("fp16");
  ASSERT_EQ(h.width(), 16);
  EXPECT_EQ(Protection::parse("none").protected_mask(h), 0x0000u);
  EXPECT_EQ(Protection::parse("sign").protected_mask(h), 0x8000u);
  EXPECT_EQ(Protection::parse("msb:2").protected_mask(h), 0xC000u);
  EXPECT_EQ(Protection::parse("msb:9").protected_mask(h), 0xFF80u);
  EXPECT_EQ(Protection::parse("lsb:10").protected_mask(h), 0x03FFu);
  EXPECT_EQ(Protection::parse("mask:0x81").protected_mask(h), 0x81u);
  EXPECT_EQ(Protection::parse("sign").faultable_mask(h), 0x7FFFu);
  EXPECT_EQ(Protection::parse("mask:0x8001").faultable_mask(h), 0x7FFEu);
}

TEST(ProtectionTest, FullWidthOnThirtyTwoBits) {
  const Format f = Format::parse("fp32");
  EXPECT_EQ(Protection::parse("sign").protected_mask(f), 0x80000000u);
  EXPECT_EQ(Protection::parse("msb:32").protected_mask(f), 0xFFFFFFFFu);
  EXPECT_EQ(Protection::parse("lsb:32").protected_mask(f), 0xFFFFFFFFu);
  EXPECT_EQ(Protection::parse("msb:1").protected_mask(f), 0x80000000u);
  EXPECT_EQ(Protection::parse("none").faultable_mask(f), 0xFFFFFFFFu);
}

TEST(ProtectionTest, TooWideForTheCodeThrowsNamingBothSpecs) {
  const Format q = Format::parse("q2.6-2c");
  for (const char* spec : {"msb:9", "lsb:9", "mask:0x100", "bits:8"}) {
    SCOPED_TRACE(spec);
    const Protection p = Protection::parse(spec);
    try {
      p.protected_mask(q);
      ADD_FAILURE() << "expected ares::InputError";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(p.spec()), std::string::npos) << what;
      EXPECT_NE(what.find("q2.6-2c"), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
    EXPECT_THROW(p.faultable_mask(q), InputError);
  }
  EXPECT_THROW(Protection::parse("msb:9").protected_mask(Format::parse("q2.6-sm")), InputError);
}

TEST(ProtectionTest, MalformedSpecsThrow) {
  for (const char* spec : {"",          "foo",    "msb:",      "msb:0",   "msb:33",
                           "msb:x",     "msb:-1", "msb:2x",    "lsb:",    "lsb:0",
                           "mask:zz",   "mask:",  "mask:0x",   "mask:ff", "mask:0x1ffffffff",
                           "mask:-0x1", "bits:",  "bits:1,,2", "bits:1,", "bits:32",
                           "bits:a",    "sign:1", "none:",     " sign",   "msb :2"}) {
    SCOPED_TRACE(spec);
    try {
      Protection::parse(spec);
      ADD_FAILURE() << "expected ares::InputError";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("protection '" + std::string(spec) + "'"), std::string::npos) << what;
    }
  }
}

TEST(ProtectionTest, CodesParseAndRoundTrip) {
  const std::pair<const char*, const char*> cases[] = {
      {"secded:72", "secded:72"},           {"SECDED:39", "secded:39"},
      {"secded:22:keep", "secded:22"},      {"secded:13:zero", "secded:13:zero"},
      {"secded:72:ZERO", "secded:72:zero"}, {"parity", "parity"}};
  for (const auto& [in, canonical] : cases) {
    SCOPED_TRACE(in);
    const Protection p = Protection::parse(in);
    EXPECT_EQ(p.spec(), canonical);
    EXPECT_TRUE(p.is_code());
    EXPECT_EQ(Protection::parse(p.spec()), p);
  }
  EXPECT_EQ(Protection::parse("secded:72").action(), EccAction::kKeep);
  EXPECT_EQ(Protection::parse("secded:72:zero").action(), EccAction::kZero);
  EXPECT_EQ(Protection::parse("parity").action(), EccAction::kZero);
  EXPECT_FALSE(Protection::parse("sign").is_code());
  EXPECT_FALSE(Protection::parse("secded:72") == Protection::parse("secded:72:zero"));
}

TEST(ProtectionTest, BadCodeSpecsNameTheSpec) {
  for (const char* bad : {"secded", "secded:", "secded:64", "secded:73", "secded:72:drop",
                          "secded:72:zero:1", "parity:1", "secded:x"}) {
    SCOPED_TRACE(bad);
    testing::expect_input_error([&] { Protection::parse(bad); }, {std::string("'") + bad + "'"});
  }
}

TEST(ProtectionTest, CodesFitWholeWordsAndCountCheckBits) {
  const Format q8 = Format::parse("q2.6-2c"), q16 = Format::parse("q8.8-2c"),
               q12 = Format::parse("q4.8-2c"), f32 = Format::parse("fp32");
  const Protection s72 = Protection::parse("secded:72");
  EXPECT_EQ(s72.protected_mask(q8), 0u);
  EXPECT_EQ(s72.faultable_mask(q8), q8.code_mask());
  EXPECT_EQ(s72.stored_bits_per_value(q8), 9.0);
  EXPECT_EQ(s72.stored_bits_per_value(q16), 18.0);
  EXPECT_EQ(s72.stored_bits_per_value(f32), 36.0);
  // 10 values of 8 bits: 80 data bits, two codewords of 72 bits.
  EXPECT_EQ(s72.population(10, q8, q8.code_mask()), 144u);
  EXPECT_EQ(Protection::parse("parity").population(10, q8, q8.code_mask()), 90u);
  EXPECT_EQ(Protection::parse("parity").stored_bits_per_value(q12), 13.0);
  EXPECT_EQ(Protection::parse("sign").population(10, q8, 0x7f), 70u);
  EXPECT_EQ(Protection::parse("secded:13").stored_bits_per_value(q8), 13.0);
  testing::expect_input_error([&] { s72.protected_mask(q12); }, {"secded:72", "q4.8-2c"});
  testing::expect_input_error([&] { Protection::parse("secded:13").code(q16); },
                              {"secded:13", "q8.8-2c"});
}

}  // namespace
}  // namespace ares::fault
