#include "ares/campaign/spec.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <tuple>

#include "ares/common/device_name.h"
#include "ares/common/error.h"
#include "ares/common/text.h"
#include "ares/fault/fault_model.h"
#include "ares/fault/protection.h"
#include "ares/format/format.h"

namespace ares::campaign {

std::vector<double> log_grid(double lo, double hi, int n) {
  ARES_CHECK(n >= 1, "BER grid needs at least 1 point, got ", n);
  ARES_CHECK(lo > 0 && hi <= 1 && lo <= hi, "BER grid [", lo, ", ", hi,
             "] must satisfy 0 < lo <= hi <= 1");
  if (n == 1) return {lo};
  std::vector<double> out;
  out.reserve(size_t(n));
  double a = std::log10(lo), b = std::log10(hi);
  for (int i = 0; i < n; ++i) out.push_back(std::pow(10.0, a + (b - a) * i / (n - 1)));
  out.front() = lo;
  out.back() = hi;
  return out;
}

std::vector<Config> parse_configs(const std::vector<std::string>& formats,
                                  const std::vector<std::string>& protections) {
  ARES_CHECK(!formats.empty(), "campaign: no formats given");
  ARES_CHECK(!protections.empty(), "campaign: no protections given");
  std::vector<Config> out;
  for (const auto& entry : formats) {
    auto plus = entry.find('+');
    std::string fmt = entry.substr(0, plus);
    auto f = format::Format::parse(fmt);
    std::vector<std::string> prots;
    if (plus != std::string::npos) {
      prots.push_back(entry.substr(plus + 1));
    } else {
      prots = protections;
    }
    for (const auto& p : prots) {
      auto prot = fault::Protection::parse(p);
      prot.protected_mask(f);  // throws when it does not fit the format
      Config c{f.spec(), prot.spec()};
      for (const auto& o : out) {
        ARES_CHECK(o.label() != c.label(), "campaign: configuration ", c.label(), " given twice");
      }
      out.push_back(c);
    }
  }
  return out;
}

void CampaignSpec::validate() const {
  ARES_CHECK(!checkpoints.empty(), "campaign: no checkpoint given");
  ARES_CHECK(!configs.empty(), "campaign: no format given");
  ARES_CHECK(!bers.empty(), "campaign: empty BER grid");
  for (size_t i = 0; i < bers.size(); ++i) {
    ARES_CHECK(std::isfinite(bers[i]) && bers[i] > 0 && bers[i] <= 1, "campaign: BER ", bers[i],
               " is outside (0, 1]");
    ARES_CHECK(i == 0 || bers[i] > bers[i - 1], "campaign: BERs must be strictly ascending (",
               bers[i - 1], " then ", bers[i], ")");
  }
  ARES_CHECK(trials >= 1 && trials <= 1000000, "campaign: trials must be in 1..1000000, got ",
             trials);
  ARES_CHECK(threads >= 1 && threads <= 1024, "campaign: threads must be in 1..1024, got ",
             threads);
  ARES_CHECK(batch >= 1, "campaign: batch must be >= 1, got ", batch);
  ARES_CHECK(eval_limit >= 0, "campaign: eval limit must be >= 0, got ", eval_limit);
  ARES_CHECK(top_k >= 1 && top_k <= 1000, "campaign: metric top", top_k,
             " is not in top1..top1000");
  ARES_CHECK(cache_mb >= 0, "campaign: cache-mb must be >= 0, got ", cache_mb);
  ARES_CHECK(!paired || (site.is_weights() && sampler == Sampler::kSparse &&
                         semantics == fault::Semantics::kBernoulli),
             "campaign: --pairing paired needs the weight site, the sparse sampler and bernoulli "
             "semantics (site ",
             site.text(), ", sampler ", to_string(sampler), ", semantics ",
             fault::to_string(semantics), ")");
  ARES_CHECK(sampler == Sampler::kSparse || semantics == fault::Semantics::kBernoulli,
             "campaign: the dense sampler implements bernoulli semantics only");
  ARES_CHECK(site.is_weights() || !site.stage.empty(), "campaign: site '", site.text(),
             "' names no stage");
  ARES_CHECK(param_kind == inject::ParamKind::kAll || site.is_weights(), "campaign: --param-kind ",
             inject::to_string(param_kind), " selects parameters of the weight site; site '",
             site.text(), "' has none");
  for (size_t i = 0; i < bits.size(); ++i) {
    ARES_CHECK(bits[i] >= 0 && bits[i] <= 31 && (i == 0 || bits[i] > bits[i - 1]),
               "campaign: bits must be distinct ascending indices in 0..31, got ",
               bit_list_text(bits));
  }
  for (const auto& c : configs) selected_bits(format::Format::parse(c.format));
  bool any_scaled = false;
  ARES_CHECK(!meta_secded || words != Words::kData,
             "campaign: --meta-protection protects metadata words, and --words data faults none");
  for (const auto& c : configs) {
    const auto fmt = format::Format::parse(c.format);
    any_scaled = any_scaled || fmt.is_scaled();
    if (!fmt.is_scaled()) {
      ARES_CHECK(words != Words::kMeta,
                 "campaign: --words meta faults the scales of scaled "
                 "formats; format ",
                 fmt.spec(), " has none");
      continue;
    }
    const auto refuse = [&](bool ok, const std::string& why) {
      ARES_CHECK(ok, "campaign: format ", fmt.spec(),
                 " is scaled (its scales are stored with "
                 "the weights): ",
                 why);
    };
    refuse(site.is_weights(), "site '" + site.text() +
                                  "' would need a calibrated scale; use the "
                                  "weight site");
    refuse(!paired, "it cannot be combined with --pairing paired");
    refuse(sampler == Sampler::kSparse, "it needs the sparse sampler");
    refuse(!fault::Protection::parse(c.protection).is_code(),
           "protection codes over its data words are not built (--meta-protection secded "
           "protects its scales and zero points)");
    if (meta_secded) {
      metadata_code(fmt.scale_format());  // throws when a metadata word has no code
      if (fmt.scaling().zero_point) metadata_code(fmt.element());
      refuse(
          fault_model.kind() == fault::FaultModel::Kind::kFlip,
          "--meta-protection secded needs the flip fault model, not '" + fault_model.spec() + "'");
    }
  }
  ARES_CHECK(!meta_secded || any_scaled,
             "campaign: --meta-protection protects the scales of scaled formats; no format is "
             "scaled");
  for (const auto& c : configs) {
    const auto prot = fault::Protection::parse(c.protection);
    if (!prot.is_code()) continue;
    // A code stores check bits beside whole words and decodes the codewords a fault hit:
    // bit flips in weights, drawn by the sparse sampler over every bit, on their own cells.
    const auto refuse = [&](bool ok, const char* why) {
      ARES_CHECK(ok, "campaign: protection '", prot.spec(), "' (", c.label(), ") ", why);
    };
    refuse(site.is_weights(),
           ("protects stored weights only, not site '" + site.text() + "'").c_str());
    refuse(!paired, "cannot be combined with --pairing paired");
    refuse(sampler == Sampler::kSparse, "needs the sparse sampler");
    refuse(fault_model.kind() == fault::FaultModel::Kind::kFlip,
           ("needs the flip fault model, not '" + fault_model.spec() + "'").c_str());
    refuse(bits.empty(), "covers every bit of a word; it cannot be combined with --bits");
    prot.code(format::Format::parse(c.format));  // throws when the words do not fit
  }
  check_device_name(device, "campaign");
  ARES_CHECK(site.is_weights() || sampler == Sampler::kSparse,
             "campaign: the dense sampler is for weight campaigns only");
  ARES_CHECK(sampler == Sampler::kSparse || fault_model.kind() == fault::FaultModel::Kind::kFlip,
             "campaign: the dense sampler implements bit flips only");
  ARES_CHECK(!targets.empty(), "campaign: no target parameters");
  ARES_CHECK(shard_count >= 1 && shard_index >= 0 && shard_index < shard_count, "campaign: shard ",
             shard_index, "/", shard_count, " is not I/N with 0 <= I < N");
  for (double l : levels) ARES_CHECK(l >= 0, "campaign: degradation level ", l, " is negative");
  if (chips > 0) {
    const auto refuse = [&](bool ok, const std::string& why) {
      ARES_CHECK(ok, "campaign: --chips ", chips, ": ", why);
    };
    refuse(trials == chips, "the trials are the chips");
    refuse(site.is_weights(), "chips store weights; site '" + site.text() + "' is not built");
    refuse(sampler == Sampler::kSparse && semantics == fault::Semantics::kBernoulli,
           "chips need the sparse sampler and bernoulli semantics");
    refuse(fault_model.kind() == fault::FaultModel::Kind::kFlip,
           "a chip's cells are stuck at their values; --fault-model " + fault_model.spec() +
               " does not apply");
    refuse(!paired, "chips store every encoding on the same cells already; drop --pairing");
    for (const auto& c : configs) {
      refuse(!format::Format::parse(c.format).is_scaled(),
             "format " + c.format + " is scaled; chips over metadata are not built");
      refuse(!fault::Protection::parse(c.protection).is_code(),
             "protection " + c.protection + " is a code; chips under codes are not built");
    }
  } else {
    ARES_CHECK(load_chips.empty() && save_chips.empty(),
               "campaign: --load-chips and --save-chips need --chips N");
  }
  ARES_CHECK(yield >= 0 && yield <= 100,
             "campaign: yield must be in 0..100 (percent of trials; "
             "0: off), got ",
             yield);
}

fault::BlockCode metadata_code(const format::Format& word) {
  const int w = word.width();
  ARES_CHECK(w == 2 || w == 4 || w == 8 || w == 16 || w == 32,
             "campaign: --meta-protection "
             "secded: no SEC-DED layout for ",
             w, "-bit metadata words (", word.spec(), "; codes exist for 2, 4, 8, 16 and 32 bits)");
  return fault::BlockCode::secded(w <= 8 ? 13 : w == 16 ? 22 : 39);
}

uint32_t CampaignSpec::selected_bits(const format::Format& fmt) const {
  if (bits.empty()) return fmt.code_mask();
  uint32_t mask = 0;
  for (int b : bits) {
    ARES_CHECK(b >= 0 && b < fmt.width(), "campaign: --bits ", bit_list_text(bits), ": bit ", b,
               " is outside format ", fmt.spec(), " (", fmt.width(), " bits: 0..", fmt.width() - 1,
               ")");
    mask |= 1u << b;
  }
  return mask;
}

uint32_t CampaignSpec::faultable_mask(const Config& config) const {
  const auto fmt = format::Format::parse(config.format);
  return fault::Protection::parse(config.protection).faultable_mask(fmt) & selected_bits(fmt);
}

std::vector<int> parse_bit_list(const std::string& text) {
  uint32_t mask = 0;
  auto index = [&text](const std::string& s) {
    ARES_CHECK(
        !s.empty() && s.size() <= 2 && s.find_first_not_of("0123456789") == std::string::npos,
        "bits '", text, "': expected indices or ranges A-B in 0..31 (0 = LSB), got '", s, "'");
    int v = std::stoi(s);
    ARES_CHECK(v <= 31, "bits '", text, "': bit ", v, " is above 31");
    return v;
  };
  std::string item;
  std::istringstream in(text);
  bool any = false;
  while (std::getline(in, item, ',')) {
    any = true;
    auto dash = item.find('-');
    int lo = index(item.substr(0, dash));
    int hi = dash == std::string::npos ? lo : index(item.substr(dash + 1));
    ARES_CHECK(lo <= hi, "bits '", text, "': range ", item, " is empty");
    for (int b = lo; b <= hi; ++b) mask |= 1u << b;
  }
  ARES_CHECK(any && !text.empty() && text.back() != ',', "bits '", text,
             "': expected indices or ranges A-B in 0..31 (0 = LSB)");
  std::vector<int> out;
  for (int b = 0; b < 32; ++b) {
    if (mask >> b & 1u) out.push_back(b);
  }
  return out;
}

std::string bit_list_text(const std::vector<int>& bits) {
  std::string out;
  for (size_t i = 0; i < bits.size();) {
    size_t j = i;
    while (j + 1 < bits.size() && bits[j + 1] == bits[j] + 1) ++j;
    if (!out.empty()) out += ',';
    if (j >= i + 2) {
      out += std::to_string(bits[i]) + "-" + std::to_string(bits[j]);
    } else {
      for (size_t k = i; k <= j; ++k) out += (k > i ? "," : "") + std::to_string(bits[k]);
    }
    i = j + 1;
  }
  return out;
}

namespace {

template <typename T, typename F>
std::string join(const std::vector<T>& items, F f) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + f(items[i]);
  return out;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!s.empty()) out.push_back(cur);
  return out;
}

// Keys deciding the rows, in to_text() order; the rest follow.
const char* const kIdentityKeys[] = {
    "checkpoints", "configs", "bers",       "trials",    "seed",        "targets",
    "param_kind",  "bits",    "pairing",    "semantics", "fault_model", "site",
    "sampler",     "dataset", "eval_limit", "metric",    "words"};

}  // namespace

std::string CampaignSpec::to_text() const {
  auto id = [](const std::string& s) { return s; };
  std::ostringstream os;
  os << "checkpoints=" << join(checkpoints, id) << '\n'
     << "configs=" << join(configs, [](const Config& c) { return c.label(); }) << '\n'
     << "bers=" << join(bers, exact_number) << '\n'
     << "trials=" << trials << '\n'
     << "seed=" << seed << '\n'
     << "targets=" << join(targets, id) << '\n';
  // Written only when not the default: stores made before these keys keep their identity.
  if (param_kind != inject::ParamKind::kAll) {
    os << "param_kind=" << inject::to_string(param_kind) << '\n';
  }
  if (!bits.empty()) os << "bits=" << bit_list_text(bits) << '\n';
  if (paired) os << "pairing=paired\n";
  os << "semantics=" << fault::to_string(semantics) << '\n'
     << "fault_model=" << fault_model.spec() << '\n'
     << "site=" << site.text() << '\n'
     << "sampler=" << to_string(sampler) << '\n'
     << "dataset=" << dataset << '\n'
     << "eval_limit=" << eval_limit << '\n';
  if (top_k != 1) os << "metric=top" << top_k << '\n';  // not the default: identity unchanged
  if (words != Words::kAll) os << "words=" << to_string(words) << '\n';  // likewise
  if (meta_secded)
    os << "meta_protection=" << meta_protection_text(meta_secded, meta_action) << '\n';
  os << "levels=" << join(levels, exact_number) << '\n'
     << "engine=" << to_string(engine) << '\n'
     << "batch=" << batch << '\n'
     << "cache_mb=" << cache_mb << '\n'
     << "threads=" << threads << '\n';
  if (device != "cpu") os << "device=" << device << '\n';
  if (yield != 0) os << "yield=" << exact_number(yield) << '\n';
  if (chips != 0) os << "chips=" << chips << '\n';
  if (!load_chips.empty()) os << "load_chips=" << load_chips << '\n';
  return os.str();
}

std::string CampaignSpec::identity_text() const {
  std::istringstream in(to_text());
  std::string line, out;
  while (std::getline(in, line)) {
    std::string key = line.substr(0, line.find('='));
    for (const char* k : kIdentityKeys) {
      if (key == k) out += line + '\n';
    }
  }
  return out;
}

CampaignSpec CampaignSpec::from_text(const std::string& text) {
  CampaignSpec s;
  std::istringstream in(text);
  std::string line;
  // Integers are parsed as integers (a double would round 64-bit values) and range-checked.
  auto integer = [](const std::string& key, const std::string& v, long long lo, long long hi) {
    errno = 0;
    char* end = nullptr;
    long long x = std::strtoll(v.c_str(), &end, 10);
    ARES_CHECK(!v.empty() && end && *end == '\0' && errno == 0 && x >= lo && x <= hi,
               "stored spec: bad integer '", v, "' for ", key);
    return x;
  };
  auto number = [](const std::string& key, const std::string& v) {
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    ARES_CHECK(!v.empty() && end && *end == '\0', "stored spec: bad number '", v, "' for ", key);
    return x;
  };
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto eq = line.find('=');
    ARES_CHECK(eq != std::string::npos, "stored spec: bad line '", line, "'");
    std::string key = line.substr(0, eq), v = line.substr(eq + 1);
    if (key == "checkpoints") {
      s.checkpoints = split(v);
    } else if (key == "configs") {
      s.configs = parse_configs(split(v), {"none"});
    } else if (key == "bers") {
      s.bers.clear();
      for (const auto& b : split(v)) s.bers.push_back(number(key, b));
    } else if (key == "trials") {
      s.trials = int(integer(key, v, 1, 1000000));
    } else if (key == "seed") {
      errno = 0;
      char* end = nullptr;
      unsigned long long seed = std::strtoull(v.c_str(), &end, 10);
      ARES_CHECK(!v.empty() && v[0] != '-' && end && *end == '\0' && errno == 0,
                 "stored spec: bad seed '", v, "'");
      s.seed = seed;
    } else if (key == "targets") {
      s.targets = split(v);
    } else if (key == "device") {
      s.device = v;
    } else if (key == "param_kind") {
      s.param_kind = inject::parse_param_kind(v);
    } else if (key == "bits") {
      s.bits = parse_bit_list(v);
    } else if (key == "semantics") {
      s.semantics = fault::parse_semantics(v);
    } else if (key == "fault_model") {
      s.fault_model = fault::FaultModel::parse(v);
    } else if (key == "site") {
      s.site = SiteRef::parse(v);
    } else if (key == "sampler") {
      s.sampler = parse_sampler(v);
    } else if (key == "dataset") {
      s.dataset = v;
    } else if (key == "eval_limit") {
      s.eval_limit = integer(key, v, 0, INT64_MAX);
    } else if (key == "levels") {
      s.levels.clear();
      for (const auto& l : split(v)) s.levels.push_back(number(key, l));
    } else if (key == "metric") {
      s.top_k = parse_metric(v);
    } else if (key == "words") {
      s.words = parse_words(v);
    } else if (key == "meta_protection") {
      std::tie(s.meta_secded, s.meta_action) = parse_meta_protection(v);
    } else if (key == "pairing") {
      ARES_CHECK(v == "paired" || v == "independent", "stored spec: bad pairing '", v, "'");
      s.paired = v == "paired";
    } else if (key == "yield") {
      s.yield = number(key, v);
    } else if (key == "chips") {
      s.chips = int(integer(key, v, 0, 1000000));
    } else if (key == "load_chips") {
      s.load_chips = v;
    } else if (key == "engine") {
      s.engine = parse_engine(v);
    } else if (key == "batch") {
      s.batch = integer(key, v, 1, INT64_MAX);
    } else if (key == "cache_mb") {
      s.cache_mb = integer(key, v, 0, INT64_MAX);
    } else if (key == "threads") {
      s.threads = int(integer(key, v, 1, 1024));
    } else {
      throw InputError("stored spec: unknown key '" + key + "'");
    }
  }
  return s;
}

}  // namespace ares::campaign
