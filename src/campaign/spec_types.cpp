#include "ares/campaign/spec_types.h"

#include <cctype>
#include <string>

#include "ares/common/error.h"

namespace ares::campaign {

Engine parse_engine(std::string_view text) {
  if (text == "fast") return Engine::kFast;
  if (text == "prefix") return Engine::kPrefix;
  if (text == "reference") return Engine::kReference;
  throw InputError("unknown engine '" + std::string(text) +
                   "' (expected fast, prefix or reference)");
}

const char* to_string(Engine engine) {
  switch (engine) {
    case Engine::kPrefix:
      return "prefix";
    case Engine::kReference:
      return "reference";
    case Engine::kFast:
      break;
  }
  return "fast";
}

Sampler parse_sampler(std::string_view text) {
  if (text == "sparse") return Sampler::kSparse;
  if (text == "dense") return Sampler::kDense;
  throw InputError("unknown sampler '" + std::string(text) + "' (expected sparse or dense)");
}

const char* to_string(Sampler sampler) { return sampler == Sampler::kDense ? "dense" : "sparse"; }

int parse_metric(std::string_view text) {
  const std::string t(text);
  int k = 0;
  size_t used = 0;
  if (t.size() > 3 && t.compare(0, 3, "top") == 0 && std::isdigit((unsigned char)t[3])) {
    try {
      k = std::stoi(t.substr(3), &used);
    } catch (const std::exception&) {
      used = 0;
    }
  }
  ARES_CHECK(used > 0 && used == t.size() - 3 && k >= 1 && k <= 1000, "unknown metric '", t,
             "' (expected top1, or topK with K in 1..1000, e.g. top5)");
  return k;
}

Words parse_words(std::string_view text) {
  if (text == "all") return Words::kAll;
  if (text == "data") return Words::kData;
  if (text == "meta") return Words::kMeta;
  throw InputError("expected all, data or meta, got '" + std::string(text) + "'");
}

const char* to_string(Words words) {
  return words == Words::kData ? "data" : words == Words::kMeta ? "meta" : "all";
}

std::pair<bool, fault::EccAction> parse_meta_protection(std::string_view text) {
  if (text == "none") return {false, fault::EccAction::kKeep};
  if (text == "secded") return {true, fault::EccAction::kKeep};
  if (text == "secded:zero") return {true, fault::EccAction::kZero};
  throw InputError("expected none, secded or secded:zero, got '" + std::string(text) + "'");
}

std::string meta_protection_text(bool secded, fault::EccAction action) {
  if (!secded) return "none";
  return action == fault::EccAction::kZero ? "secded:zero" : "secded";
}

std::string metric_text(int top_k) { return "top" + std::to_string(top_k); }

SiteRef SiteRef::parse(std::string_view text) {
  SiteRef site;
  if (text == "weights") return site;
  auto tail = [&text](std::string_view prefix) {
    return text.size() > prefix.size() && text.substr(0, prefix.size()) == prefix;
  };
  if (tail("act:")) {
    site.kind = Kind::kActivation;
    site.stage = std::string(text.substr(4));
  } else if (tail("hidden:")) {
    site.kind = Kind::kHidden;
    site.stage = std::string(text.substr(7));
  } else {
    throw InputError("site '" + std::string(text) +
                     "' is not 'weights', 'act:STAGE' or 'hidden:STAGE'");
  }
  return site;
}

std::string SiteRef::text() const {
  switch (kind) {
    case Kind::kActivation:
      return "act:" + stage;
    case Kind::kHidden:
      return "hidden:" + stage;
    case Kind::kWeights:
      break;
  }
  return "weights";
}

}  // namespace ares::campaign
