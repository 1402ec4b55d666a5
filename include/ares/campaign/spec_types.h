#pragma once
/// The small typed values of a campaign spec: engine, sampler and site
/// (and inject/param_kind.h's parameter kind). Each
/// parses from the text a flag or TOML key gives and prints back to that same text, so the
/// stored spec (CampaignSpec::to_text) reads as before. Torch-free.

#include <string>
#include <string_view>
#include <utility>

#include "ares/fault/ecc.h"
#include "ares/inject/param_kind.h"

namespace ares::campaign {

/// How a trial is evaluated (campaign/engine.h): the same rows at different costs.
enum class Engine { kFast, kPrefix, kReference };
/// Parses "fast", "prefix" or "reference". Throws ares::InputError otherwise.
Engine parse_engine(std::string_view text);
const char* to_string(Engine engine);

/// How faults are drawn: "sparse" (count, then positions: O(faults)) or "dense" (one draw per
/// bit, as the original Ares did: a benchmark yardstick).
enum class Sampler { kSparse, kDense };
Sampler parse_sampler(std::string_view text);
const char* to_string(Sampler sampler);

/// The error metric: "top1" (the argmax is wrong) or "topK" (the label is not among the K
/// highest logits), K in 1..1000. Returns K. Throws ares::InputError otherwise.
int parse_metric(std::string_view text);

/// The stored words of a scaled format that fault (CampaignSpec::words): all, data or meta.
enum class Words { kAll, kData, kMeta };
/// Parses "all", "data" or "meta"; throws ares::InputError otherwise.
Words parse_words(std::string_view text);
const char* to_string(Words words);

/// Parses --meta-protection: "none", "secded" or "secded:zero" into (SEC-DED on, what a
/// detected word becomes). Throws ares::InputError otherwise.
std::pair<bool, fault::EccAction> parse_meta_protection(std::string_view text);
/// The text of a meta protection: "none", "secded", "secded:zero".
std::string meta_protection_text(bool secded, fault::EccAction action);
/// "top1", "top5".
std::string metric_text(int top_k);

/// Where a campaign's faults land: the target weights, the output of a stage ("act:STAGE") or
/// the hidden state of a recurrent stage after every step ("hidden:STAGE"). STAGE is a stage
/// name or index, kept as written: text() gives back exactly what parse() read.
struct SiteRef {
  enum class Kind { kWeights, kActivation, kHidden };
  Kind kind = Kind::kWeights;
  std::string stage;  ///< empty for the weights

  /// Parses "weights", "act:STAGE" or "hidden:STAGE". Throws ares::InputError otherwise.
  static SiteRef parse(std::string_view text);
  static SiteRef weights() { return {}; }
  bool is_weights() const { return kind == Kind::kWeights; }
  /// "weights", "act:fc1", "hidden:gru".
  std::string text() const;
  bool operator==(const SiteRef& o) const { return kind == o.kind && stage == o.stage; }
  bool operator!=(const SiteRef& o) const { return !(*this == o); }
};

}  // namespace ares::campaign
