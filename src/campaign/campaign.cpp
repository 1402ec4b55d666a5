#include "ares/campaign/campaign.h"

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <tuple>

#include "ares/analysis/json.h"
#include "ares/analysis/stats.h"
#include "ares/campaign/in_memory.h"
#include "ares/campaign/site.h"
#include "ares/campaign/store.h"
#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/common/files.h"
#include "ares/common/progress.h"
#include "ares/common/text.h"
#include "ares/common/version.h"
#include "ares/data/load.h"
#include "ares/fault/fault_model.h"
#include "ares/fault/protection.h"
#include "ares/fault/rng.h"
#include "ares/format/format.h"
#include "ares/models/checkpoint.h"
#include "ares/models/device.h"
#include "ares/models/evaluate.h"
#include "ares/models/torchscript.h"
#include "ares/train/train.h"

namespace ares::campaign {
namespace {

uint64_t fnv64(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Runs `jobs` on `threads` workers, each with its own trial runner from `site`. `commit` is
// called from this (the calling) thread with batches of finished rows.
template <typename Commit>
void run_jobs(const std::vector<TrialJob>& jobs, int threads, const Site& site,
              std::vector<TrialRow>& rows, Progress& progress, Commit commit) {
  std::atomic<size_t> next{0}, done{0};
  std::exception_ptr error;
  std::mutex error_mutex, finished_mutex;
  std::vector<size_t> finished;
  std::atomic<bool> stop{false};
  auto worker = [&]() {
    try {
      c10::InferenceMode guard;
      auto trials = site.make_trials();
      for (size_t j; !stop && (j = next.fetch_add(1)) < jobs.size();) {
        const TrialJob& job = jobs[j];
        TrialRow& r = rows[job.row];
        auto t0 = std::chrono::steady_clock::now();
        trials->run(job, r);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        {
          std::lock_guard<std::mutex> lock(finished_mutex);
          finished.push_back(job.row);
        }
        done.fetch_add(1);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      stop = true;
    }
  };
  std::vector<std::thread> pool;
  int n = std::max(1, std::min<int>(threads, int(jobs.size())));
  pool.reserve(size_t(n));
  for (int i = 0; i < n; ++i) pool.emplace_back(worker);
  auto flush = [&]() {
    std::vector<size_t> batch;
    {
      std::lock_guard<std::mutex> lock(finished_mutex);
      batch.swap(finished);
    }
    if (!batch.empty()) commit(batch);
  };
  size_t shown = 0;
  try {
    while (done.load() < jobs.size() && !stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      flush();
      size_t d = done.load();
      progress.tick(d - shown);
      shown = d;
    }
  } catch (...) {
    // Interrupted (an interrupt poll threw from progress.tick) or the commit failed: stop the
    // workers, keep every trial they finished (a rerun resumes after them), then let it through.
    stop = true;
    for (auto& t : pool) t.join();
    try {
      flush();
    } catch (...) {  // the first error is the one to report
    }
    throw;
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  flush();
  progress.tick(done.load() - shown);
}

void fnv_bytes(uint64_t& h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
}

// Where a campaign's instances and evaluation data come from: files named by the spec, or
// models and tensors a program already holds (campaign/in_memory.h).
struct Sources {
  std::function<void(ResultStore&)> bind;                    // the store's identity check
  std::function<models::Loaded(size_t)> model;               // instance -> model, metadata, label
  std::function<data::Dataset(const models::Loaded&)> test;  // its evaluation set
};

CampaignResult run_sources(const CampaignSpec& spec, ResultStore* store, const Sources& src);

}  // namespace

CampaignResult run_campaign(const CampaignSpec& spec, ResultStore* store) {
  std::map<std::string, data::Dataset> test_sets;  // loaded once per dataset name
  Sources src;
  src.bind = [&](ResultStore& s) { s.bind(spec); };
  src.model = [&](size_t inst) { return models::load_model_file(spec.checkpoints[inst]); };
  src.test = [&](const models::Loaded& loaded) {
    std::string name = spec.dataset.empty()
                           ? loaded.meta.count("dataset") ? loaded.meta.at("dataset") : ""
                           : spec.dataset;
    ARES_CHECK(!name.empty(), loaded.path, ": checkpoint names no dataset; pass --dataset");
    if (!test_sets.count(name)) {
      test_sets[name] = data::load_dataset(name, /*test_only=*/true).test;
    }
    return test_sets[name];
  };
  return run_sources(spec, store, src);
}

std::string parameter_hash(const models::StagedModel& model) {
  uint64_t h = 1469598103934665603ull;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    fnv_bytes(h, name.data(), name.size());
    torch::Tensor c = t.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
    for (int64_t d : c.sizes()) fnv_bytes(h, &d, sizeof d);
    fnv_bytes(h, c.data_ptr<float>(), size_t(c.numel()) * sizeof(float));
  };
  for (const auto& p : model.named_parameters()) add(p.key(), p.value());
  for (const auto& b : model.named_buffers()) add(b.key(), b.value());
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

CampaignResult run_campaign(const CampaignSpec& spec, const CampaignInputs& inputs,
                            ResultStore* store) {
  ARES_CHECK(inputs.models.size() == spec.checkpoints.size(), "campaign: ", inputs.models.size(),
             " models in memory but ", spec.checkpoints.size(),
             " instance names in the spec's checkpoints");
  for (size_t i = 0; i < inputs.models.size(); ++i) {
    ARES_CHECK(inputs.models[i] != nullptr, "campaign: model ", i, " (", spec.checkpoints[i],
               ") is null");
  }
  ARES_CHECK(inputs.images.defined() && inputs.labels.defined() && inputs.labels.dim() == 1 &&
                 inputs.images.dim() >= 2 && inputs.images.size(0) == inputs.labels.size(0),
             "campaign: the evaluation set needs images (N x ...) and N labels");
  ARES_CHECK(
      inputs.images.scalar_type() == torch::kFloat && inputs.labels.scalar_type() == torch::kLong,
      "campaign: images must be float32 and labels int64");
  Sources src;
  src.bind = [&](ResultStore& s) {
    // The models have no files to hash: their parameters stand for them.
    std::string identity = spec.identity_text();
    for (size_t i = 0; i < inputs.models.size(); ++i) {
      identity +=
          "model_hash_" + std::to_string(i) + "=" + parameter_hash(*inputs.models[i]) + "\n";
    }
    s.bind_identity(identity, spec);
  };
  src.model = [&](size_t inst) {
    const std::string data = spec.dataset.empty() ? "memory" : spec.dataset;
    return models::Loaded{inputs.models[inst], {{"dataset", data}}, spec.checkpoints[inst]};
  };
  src.test = [&](const models::Loaded&) {
    data::Dataset d;
    d.images = inputs.images;
    d.labels = inputs.labels;
    d.source = spec.dataset.empty() ? "tensors in memory" : spec.dataset;
    return d;
  };
  return run_sources(spec, store, src);
}

namespace {

// The campaign's rows, (instance, configuration, BER, trial) with the trial fastest.
struct Grid {
  size_t configs, bers, trials;
  size_t row(size_t inst, size_t ci, size_t b, size_t t) const {
    return ((inst * configs + ci) * bers + b) * trials + t;
  }
};

// What is left to run: rows and baselines already in the store, and rows of other shards,
// are done. Stored rows are copied into `result`.
struct Pending {
  std::vector<char> done;                                  // per row
  std::map<std::pair<int, int>, ConfigSummary> baselines;  // stored, by (instance, config)
  size_t stored = 0;

  bool instance_done(const Grid& g, size_t inst) const {
    for (size_t ci = 0; ci < g.configs; ++ci) {
      if (!baselines.count({int(inst), int(ci)})) return false;
      for (size_t i = g.row(inst, ci, 0, 0); i < g.row(inst, ci + 1, 0, 0); ++i) {
        if (!done[i]) return false;
      }
    }
    return true;
  }
  size_t count() const {
    size_t n = 0;
    for (char d : done) n += d ? 0 : 1;
    return n;
  }
};

Pending take_stored(const CampaignSpec& spec, const Grid& g, ResultStore* store,
                    CampaignResult& result) {
  Pending p;
  p.done.assign(result.rows.size(), 0);
  if (store) {
    for (const auto& r : store->trials()) {
      ARES_CHECK(size_t(r.instance) < spec.checkpoints.size() && size_t(r.config) < g.configs &&
                     size_t(r.ber_index) < g.bers && size_t(r.trial) < g.trials,
                 store->path(), ": stored trial outside the campaign's grid");
      size_t i = g.row(size_t(r.instance), size_t(r.config), size_t(r.ber_index), size_t(r.trial));
      result.rows[i] = r;
      p.done[i] = 1;
      ++p.stored;
    }
    for (const auto& s : store->baselines()) p.baselines[{s.instance, s.config}] = s;
  }
  // Rows of other shards are skipped like stored ones (but are not "already stored").
  if (spec.shard_count > 1) {
    for (size_t i = 0; i < p.done.size(); ++i) {
      if (int(i % size_t(spec.shard_count)) != spec.shard_index) p.done[i] = 1;
    }
    result.partial = true;
  }
  return p;
}

// The stream of trial (instance, configuration, BER, trial). Weight trials keep the key they
// always had (site 0); other sites hash their name. Paired encodings: one stream per word
// width, so that every configuration of that width sees the same faulty cells.
uint64_t trial_stream(const CampaignSpec& spec, size_t inst, const Config& cfg, int width, size_t b,
                      size_t t) {
  const uint64_t site_key = spec.site.is_weights() ? 0 : fnv64(spec.site.text());
  if (spec.paired) {
    return fault::stream_key(spec.seed, {inst, fnv64("paired"), uint64_t(width), site_key, b, t});
  }
  return fault::stream_key(spec.seed,
                           {inst, fnv64(cfg.format), fnv64(cfg.protection), site_key, b, t});
}

// One instance, ready for its sites: the model (batch norm folded), the evaluation set and
// the float model's error on it.
struct Instance {
  models::Loaded loaded;
  std::string dataset;
  torch::Tensor images, labels;  // on the host
  double float_error = 0;
};

Instance load_instance(const CampaignSpec& spec, const Sources& src, size_t inst,
                       torch::Device device) {
  Instance in;
  in.loaded = src.model(inst);
  // Inference hardware stores batch norm folded into the convolution: campaigns target the
  // folded weights and biases (a folded copy: the caller's model stays as it is).
  in.loaded.model = in.loaded.model->fold_batchnorm();
  const data::Dataset test = src.test(in.loaded);
  in.dataset = spec.dataset.empty() ? in.loaded.meta["dataset"] : spec.dataset;
  train::check_input_shape(*in.loaded.model, test.images, test.source);
  in.images = test.images;
  in.labels = test.labels;
  if (spec.eval_limit > 0 && spec.eval_limit < test.size()) {
    in.images = in.images.slice(0, 0, spec.eval_limit);
    in.labels = in.labels.slice(0, 0, spec.eval_limit);
  }
  auto float_model = in.loaded.model;  // on a GPU: an evaluation copy there
  if (!device.is_cpu()) {
    float_model = in.loaded.model->clone_model();
    float_model->to(device);
    float_model->eval();
  }
  in.float_error = models::evaluate_error(*float_model, in.images.to(device), in.labels.to(device),
                                          spec.batch, spec.top_k);
  return in;
}

// The distinct formats of the configurations, in order of appearance: one site each.
std::vector<std::string> distinct_formats(const CampaignSpec& spec) {
  std::vector<std::string> formats;
  for (const auto& c : spec.configs) {
    if (std::find(formats.begin(), formats.end(), c.format) == formats.end()) {
      formats.push_back(c.format);
    }
  }
  return formats;
}

// For every configuration of format `fmt_spec`: its baseline summary (into the result and the
// store) and the jobs of its rows still to run (their rows' keys filled in).
std::vector<TrialJob> plan_format(const CampaignSpec& spec, const Grid& g, const Pending& pending,
                                  size_t inst, const Instance& in, const std::string& fmt_spec,
                                  const Site& site, CampaignResult& result, ResultStore* store) {
  const auto fmt = format::Format::parse(fmt_spec);
  std::vector<TrialJob> jobs;
  for (size_t ci = 0; ci < g.configs; ++ci) {
    const Config& cfg = spec.configs[ci];
    if (cfg.format != fmt_spec) continue;
    const uint32_t mask = spec.faultable_mask(cfg);        // the selected bits protection leaves
    const uint32_t sample_mask = spec.selected_bits(fmt);  // before protection
    ConfigSummary sum;
    sum.instance = int(inst);
    sum.config = int(ci);
    sum.checkpoint = in.loaded.path;
    sum.model = in.loaded.model->name();
    sum.dataset = in.dataset;
    sum.float_error = in.float_error;
    sum.baseline_error = double(site.baseline_errors()) / double(site.samples());
    sum.baseline_nll = site.baseline_nll() / double(site.samples());
    sum.values = site.values();
    const auto prot = fault::Protection::parse(cfg.protection);
    std::shared_ptr<const fault::BlockCode> code;
    if (prot.is_code()) code = std::make_shared<const fault::BlockCode>(prot.code(fmt));
    // Under a code the BER applies to the codewords' data and check bits.
    sum.bits = prot.population(sum.values, fmt, mask);
    if (fmt.is_scaled()) {  // the selected words: data at the faultable bits, metadata whole
      sum.bits = (spec.words == Words::kMeta ? 0 : sum.bits) +
                 (spec.words == Words::kData ? 0 : site.metadata_bits());
    }
    result.summaries.push_back(sum);
    if (store) store->put_baseline(sum);
    for (size_t b = 0; b < g.bers; ++b) {
      for (size_t t = 0; t < g.trials; ++t) {
        const size_t row = g.row(inst, ci, b, t);
        if (pending.done[row]) continue;
        TrialRow& r = result.rows[row];
        r.instance = int(inst);
        r.config = int(ci);
        r.ber_index = int(b);
        r.trial = int(t);
        r.bits = sum.bits;
        r.samples = site.samples();
        r.stream = spec.chips > 0 ? chip_stream(spec.seed, t)
                                  : trial_stream(spec, inst, cfg, fmt.width(), b, t);
        jobs.push_back({row, spec.bers[b], mask, sample_mask, code, prot.action()});
      }
    }
  }
  return jobs;
}

CampaignResult run_sources(const CampaignSpec& spec, ResultStore* store, const Sources& src) {
  spec.validate();
  const torch::Device device = models::find_device(spec.device, "campaign");
  const auto t_start = std::chrono::steady_clock::now();
  // Parallelism is across trials; each trial runs single-threaded so that results do not
  // depend on the thread count and the BLAS pool does not fight our workers.
  set_compute_threads(1, 1);
  CampaignResult result;
  result.spec = spec;
  result.platform = describe_platform(spec.threads);
  const Grid g{spec.configs.size(), spec.bers.size(), size_t(spec.trials)};
  result.rows.resize(spec.checkpoints.size() * g.configs * g.bers * g.trials);
  if (store) {
    src.bind(*store);  // refuses another campaign's store before anything is written to it
    store->note_platform(platform_json(result.platform));
  }
  const Pending pending = take_stored(spec, g, store, result);
  if (store && pending.stored > 0) {
    std::fprintf(stderr, "campaign: resuming %s: %zu of %zu trials already stored\n",
                 store->path().c_str(), pending.stored, result.rows.size());
  }
  auto commit = [&](const std::vector<size_t>& finished) {
    if (!store) return;
    std::vector<TrialRow> batch;
    batch.reserve(finished.size());
    for (size_t i : finished) batch.push_back(result.rows[i]);
    store->add_trials(batch);
  };
  Progress progress("campaign", pending.count(), spec.progress);
  int timed_passes = 0;
  double timing = 0;  // spent on spec.measure_floor alone, not part of the campaign

  for (size_t inst = 0; inst < spec.checkpoints.size(); ++inst) {
    if (pending.instance_done(g, inst)) {  // nothing to run: the stored baselines stand
      for (size_t ci = 0; ci < g.configs; ++ci) {
        result.summaries.push_back(pending.baselines.at({int(inst), int(ci)}));
      }
      continue;
    }
    const Instance in = load_instance(spec, src, inst, device);
    const int stage = resolve_site_stage(spec.site, *in.loaded.model);
    for (const auto& fmt_spec : distinct_formats(spec)) {
      const auto site = make_site(spec, stage, *in.loaded.model, format::Format::parse(fmt_spec),
                                  in.images, in.labels, device);
      if (site->timed_clean_pass()) {
        result.clean_forward_seconds += site->clean_forward_seconds();
        ++timed_passes;
      }
      timing += site->timing_seconds();
      const auto jobs = plan_format(spec, g, pending, inst, in, fmt_spec, *site, result, store);
      run_jobs(jobs, spec.threads, *site, result.rows, progress, commit);
      if (spec.measure_floor) {
        for (const auto& job : jobs) {
          const TrialRow& r = result.rows[job.row];
          if (r.evaluated) result.floor_seconds += site->floor_seconds(r.first_stage);
        }
      }
    }
  }
  progress.finish();
  if (timed_passes) result.clean_forward_seconds /= timed_passes;
  if (!result.partial) summarize(result);
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count() - timing;
  return result;
}

}  // namespace

void summarize(CampaignResult& result) {
  const CampaignSpec& spec = result.spec;
  const size_t C = spec.configs.size(), B = spec.bers.size(), T = size_t(spec.trials);
  ARES_ASSERT(result.rows.size() == spec.checkpoints.size() * C * B * T, "row count");
  std::sort(result.summaries.begin(), result.summaries.end(),
            [](const ConfigSummary& a, const ConfigSummary& b) {
              return std::tie(a.instance, a.config) < std::tie(b.instance, b.config);
            });
  for (auto& sum : result.summaries) {
    sum.mean_error.clear();
    sum.changed_rate.clear();
    sum.nonfinite_rate.clear();
    sum.changed_correct_rate.clear();
    sum.perplexity.clear();
    sum.median_perplexity.clear();
    sum.ecc_corrected.clear();
    sum.ecc_detected.clear();
    sum.ecc_miscorrected.clear();
    sum.thresholds.clear();
    sum.below_resolution.clear();
    std::vector<std::vector<double>> errors(B);  // per BER, every trial's error rate
    for (size_t b = 0; b < B; ++b) {
      double acc = 0, changed = 0, nonfinite = 0, changed_correct = 0;
      std::vector<double> nlls;  // a NaN (not recorded) makes the perplexities NaN
      int64_t corrected = 0, detected = 0, miscorrected = 0;
      // A trial that did not record a count (-1) makes its sum -1.
      const auto add = [](int64_t& total, int64_t v) {
        total = total < 0 || v < 0 ? -1 : total + v;
      };
      for (size_t t = 0; t < T; ++t) {
        const TrialRow& r =
            result.rows[((size_t(sum.instance) * C + size_t(sum.config)) * B + b) * T + t];
        const double e = double(r.errors) / double(r.samples);
        errors[b].push_back(e);
        acc += e;
        sum.samples = r.samples;
        // A trial without outcomes (-1) makes the mean NaN: not recorded.
        const double n = double(r.samples);
        const double correct = n - std::round(sum.baseline_error * n);
        add(corrected, r.ecc_corrected);
        add(detected, r.ecc_detected);
        add(miscorrected, r.ecc_miscorrected);
        nlls.push_back(r.nll);
        changed += r.changed < 0 ? std::nan("") : double(r.changed) / n;
        nonfinite += r.nonfinite < 0 ? std::nan("") : double(r.nonfinite) / n;
        changed_correct += r.changed_correct < 0 ? std::nan("")
                           : correct > 0         ? double(r.changed_correct) / correct
                                                 : 0.0;
      }
      sum.mean_error.push_back(acc / double(T));
      sum.changed_rate.push_back(changed / double(T));
      sum.nonfinite_rate.push_back(nonfinite / double(T));
      sum.changed_correct_rate.push_back(changed_correct / double(T));
      const auto ppl = analysis::perplexities(nlls);
      sum.perplexity.push_back(ppl.pooled);
      sum.median_perplexity.push_back(ppl.median);
      sum.ecc_corrected.push_back(corrected);
      sum.ecc_detected.push_back(detected);
      sum.ecc_miscorrected.push_back(miscorrected);
    }
    for (double level : spec.levels) {
      sum.thresholds.push_back(
          analysis::tolerable_ber(spec.bers, sum.mean_error, sum.baseline_error, level));
      sum.below_resolution.push_back(
          analysis::below_resolution(sum.baseline_error, sum.samples, level));
    }
    sum.smallest_resolved_level =
        analysis::smallest_resolved_level(sum.baseline_error, sum.samples);
    analysis::BootstrapOptions boot;
    boot.seed =
        spec.seed ^ (uint64_t(sum.instance) << 32) ^ (uint64_t(sum.config) << 16) ^ 0xB0075742A9ull;
    sum.intervals =
        analysis::threshold_intervals(spec.bers, errors, sum.baseline_error, spec.levels, boot);
    // Yield: per trial, whether it exceeds the level's bound; the failing share's curve has the
    // threshold rule with bound 1 - yield/100, so the same interval method applies.
    sum.yield_thresholds.clear();
    sum.yield_intervals.clear();
    if (spec.yield > 0) {
      const double allowed = 1.0 - spec.yield / 100.0;
      for (double level : spec.levels) {
        const double bound = sum.baseline_error * (1.0 + level / 100.0);
        std::vector<std::vector<double>> failed(B);
        std::vector<double> share(B);
        for (size_t b = 0; b < B; ++b) {
          for (double e : errors[b]) failed[b].push_back(e > bound ? 1.0 : 0.0);
          double n = 0;
          for (double f : failed[b]) n += f;
          share[b] = n / double(T);
        }
        sum.yield_thresholds.push_back(analysis::tolerable_ber(spec.bers, share, allowed, 0.0));
        boot.seed ^= 0x9E3779B97F4A7C15ull;
        sum.yield_intervals.push_back(
            analysis::threshold_intervals(spec.bers, failed, allowed, {0.0}, boot)[0]);
      }
    }
  }
  result.evaluated_trials = 0;
  result.eval_seconds = 0;
  for (const auto& r : result.rows) {
    if (r.evaluated) {
      result.evaluated_trials++;
      result.eval_seconds += r.seconds;
    }
  }
}

CampaignResult load_result(const ResultStore& store) {
  CampaignResult result;
  result.spec = store.spec();
  const auto& spec = result.spec;
  const size_t C = spec.configs.size(), B = spec.bers.size(), T = size_t(spec.trials);
  const size_t total = spec.checkpoints.size() * C * B * T;
  auto rows = store.trials();
  result.summaries = store.baselines();
  ARES_CHECK(rows.size() == total && result.summaries.size() == spec.checkpoints.size() * C,
             store.path(), ": incomplete campaign (", rows.size(), " of ", total,
             " trials stored); rerun it to resume, then export");
  result.rows = std::move(rows);  // the store returns them in row order
  if (std::string text = store.platform(); !text.empty()) {
    auto js = analysis::parse_json(text, store.path() + ": platform");
    for (const auto& [k, v] : js.members) result.platform.emplace_back(k, v.scalar_text());
  }
  summarize(result);
  return result;
}

namespace {

std::string g17(double v) { return exact_number(v); }

// Perplexities for summary.json: a number; the string "inf" when infinite (non-finite logits);
// null when not recorded (NaN).
nlohmann::ordered_json perplexity_json(const std::vector<double>& values) {
  auto out = nlohmann::ordered_json::array();
  for (double v : values) {
    if (std::isnan(v)) {
      out.push_back(nullptr);
    } else if (std::isinf(v)) {
      out.push_back("inf");
    } else {
      out.push_back(v);
    }
  }
  return out;
}

const char* status_name(analysis::Threshold::Status s) {
  switch (s) {
    case analysis::Threshold::Status::kBelowGrid:
      return "below_grid";
    case analysis::Threshold::Status::kAboveGrid:
      return "above_grid";
    default:
      return "within";
  }
}

std::string level_name(double l) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", l);
  return buf;
}

}  // namespace

void write_results(const CampaignResult& res, const std::string& dir_name) {
  std::filesystem::path dir(dir_name);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  ARES_CHECK(!ec && std::filesystem::is_directory(dir), dir_name,
             ": cannot create output directory");
  const auto& spec = res.spec;
  std::ostringstream trials;
  trials << "instance,checkpoint,format,protection,site,semantics,ber_index,ber,trial,stream,"
            "bits,faults,first_stage,errors,samples,error,evaluated,changed,nonfinite,"
            "changed_correct,ecc_corrected,ecc_detected,ecc_miscorrected,nll,perplexity,seconds\n";
  for (const auto& r : res.rows) {
    const Config& cfg = spec.configs[size_t(r.config)];
    char stream[24];
    std::snprintf(stream, sizeof stream, "%016" PRIx64, r.stream);
    trials << r.instance << ',' << csv_field(spec.checkpoints[size_t(r.instance)]) << ','
           << cfg.format << ',' << cfg.protection << ',' << csv_field(spec.site.text()) << ','
           << fault::to_string(spec.semantics) << ',' << r.ber_index << ','
           << g17(spec.bers[size_t(r.ber_index)]) << ',' << r.trial << ',' << stream << ','
           << r.bits << ',' << r.faults << ',' << r.first_stage << ',' << r.errors << ','
           << r.samples << ',' << g17(double(r.errors) / double(r.samples)) << ','
           << (r.evaluated ? 1 : 0) << ',' << r.changed << ',' << r.nonfinite << ','
           << r.changed_correct << ',' << r.ecc_corrected << ',' << r.ecc_detected << ','
           << r.ecc_miscorrected << ',' << g17(r.nll) << ',' << g17(std::exp(r.nll)) << ','
           << g17(r.seconds) << '\n';
  }
  std::ostringstream summary;
  summary << "instance,checkpoint,model,dataset,format,protection,values,bits,float_error,"
             "baseline_error";
  for (double l : spec.levels) {
    summary << ",ber_at_" << level_name(l) << "pct,status_at_" << level_name(l) << "pct";
  }
  // After the columns of earlier versions: each threshold's 95% interval (the lower end 0 when
  // it reaches below the grid, the upper inf when above it) and whether the level is resolved.
  for (double l : spec.levels) {
    summary << ",ber_at_" << level_name(l) << "pct_lo,ber_at_" << level_name(l) << "pct_hi";
  }
  for (double l : spec.levels) summary << ",below_resolution_at_" << level_name(l) << "pct";
  summary << ",smallest_resolved_level_pct";
  if (spec.yield > 0) {
    for (double l : spec.levels) {
      const std::string n = level_name(l);
      summary << ",yield_ber_at_" << n << "pct,yield_status_at_" << n << "pct,yield_ber_at_" << n
              << "pct_lo,yield_ber_at_" << n << "pct_hi";
    }
  }
  // Added after the columns of every earlier version.
  summary << ",baseline_perplexity\n";
  for (const auto& s : res.summaries) {
    const Config& cfg = spec.configs[size_t(s.config)];
    summary << s.instance << ',' << csv_field(s.checkpoint) << ',' << s.model << ','
            << csv_field(s.dataset) << ',' << cfg.format << ',' << cfg.protection << ',' << s.values
            << ',' << s.bits << ',' << g17(s.float_error) << ',' << g17(s.baseline_error);
    for (const auto& t : s.thresholds) summary << ',' << g17(t.ber) << ',' << status_name(t.status);
    for (const auto& iv : s.intervals) {
      summary << ','
              << (iv.lo.status == analysis::Threshold::Status::kBelowGrid ? "0" : g17(iv.lo.ber))
              << ','
              << (iv.hi.status == analysis::Threshold::Status::kAboveGrid ? "inf" : g17(iv.hi.ber));
    }
    for (bool b : s.below_resolution) summary << ',' << (b ? 1 : 0);
    summary << ',' << g17(s.smallest_resolved_level);
    for (size_t k = 0; k < s.yield_thresholds.size(); ++k) {
      const auto& t = s.yield_thresholds[k];
      const auto& iv = s.yield_intervals[k];
      summary << ',' << g17(t.ber) << ',' << status_name(t.status) << ','
              << (iv.lo.status == analysis::Threshold::Status::kBelowGrid ? "0" : g17(iv.lo.ber))
              << ','
              << (iv.hi.status == analysis::Threshold::Status::kAboveGrid ? "inf" : g17(iv.hi.ber));
    }
    summary << ',' << g17(std::exp(s.baseline_nll)) << '\n';
  }
  // summary.json: ordered as written here. nlohmann-json writes each double in its shortest
  // exact form, and NaN or Inf (which JSON lacks) as null.
  using Json = nlohmann::ordered_json;
  Json platform = Json::object();
  for (const auto& [k, v] : res.platform) platform[k] = v;
  Json summaries = Json::array();
  for (const auto& s : res.summaries) {
    const Config& cfg = spec.configs[size_t(s.config)];
    Json thresholds = Json::array();
    for (size_t k = 0; k < s.thresholds.size(); ++k) {
      const auto& iv = s.intervals[k];
      thresholds.push_back({{"level_pct", spec.levels[k]},
                            {"ber", s.thresholds[k].ber},
                            {"status", status_name(s.thresholds[k].status)},
                            {"ber_lo", iv.lo.ber},
                            {"status_lo", status_name(iv.lo.status)},
                            {"ber_hi", iv.hi.ber},
                            {"status_hi", status_name(iv.hi.status)},
                            {"below_resolution", bool(s.below_resolution[k])}});
      if (k < s.yield_thresholds.size()) {
        const auto& yt = s.yield_thresholds[k];
        const auto& yi = s.yield_intervals[k];
        thresholds.back()["yield"] = {
            {"ber", yt.ber},       {"status", status_name(yt.status)},
            {"ber_lo", yi.lo.ber}, {"status_lo", status_name(yi.lo.status)},
            {"ber_hi", yi.hi.ber}, {"status_hi", status_name(yi.hi.status)}};
      }
    }
    summaries.push_back({{"instance", s.instance},
                         {"checkpoint", s.checkpoint},
                         {"model", s.model},
                         {"dataset", s.dataset},
                         {"format", cfg.format},
                         {"protection", cfg.protection},
                         {"values", s.values},
                         {"bits", s.bits},
                         {"float_error", s.float_error},
                         {"baseline_error", s.baseline_error},
                         {"samples", s.samples},
                         {"smallest_resolved_level_pct", s.smallest_resolved_level},
                         {"mean_error", s.mean_error},
                         {"changed_rate", s.changed_rate},
                         {"nonfinite_rate", s.nonfinite_rate},
                         {"changed_correct_rate", s.changed_correct_rate},
                         {"baseline_perplexity", perplexity_json({std::exp(s.baseline_nll)})[0]},
                         {"perplexity", perplexity_json(s.perplexity)},
                         {"median_perplexity", perplexity_json(s.median_perplexity)},
                         {"thresholds", std::move(thresholds)}});
    const auto prot = fault::Protection::parse(cfg.protection);
    if (prot.is_code()) {
      // Per BER, sums over the trials of the codewords hit (TrialRow::ecc_*).
      const auto code = prot.code(format::Format::parse(cfg.format));
      summaries.back()["ecc"] = {
          {"code", prot.spec()},
          {"data_bits", code.data_bits()},
          {"check_bits", code.check_bits()},
          {"codewords", s.bits / uint64_t(code.total_bits())},
          {"on_detected", prot.action() == fault::EccAction::kZero ? "zero" : "keep"},
          {"corrected", s.ecc_corrected},
          {"detected", s.ecc_detected},
          {"miscorrected", s.ecc_miscorrected}};
    }
  }
  const Json js = {
      {"ares_version", ares::version()},
      {"git_revision", ares::git_revision()},
      {"libtorch_version", TORCH_VERSION},
      {"seed", spec.seed},
      {"trials", spec.trials},
      {"semantics", fault::to_string(spec.semantics)},
      // Chips store every encoding on the same cells: trial t of each is chip t, paired.
      {"pairing", spec.paired || spec.chips > 0 ? "paired" : "independent"},
      {"chips", spec.chips},
      {"metric", metric_text(spec.top_k)},
      {"fault_model", spec.fault_model.spec()},
      {"engine", to_string(spec.engine)},
      {"sampler", to_string(spec.sampler)},
      {"site", spec.site.text()},
      {"param_kind", inject::to_string(spec.param_kind)},
      {"selected_bits", spec.bits.empty() ? "all" : bit_list_text(spec.bits)},
      {"eval_limit", spec.eval_limit},
      {"yield_pct", spec.yield},
      {"threshold_rule",
       "highest grid BER before the mean error first exceeds baseline * (1 + level/100)"},
      {"interval_rule",
       "95% bootstrap interval: trials resampled at each BER, mean curve fitted monotone, "
       "threshold quantiles 2.5% and 97.5%; 1000 resamples"},
      {"resolution_rule",
       "below_resolution: the bound allows fewer than 3 wrong samples above "
       "the baseline"},
      {"targets", spec.targets},
      {"bers", spec.bers},
      {"levels_pct", spec.levels},
      {"checkpoints", spec.checkpoints},
      {"timing",
       {{"seconds", res.seconds},
        {"evaluated_trials", res.evaluated_trials},
        {"eval_seconds", res.eval_seconds},
        {"clean_forward_seconds", res.clean_forward_seconds},
        {"threads", spec.threads}}},
      {"platform", std::move(platform)},
      {"summaries", std::move(summaries)},
  };
  write_file_atomic((dir / "trials.csv").string(), trials.str());
  write_file_atomic((dir / "summary.csv").string(), summary.str());
  write_file_atomic((dir / "summary.json").string(), js.dump(2) + "\n");
}

std::string summary_table(const CampaignResult& res) {
  const auto& spec = res.spec;
  std::ostringstream os;
  char buf[512];
  // The configuration column fits the longest label ("q2.6-2c+secded:72:zero").
  int cw = 16;
  for (const auto& c : spec.configs) cw = std::max(cw, int(c.label().size()));
  std::snprintf(buf, sizeof buf, "%-4s %-10s %-*s %9s %9s", "inst", "model", cw, "config",
                "float_err", "baseline");
  os << buf;
  for (double l : spec.levels) {
    std::snprintf(buf, sizeof buf, " %10s", ("+" + level_name(l) + "%").c_str());
    os << buf;
  }
  os << '\n';
  bool any_unresolved = false;
  for (const auto& s : res.summaries) {
    std::snprintf(buf, sizeof buf, "%-4d %-10s %-*s %9.4f %9.4f", s.instance, s.model.c_str(), cw,
                  spec.configs[size_t(s.config)].label().c_str(), s.float_error, s.baseline_error);
    os << buf;
    for (size_t k = 0; k < s.thresholds.size(); ++k) {
      const std::string mark = s.below_resolution[k] ? "*" : "";
      std::snprintf(buf, sizeof buf, " %10s", (s.thresholds[k].to_string() + mark).c_str());
      os << buf;
      any_unresolved = any_unresolved || s.below_resolution[k];
    }
    os << '\n';
  }
  // Each threshold's 95% interval, in the same layout.
  os << "95% intervals (bootstrap over trials, monotone fit):\n";
  for (const auto& s : res.summaries) {
    std::snprintf(buf, sizeof buf, "%-4d %-10s %-*s %19s", s.instance, s.model.c_str(), cw,
                  spec.configs[size_t(s.config)].label().c_str(), "");
    os << buf;
    for (const auto& iv : s.intervals) {
      std::snprintf(buf, sizeof buf, " %s..%s", iv.lo.to_string().c_str(),
                    iv.hi.to_string().c_str());
      os << buf;
    }
    os << '\n';
  }
  if (spec.yield > 0) {
    std::snprintf(buf, sizeof buf, "%g", spec.yield);
    os << "yield thresholds (at least " << buf
       << "% of trials within the level) and 95% intervals:\n";
    for (const auto& s : res.summaries) {
      std::snprintf(buf, sizeof buf, "%-4d %-10s %-*s %19s", s.instance, s.model.c_str(), cw,
                    spec.configs[size_t(s.config)].label().c_str(), "");
      os << buf;
      for (size_t k = 0; k < s.yield_thresholds.size(); ++k) {
        std::snprintf(buf, sizeof buf, " %s (%s..%s)", s.yield_thresholds[k].to_string().c_str(),
                      s.yield_intervals[k].lo.to_string().c_str(),
                      s.yield_intervals[k].hi.to_string().c_str());
        os << buf;
      }
      os << '\n';
    }
  }
  if (any_unresolved) {
    os << "* below resolution: the bound allows fewer than " << int(analysis::kResolutionSamples)
       << " wrong test samples above the baseline (smallest resolved level: "
          "smallest_resolved_level_pct in summary.csv)\n";
  }
  return os.str();
}

}  // namespace ares::campaign
