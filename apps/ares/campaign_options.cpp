#include "campaign_options.h"

#include <fstream>

#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/fault/fault_model.h"

namespace ares::cli {

std::set<std::string> campaign_flags() {
  return {"checkpoint", "formats",    "protections", "bers",    "ber-min",
          "ber-max",    "ber-points", "fault-model", "site",    "trials",
          "seed",       "targets",    "semantics",   "dataset", "eval-limit",
          "batch",      "cache-mb",   "threads",     "engine",  "levels",
          "out",        "spec",       "param-kind",  "bits",    "device"};
}

const char* campaign_flags_help() {
  return "  --checkpoint A,B    checkpoints, one per instance (or give them as arguments)\n"
         "  --formats LIST      formats, each optionally with +PROTECTION\n"
         "                      (default q2.6-2c,q2.6-sm,q2.6-2c+sign)\n"
         "  --protections LIST  protections for formats without one: none, sign, msb:K,\n"
         "                      lsb:K, mask:0xHEX, bits:A,B (default none)\n"
         "  --bers LIST         explicit BERs; or --ber-min 1e-9 --ber-max 1e-3 --ber-points 50\n"
         "  --trials N          trials per BER (default 20)\n"
         "  --seed S            campaign seed (default 1)\n"
         "  --targets GLOBS     parameter-name globs, e.g. 'fc1.*,*.bias' (default '*')\n"
         "  --param-kind K      weight site: weight, bias or all (default) parameters\n"
         "  --bits LIST         bit indices of the stored word that may be faulted, e.g. 7 or\n"
         "                      0-3,7 (0 = LSB; default all); protected bits stay protected,\n"
         "                      and the BER applies to values x selected bits\n"
         "  --semantics S       bernoulli (default) or exact\n"
         "  --site S            weights (default); act:STAGE (the stage's output, stored\n"
         "                      in each format, faulted at every inference); hidden:STAGE\n"
         "                      (a GRU stage's hidden state after every step, likewise)\n"
         "  --fault-model M     flip (default), stuck0, stuck1 (per bit); signflip, zero,\n"
         "                      uniform, gaussian:SIGMA (per value; see docs/faults.md)\n"
         "  --dataset D         override the checkpoint's dataset\n"
         "  --eval-limit N      evaluate on the first N test samples (default all)\n"
         "  --batch N           evaluation batch (default 256)\n"
         "  --cache-mb N        memory for cached clean activations (default 3072)\n"
         "  --threads T         worker threads (default: all cores); results do not change\n"
         "  --engine E          fast (default), prefix or reference\n"
         "  --device D          cpu (default), cuda or cuda:N: the model, caches and\n"
         "                      injection on a GPU (a CUDA LibTorch build), any site\n"
         "  --levels LIST       degradation levels in % relative (default 0.5,1,5,10)\n"
         "  --spec FILE.toml    read these settings from a TOML file (flags override it)\n";
}

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// One TOML scalar -> text; strings lose their quotes.
std::string toml_scalar(const std::string& v, const std::string& where) {
  std::string t = trim(v);
  ARES_CHECK(!t.empty(), where, ": missing value");
  if (t.front() == '"' || t.front() == '\'') {
    ARES_CHECK(t.size() >= 2 && t.back() == t.front(), where, ": unterminated string ", t);
    return t.substr(1, t.size() - 2);
  }
  if (t == "true") return "1";
  if (t == "false") return "0";
  return t;
}

}  // namespace

std::vector<std::string> toml_to_args(const std::string& path) {
  std::ifstream in(path);
  ARES_CHECK(in, path, ": cannot open campaign spec");
  std::vector<std::string> out;
  std::string line;
  int lineno = 0;
  auto flags = campaign_flags();
  while (std::getline(in, line)) {
    ++lineno;
    std::string where = path + ":" + std::to_string(lineno);
    // Strip comments outside strings.
    bool in_str = false;
    char quote = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (in_str) {
        if (c == quote) in_str = false;
      } else if (c == '"' || c == '\'') {
        in_str = true;
        quote = c;
      } else if (c == '#') {
        line.resize(i);
        break;
      }
    }
    line = trim(line);
    if (line.empty()) continue;
    if (line.front() == '[') {
      ARES_CHECK(line == "[campaign]", where, ": only a [campaign] table is supported, got ", line);
      continue;
    }
    auto eq = line.find('=');
    ARES_CHECK(eq != std::string::npos, where, ": expected key = value");
    std::string key = trim(line.substr(0, eq));
    for (char& c : key) c = c == '_' ? '-' : c;
    ARES_CHECK(flags.count(key) && key != "spec", where, ": unknown key '", key, "'");
    std::string value = trim(line.substr(eq + 1));
    std::string text;
    if (!value.empty() && value.front() == '[') {
      ARES_CHECK(value.back() == ']', where, ": arrays must close on the same line");
      std::string body = value.substr(1, value.size() - 2);
      for (const auto& item : split_list(body)) {
        std::string s = toml_scalar(item, where);
        if (!s.empty()) text += (text.empty() ? "" : ",") + s;
      }
    } else {
      text = toml_scalar(value, where);
    }
    out.push_back("--" + key);
    out.push_back(text);
  }
  return out;
}

campaign::CampaignSpec spec_from_args(const Args& args) {
  campaign::CampaignSpec spec;
  std::vector<std::string> ckpts = split_list(args.get_or("checkpoint", ""));
  for (const auto& p : args.positional()) ckpts.push_back(p);
  spec.checkpoints = ckpts;
  spec.configs =
      campaign::parse_configs(split_list(args.get_or("formats", "q2.6-2c,q2.6-sm,q2.6-2c+sign")),
                              split_list(args.get_or("protections", "none")));
  if (args.has("bers")) {
    for (const auto& b : split_list(*args.get("bers"))) {
      spec.bers.push_back(args.parse_double(b, "--bers"));
    }
  } else {
    long long points = args.get_int("ber-points", 50);
    ARES_CHECK(points >= 1 && points <= 100000, args.command(),
               ": --ber-points must be in 1..100000, got ", points);
    spec.bers = campaign::log_grid(args.get_double("ber-min", 1e-9),
                                   args.get_double("ber-max", 1e-3), int(points));
  }
  long long trials = args.get_int("trials", 20);
  ARES_CHECK(trials >= 1 && trials <= 1000000, args.command(),
             ": --trials must be in 1..1000000, got ", trials);
  spec.trials = int(trials);
  long long seed = args.get_int("seed", 1);
  ARES_CHECK(seed >= 0, args.command(), ": --seed must be >= 0, got ", seed);
  spec.seed = uint64_t(seed);
  spec.targets = split_list(args.get_or("targets", "*"));
  spec.param_kind = args.get_or("param-kind", "all");
  if (args.has("bits")) spec.bits = campaign::parse_bit_list(*args.get("bits"));
  spec.semantics = fault::parse_semantics(args.get_or("semantics", "bernoulli"));
  spec.fault_model = fault::FaultModel::parse(args.get_or("fault-model", "flip")).spec();
  spec.site = args.get_or("site", "weights");
  spec.dataset = args.get_or("dataset", "");
  spec.eval_limit = args.get_int("eval-limit", 0);
  spec.batch = args.get_int("batch", 256);
  spec.cache_mb = args.get_int("cache-mb", 3072);
  long long threads = args.get_int("threads", campaign::available_cores());
  ARES_CHECK(threads >= 1 && threads <= 1024, args.command(),
             ": --threads must be in 1..1024, got ", threads);
  spec.threads = int(threads);
  spec.engine = args.get_or("engine", "fast");
  spec.device = args.get_or("device", "cpu");
  if (args.has("levels")) {
    spec.levels.clear();
    for (const auto& l : split_list(*args.get("levels"))) {
      spec.levels.push_back(args.parse_double(l, "--levels"));
    }
  }
  spec.progress = !args.has("quiet");
  spec.validate();
  return spec;
}

}  // namespace ares::cli
