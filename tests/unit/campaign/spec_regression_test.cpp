// Regression tests for inputs found by fuzzing the campaign spec readers
// (fuzz/fuzz_stored_spec.cpp, fuzz/fuzz_toml_spec.cpp). CampaignSpec::from_text reads the
// spec a result store keeps (`ares campaign --resume`, `ares export`, `ares merge`), so a
// corrupt store must give an ares::InputError, and a spec must survive the store's round trip.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "ares/campaign/spec.h"
#include "ares/common/error.h"

namespace ares::campaign {
namespace {

// Found by fuzz_stored_spec: std::stoull throws std::invalid_argument / std::out_of_range,
// so `ares export STORE` printed "ares: error: stoull" and exited 1.
TEST(SpecRegression, FromTextRejectsABadSeedWithInputError) {
  EXPECT_THROW(CampaignSpec::from_text("seed=x\n"), InputError);
  EXPECT_THROW(CampaignSpec::from_text("seed=\n"), InputError);
  EXPECT_THROW(CampaignSpec::from_text("seed=99999999999999999999\n"), InputError);
}

// Found by fuzz_stored_spec (UBSan: "1e+300 is outside the range of representable values of
// type 'int'/'long'"): from_text converts a parsed double to int or int64_t unchecked. With a
// store whose spec says trials=1e300, `ares export` reported "1 of 18446744071562067968 trials".
TEST(SpecRegression, FromTextRejectsOutOfRangeIntegersWithInputError) {
  for (const char* key : {"trials", "threads", "eval_limit", "batch", "cache_mb"}) {
    SCOPED_TRACE(key);
    for (const char* value : {"1e300", "-1e300", "9.3e18", "inf", "nan"}) {
      SCOPED_TRACE(value);
      EXPECT_THROW(CampaignSpec::from_text(std::string(key) + "=" + value + "\n"), InputError);
    }
  }
}

// Found by fuzz_toml_spec: `eval_limit = 1335842803471264427` in a TOML spec (or
// --eval-limit) is accepted, but from_text reads it back through a double as
// 1335842803471264512, so `ares campaign --resume` refused the campaign's own store ("holds
// another campaign: eval_limit is '...427' there but '...512' here"); at 2^63 - 1 the
// conversion is undefined. Either validate() rejects such a value or it round-trips exactly.
TEST(SpecRegression, LargeIntegersRoundTripThroughTheStoredText) {
  for (int64_t v : {int64_t{1335842803471264427}, int64_t{9223372036854775807}}) {
    for (int field = 0; field < 3; ++field) {
      SCOPED_TRACE(std::to_string(v) + " in field " + std::to_string(field));
      CampaignSpec spec;
      spec.checkpoints = {"a.ckpt"};
      spec.configs = parse_configs({"q2.6-2c"}, {"none"});
      spec.bers = {1e-3};
      (field == 0 ? spec.eval_limit : field == 1 ? spec.batch : spec.cache_mb) = v;
      try {
        spec.validate();
      } catch (const InputError&) {
        continue;  // rejected up front: fine
      }
      CampaignSpec back;
      ASSERT_NO_THROW(back = CampaignSpec::from_text(spec.to_text()));
      EXPECT_EQ(back.to_text(), spec.to_text());
      EXPECT_EQ(back.identity_text(), spec.identity_text());
    }
  }
}

}  // namespace
}  // namespace ares::campaign
