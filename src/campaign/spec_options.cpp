#include "ares/campaign/spec_options.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <tuple>

#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/common/text.h"
#include "ares/fault/fault_model.h"

namespace ares::campaign {

namespace {

using K = ValueKind;

// The one table. Its defaults are the paper's campaign (and CampaignSpec's member defaults;
// tests/unit/campaign/spec_options_test.cpp holds the two together).
const std::vector<SpecKey> kKeys = {
    {"checkpoint", K::kList, "A,B", "",
     "checkpoints, one per instance (or give them as arguments)"},
    {"formats", K::kList, "LIST", "q2.6-2c,q2.6-sm,q2.6-2c+sign",
     "formats, each optionally with +PROTECTION"},
    {"protections", K::kList, "LIST", "none",
     "protections for formats without one: none, sign, msb:K,\nlsb:K, mask:0xHEX, bits:A,B,\n"
     "secded:N[:zero] (N = 72, 39, 22, 13), parity"},
    {"bers", K::kList, "LIST", "", "explicit BERs, ascending; else the log-spaced grid below"},
    {"ber_min", K::kNumber, "X", "1e-9", "lowest BER of the grid"},
    {"ber_max", K::kNumber, "X", "1e-3", "highest BER of the grid"},
    {"ber_points", K::kInteger, "N", "50", "BERs in the grid"},
    {"trials", K::kInteger, "N", "20", "trials per BER"},
    {"seed", K::kInteger, "S", "1", "campaign seed"},
    {"targets", K::kList, "GLOBS", "*", "parameter-name globs, e.g. 'fc1.*,*.bias'"},
    {"param_kind", K::kText, "K", "all", "weight site: weight, bias or all parameters"},
    {"bits", K::kList, "LIST", "",
     "bit indices of the stored word that may be faulted, e.g. 7 or\n0-3,7 (0 = LSB; default "
     "all); protected bits stay protected,\nand the BER applies to values x selected bits"},
    {"semantics", K::kText, "S", "bernoulli", "bernoulli or exact"},
    {"metric", K::kText, "M", "top1",
     "top1 (error: the highest logit is not the label) or topK\n(the label is not among the K "
     "highest logits, e.g. top5)"},
    {"pairing", K::kText, "P", "independent",
     "independent, or paired: configurations of one width fault\nthe same cells in each trial "
     "(protected bits dropped)"},
    {"words", K::kText, "W", "all",
     "scaled formats (intN..., mx...): the stored words that fault:\nall, data or meta (the "
     "scales and zero points)"},
    {"meta_protection", K::kText, "P", "none",
     "scaled formats: none, or secded (each scale and zero point a\nSEC-DED codeword; "
     "secded:zero zeroes a detected word)"},
    {"site", K::kText, "S", "weights",
     "weights; act:STAGE (the stage's output, stored in each\nformat, faulted at every "
     "inference); act:NAME (a\nTorchScript model's submodule or op output: ares sites\n"
     "lists them); hidden:STAGE (a GRU stage's hidden\nstate after every step, likewise)"},
    {"fault_model", K::kText, "M", "flip",
     "flip, stuck0, stuck1, asym:R, mbu:L, burst:M,\nmlc:B[-gray|-bin][:W0,...] (per bit); "
     "signflip, "
     "zero,\nuniform, gaussian:SIGMA (per value; see docs/faults.md)"},
    {"dataset", K::kText, "D", "", "override the checkpoint's dataset"},
    {"eval_limit", K::kInteger, "N", "0", "evaluate on the first N test samples (0: all)"},
    {"batch", K::kInteger, "N", "256", "evaluation batch"},
    {"cache_mb", K::kInteger, "N", "3072", "memory for cached clean activations"},
    {"threads", K::kInteger, "T", "", "worker threads (default: all cores); results do not change"},
    {"engine", K::kText, "E", "fast", "fast, prefix or reference"},
    {"device", K::kText, "D", "cpu",
     "cpu, cuda or cuda:N: the model, caches and injection\non a GPU (a CUDA LibTorch build)"},
    {"levels", K::kList, "LIST", "0.5,1,5,10", "degradation levels in % relative"},
    {"chips", K::kInteger, "N", "0",
     "persistent chips in place of trials: N fault maps of stuck-at\ncells, each used for "
     "every format and BER (docs/faults.md)"},
    {"load_chips", K::kText, "DIR", "", "chips: read DIR/chip-K.csv instead of drawing them"},
    {"save_chips", K::kText, "DIR", "", "chips: write each chip's map to DIR/chip-K.csv"},
    {"yield", K::kNumber, "Y", "0",
     "also yield thresholds: the highest BER at which at least Y%\nof trials stay within each "
     "level (0: off)"},
    {"out", K::kText, "DIR", "", "output directory (each command has its default)"},
};

std::string key_of(std::string_view name) {
  std::string k(name);
  for (char& c : k) c = c == '-' ? '_' : c;
  return k;
}

// " (did you mean 'trials'?)" for a near miss, else "".
std::string suggestion(const std::string& key, bool as_flag) {
  const SpecKey* best = nullptr;
  size_t best_d = 3;
  for (const auto& k : kKeys) {
    size_t d = edit_distance(key, k.key);
    if (d < best_d) best = &k, best_d = d;
  }
  if (!best) return "";
  return std::string(" (did you mean '") + (as_flag ? "--" + flag_name(*best) : best->key) + "'?)";
}

// One given or default value, and the parsers that name where it came from.
struct Field {
  std::string text;
  std::string where;  // "--trials", "spec.toml:4: trials", "default trials"
  bool given;

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError("campaign: " + where + ": " + what);
  }
  long long integer(long long lo, long long hi) const {
    errno = 0;
    char* end = nullptr;
    long long x = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || errno != 0 || !end || *end != '\0') {
      fail("expects an integer, got '" + text + "'");
    }
    if (x < lo || x > hi) {
      fail("must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + text);
    }
    return x;
  }
  static double number_of(const Field& f, const std::string& t) {
    errno = 0;
    char* end = nullptr;
    double x = std::strtod(t.c_str(), &end);
    if (t.empty() || errno != 0 || !end || *end != '\0')
      f.fail("expects a number, got '" + t + "'");
    return x;
  }
  double number() const { return number_of(*this, text); }
  std::vector<std::string> list() const { return split_list(text); }
  std::vector<double> numbers() const {
    std::vector<double> out;
    for (const auto& item : list()) out.push_back(number_of(*this, item));
    return out;
  }
  // Runs a parser of the library (format specs, fault models...) and names the source.
  template <typename F>
  auto parsed(F f) const -> decltype(f(text)) {
    try {
      return f(text);
    } catch (const InputError& e) {
      std::string what = e.what();
      if (what.rfind("campaign: ", 0) == 0) what.erase(0, 10);
      fail(what);
    }
  }
};

// toml++ node -> the text a flag would give; wrong types name the key and line.
std::string toml_text(const toml::node& node, const SpecKey& key, const std::string& where) {
  auto scalar = [&](const toml::node& n, bool in_list) -> std::string {
    if (auto s = n.as_string()) return s->get();
    if (auto i = n.as_integer()) return std::to_string(i->get());
    if (auto f = n.as_floating_point()) return exact_number(f->get());
    const char* expected = key.kind == K::kText      ? "a string"
                           : key.kind == K::kInteger ? "an integer"
                           : key.kind == K::kNumber  ? "a number"
                                                     : "an array, a string or a number";
    throw InputError("campaign: " + where + ": expects " + expected +
                     (in_list ? " in the array" : "") + ", got " +
                     (n.is_boolean() ? "a boolean"
                      : n.is_array() ? "an array"
                      : n.is_table() ? "a table"
                                     : "a date or time"));
  };
  auto wrong = [&](const char* expected, const char* got) {
    throw InputError("campaign: " + where + ": expects " + expected + ", got " + got);
  };
  switch (key.kind) {
    case K::kText:
      if (!node.is_string()) wrong("a string", node.is_number() ? "a number" : "another type");
      return scalar(node, false);
    case K::kInteger:
      if (!node.is_integer()) wrong("an integer", node.is_string() ? "a string" : "another type");
      return scalar(node, false);
    case K::kNumber:
      if (!node.is_number()) wrong("a number", node.is_string() ? "a string" : "another type");
      return scalar(node, false);
    case K::kList:
      break;
  }
  if (auto arr = node.as_array()) {
    std::string out;
    for (const auto& item : *arr) {
      std::string s = scalar(item, true);
      if (!s.empty()) out += (out.empty() ? "" : ",") + s;
    }
    return out;
  }
  return scalar(node, false);
}

}  // namespace

const std::vector<SpecKey>& spec_keys() { return kKeys; }

const SpecKey* find_spec_key(std::string_view name) {
  const std::string k = key_of(name);
  for (const auto& key : kKeys) {
    if (k == key.key) return &key;
  }
  return nullptr;
}

std::string flag_name(const SpecKey& key) {
  std::string f = key.key;
  for (char& c : f) c = c == '_' ? '-' : c;
  return f;
}

std::string spec_flags_help() {
  std::string out;
  for (const auto& k : kKeys) {
    std::string lead = "  --" + flag_name(k) + " " + k.metavar;
    lead.resize(std::max<size_t>(lead.size() + 1, 22), ' ');
    std::string help = k.help;
    if (*k.default_text) {
      const std::string tail = std::string(" (default ") + k.default_text + ")";
      const size_t last = help.rfind('\n') == std::string::npos ? 0 : help.rfind('\n') + 1;
      help += lead.size() + help.size() - last + tail.size() <= 80 ? tail : "\n" + tail.substr(1);
    }
    size_t pos = 0;
    for (bool first = true; pos <= help.size(); first = false) {
      size_t nl = help.find('\n', pos);
      if (nl == std::string::npos) nl = help.size();
      out += (first ? lead : std::string(lead.size(), ' ')) + help.substr(pos, nl - pos) + "\n";
      pos = nl + 1;
    }
  }
  return out;
}

void SpecSettings::set(std::string_view name, std::string text, std::string where) {
  const SpecKey* key = find_spec_key(name);
  if (!key) {
    const bool flag = where.rfind("--", 0) == 0;
    throw InputError("campaign: " + where + ": unknown setting '" + std::string(name) + "'" +
                     suggestion(key_of(name), flag));
  }
  values_[key->key] = Value{std::move(text), std::move(where)};
}

void SpecSettings::override_with(const SpecSettings& over) {
  for (const auto& [k, v] : over.values_) values_[k] = v;
}

const SpecSettings::Value* SpecSettings::find(std::string_view name) const {
  auto it = values_.find(key_of(name));
  return it == values_.end() ? nullptr : &it->second;
}

SpecSettings read_toml_settings(const std::string& path) {
  {
    std::ifstream probe(path);
    ARES_CHECK(probe, path, ": cannot open campaign spec");
  }
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(path + ":" + std::to_string(e.source().begin.line) + ": " +
                     std::string(e.description()));
  }
  SpecSettings out;
  auto where = [&path](const toml::node& n, const std::string& key) {
    return path + ":" + std::to_string(n.source().begin.line) + ": " + key;
  };
  auto take = [&](const toml::table& table, bool top) {
    for (const auto& [name, node] : table) {
      const std::string key(name.str());
      if (top && key == "campaign" && node.is_table()) continue;
      const std::string at = where(node, key);
      const SpecKey* spec_key = find_spec_key(key);
      if (!spec_key) {
        if (node.is_table()) {
          throw InputError(path + ":" + std::to_string(node.source().begin.line) +
                           ": unknown table [" + key +
                           "] (settings go at the top or in "
                           "[campaign])");
        }
        throw InputError("campaign: " + at + ": unknown key" + suggestion(key_of(key), false));
      }
      if (auto* given = out.find(key)) {
        throw InputError("campaign: " + at + ": given twice (also at " + given->where + ")");
      }
      out.set(key, toml_text(node, *spec_key, at), at);
    }
  };
  take(root, true);
  if (auto* campaign = root["campaign"].as_table()) take(*campaign, false);
  return out;
}

CampaignSpec build_spec(const SpecSettings& settings) {
  auto field = [&settings](const char* key) {
    if (auto* v = settings.find(key)) return Field{v->text, v->where, true};
    const SpecKey* k = find_spec_key(key);
    return Field{k->default_text, std::string("default ") + key, false};
  };
  CampaignSpec spec;
  spec.checkpoints = field("checkpoint").list();
  {
    auto formats = field("formats"), prots = field("protections");
    spec.configs = formats.parsed(
        [&](const std::string&) { return parse_configs(formats.list(), prots.list()); });
  }
  if (auto bers = field("bers"); bers.given) {
    spec.bers = bers.numbers();
  } else {
    const auto points = field("ber_points").integer(1, 100000);
    auto lo = field("ber_min"), hi = field("ber_max");
    const double a = lo.number(), b = hi.number();
    spec.bers = lo.parsed([&](const std::string&) { return log_grid(a, b, int(points)); });
  }
  spec.trials = int(field("trials").integer(1, 1000000));
  if (auto chips = field("chips"); chips.given) {
    spec.chips = int(chips.integer(0, 1000000));
    ARES_CHECK(!field("trials").given || spec.chips == 0,
               "campaign: --chips N runs N chips in place of trials; give --chips or --trials");
    if (spec.chips > 0) spec.trials = spec.chips;
  }
  spec.load_chips = field("load_chips").text;
  spec.save_chips = field("save_chips").text;
  spec.seed = uint64_t(field("seed").integer(0, INT64_MAX));
  spec.targets = field("targets").list();
  spec.param_kind =
      field("param_kind").parsed([](const std::string& t) { return inject::parse_param_kind(t); });
  if (auto bits = field("bits"); bits.given) {
    spec.bits = bits.parsed([](const std::string& t) { return parse_bit_list(t); });
  }
  spec.top_k = field("metric").parsed([](const std::string& t) { return parse_metric(t); });
  spec.paired = field("pairing").parsed([](const std::string& t) {
    if (t != "paired" && t != "independent") {
      throw InputError("expected independent or paired, got '" + t + "'");
    }
    return t == "paired";
  });
  spec.words = field("words").parsed([](const std::string& t) { return parse_words(t); });
  std::tie(spec.meta_secded, spec.meta_action) =
      field("meta_protection").parsed([](const std::string& t) {
        return parse_meta_protection(t);
      });
  spec.semantics =
      field("semantics").parsed([](const std::string& t) { return fault::parse_semantics(t); });
  spec.fault_model =
      field("fault_model").parsed([](const std::string& t) { return fault::FaultModel::parse(t); });
  spec.site = field("site").parsed([](const std::string& t) { return SiteRef::parse(t); });
  spec.dataset = field("dataset").text;
  spec.eval_limit = field("eval_limit").integer(0, INT64_MAX);
  spec.batch = field("batch").integer(1, INT64_MAX);
  spec.cache_mb = field("cache_mb").integer(0, INT64_MAX);
  auto threads = field("threads");
  spec.threads = threads.given ? int(threads.integer(1, 1024)) : available_cores();
  spec.engine = field("engine").parsed([](const std::string& t) { return parse_engine(t); });
  spec.device = field("device").text;
  spec.levels = field("levels").numbers();
  spec.yield = field("yield").number();
  spec.validate();
  return spec;
}

CampaignSpec CampaignSpec::from_toml(const std::string& path) {
  return build_spec(read_toml_settings(path));
}

}  // namespace ares::campaign
