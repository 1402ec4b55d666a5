#include "ares/fault/protection.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace ares::fault
