#include "ares/campaign/engine.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "ares/common/error.h"
#include "ares/common/platform.h"
#include "ares/models/evaluate.h"

namespace ares::campaign {

using models::StageOptions;

CleanCache::CleanCache(models::StagedModel& model, torch::Tensor images, torch::Tensor labels,
                       int64_t batch, int64_t budget_mb, bool time_suffixes, int threads, int top_k)
    : images_(std::move(images)), labels_(std::move(labels)), top_k_(top_k) {
  c10::InferenceMode guard;
  model.eval();
  const size_t S = model.num_stages();
  const int64_t n = labels_.size(0);
  ARES_CHECK(n > 0, "evaluation set is empty");
  // Sizes per sample of each stage's input and pre-activation, from one sample.
  std::vector<int64_t> in_bytes(S + 1, 0), pre_bytes(S, 0);
  {
    torch::Tensor x = images_.slice(0, 0, 1);
    for (size_t s = 0; s < S; ++s) {
      in_bytes[s] = x.numel() * 4;
      auto pre = model.stage(s)->pre_activation(x);
      pre_bytes[s] = pre.numel() * 4;
      x = model.stage(s)->finish(pre);
    }
    in_bytes[S] = x.numel() * 4;
  }
  int64_t budget = budget_mb * (int64_t(1) << 20);
  int64_t used = in_bytes[S] * n;  // logits are always kept
  first_cached_ = S;
  for (size_t s = S; s-- > 0;) {
    int64_t need = (pre_bytes[s] + (s == 0 ? 0 : in_bytes[s])) * n;
    if (used + need > budget) break;
    used += need;
    first_cached_ = s;
  }
  cached_bytes_ = used;
  for (size_t s = 0; s < S; ++s) {
    max_sample_bytes_ = std::max({max_sample_bytes_, in_bytes[s], pre_bytes[s]});
  }
  inputs_.assign(S + 1, torch::Tensor());
  pre_.assign(S, torch::Tensor());
  inputs_[0] = images_;
  auto alloc_like = [n](const torch::Tensor& t) {
    auto sizes = t.sizes().vec();
    sizes[0] = n;
    return torch::empty(sizes, t.options());
  };
  // One batch through every stage; the first one allocates the cache (on this thread), the
  // others write into their own rows of it from any thread.
  auto run_batch = [&](int64_t a) {
    int64_t b = std::min(n, a + batch);
    torch::Tensor x = images_.slice(0, a, b);
    for (size_t s = 0; s < S; ++s) {
      if (s == first_cached_ && s > 0) {
        if (!inputs_[s].defined()) inputs_[s] = alloc_like(x);
        inputs_[s].slice(0, a, b).copy_(x);
      }
      auto pre = model.stage(s)->pre_activation(x);
      x = model.stage(s)->finish(pre);
      if (s >= first_cached_) {
        if (!pre_[s].defined()) pre_[s] = alloc_like(pre);
        pre_[s].slice(0, a, b).copy_(pre);
        if (!inputs_[s + 1].defined()) inputs_[s + 1] = alloc_like(x);
        inputs_[s + 1].slice(0, a, b).copy_(x);
      }
    }
    if (first_cached_ == S) {
      if (!inputs_[S].defined()) inputs_[S] = alloc_like(x);
      inputs_[S].slice(0, a, b).copy_(x);
    }
  };
  std::atomic<int64_t> next{batch};
  std::atomic<int64_t> nanos{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto timed_batch = [&](int64_t a) {
    auto t0 = std::chrono::steady_clock::now();
    run_batch(a);
    nanos +=
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count();
  };
  auto worker = [&] {
    try {
      c10::InferenceMode worker_guard;
      for (int64_t a; (a = next.fetch_add(batch)) < n;) timed_batch(a);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = n;
    }
  };
  timed_batch(0);
  const int64_t batches = (n + batch - 1) / batch;
  std::vector<std::thread> pool;
  for (int i = 1; i < std::min<int64_t>(threads, batches - 1); ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  forward_seconds_ = double(nanos.load()) * 1e-9;
  if (top_k_ != 1) models::check_top_k(top_k_, inputs_[S].size(1));
  baseline_errors_ = models::count_errors(inputs_[S], labels_, top_k_);
  if (time_suffixes) {
    for (size_t s = 0; s < S; ++s) {
      size_t from = s >= first_cached_ ? s : 0;
      auto t0 = std::chrono::steady_clock::now();
      for (int64_t a = 0; a < n; a += batch) {
        model.forward_from(from, inputs_[from].slice(0, a, std::min(n, a + batch)));
      }
      suffix_seconds_.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  wrong_ = models::wrong_mask(inputs_[S], labels_, top_k_).to(torch::kInt64);
  clean_pred_ = inputs_[S].argmax(1);
  clean_nll_ = models::sample_nll(inputs_[S], labels_);
  baseline_nll_ = models::ordered_sum(clean_nll_);
}

namespace {

// The fast engine's batch: rows whose stage tensors are about 6 MiB each, so that they stay
// in the caches between a stage's many small operations (LeNet5, 86 KiB per sample: 72 rows
// ran its trials 7-11% faster than 256; mnist_fc took 2,000 rows as fast as 5,300; measured
// on the AMD EPYC, docs/campaign.md). A module stage (a TorchScript submodule run whole) has
// activations inside that the cache does not see, so there the rows are at most `batch`, as
// the dense engines run them (a one-stage TorchScript CNN: 2,006 rows took twice as long per
// trial as 256). Any row count gives the same errors (the engine tests hold it to the
// reference engine, batched otherwise).
int64_t fast_batch(const CleanCache& cache, const models::StagedModel& model, int64_t batch) {
  const int64_t rows = std::clamp<int64_t>(
      (int64_t(6) << 20) / std::max<int64_t>(1, cache.max_sample_bytes()), 32, 8192);
  for (size_t s = 0; s < model.num_stages(); ++s) {
    if (model.stage(s)->options().op == StageOptions::Op::kModule) return std::min(rows, batch);
  }
  return rows;
}

}  // namespace

TrialEvaluator::TrialEvaluator(std::shared_ptr<const CleanCache> cache,
                               std::shared_ptr<models::StagedModel> model,
                               std::shared_ptr<const inject::WeightTargets> targets, Engine engine,
                               int64_t batch)
    : cache_(std::move(cache)),
      model_(std::move(model)),
      targets_(std::move(targets)),
      injector_(targets_, *model_),
      engine_(engine),
      batch_(engine == Engine::kFast ? fast_batch(*cache_, *model_, batch) : batch),
      stage_changes_(model_->num_stages()) {
  model_->eval();
  auto named = model_->named_parameters();
  for (const auto& p : targets_->params()) {
    target_tensors_.push_back(named[p.name]);
    if (engine_ == Engine::kReference) backup_.push_back(named[p.name].detach().clone());
  }
}

int64_t TrialEvaluator::errors(const fault::FaultPlan& plan) {
  last_first_stage_ = model_->num_stages();
  outcomes_ = models::Outcomes();
  if (plan.empty()) return cache_->baseline_errors();
  injector_.apply_codes(plan.changes);
  return evaluate_applied();
}

int64_t TrialEvaluator::errors(const std::vector<fault::Flip>& flips) {
  return errors(fault::plan_of_flips(flips, targets_->codes()));
}

int64_t TrialEvaluator::errors(const std::vector<fault::CodeChange>& codes) {
  fault::FaultPlan plan;
  plan.changes = codes;
  return errors(plan);
}

int64_t TrialEvaluator::evaluate_applied() {
  c10::InferenceMode guard;
  const auto& changes = injector_.changes();
  size_t first = injector_.first_stage();
  last_first_stage_ = first;
  int64_t wrong = 0;
  try {
    if (engine_ == Engine::kFast) {
      for (auto& v : stage_changes_) v.clear();
      for (const auto& c : changes) {
        stage_changes_[targets_->params()[c.param].stage].push_back(c);
      }
      wrong = errors_fast(first);
    } else {
      wrong = errors_dense(engine_ == Engine::kReference ? 0 : first);
    }
  } catch (...) {
    injector_.restore();
    throw;
  }
  if (engine_ == Engine::kReference) {
    // The plain way: put every target weight back from a full copy.
    for (size_t i = 0; i < backup_.size(); ++i) target_tensors_[i].copy_(backup_[i]);
  }
  injector_.restore();
  return wrong;
}

int64_t TrialEvaluator::errors_dense(size_t first) {
  const CleanCache& c = *cache_;
  size_t start = first >= c.first_cached() ? first : 0;
  int64_t n = c.samples(), wrong = 0;
  for (int64_t a = 0; a < n; a += batch_) {
    int64_t b = std::min(n, a + batch_);
    auto logits = model_->forward_from(start, c.input(start).slice(0, a, b));
    wrong +=
        models::score_into(outcomes_, logits, c.labels().slice(0, a, b),
                           c.clean_pred().slice(0, a, b), c.top_k(), c.clean_nll().slice(0, a, b));
  }
  return wrong;
}

int64_t TrialEvaluator::errors_fast(size_t first) {
  const CleanCache& c = *cache_;
  if (first < c.first_cached()) return errors_dense(0);
  int64_t n = c.samples(), wrong = 0;
  for (int64_t a = 0; a < n; a += batch_) {
    int64_t b = std::min(n, a + batch_);
    wrong += batch_fast(first, a, b);
  }
  return wrong;
}

namespace {

// `t` (made on the host) where `like` lives: free on the CPU, a copy to a GPU otherwise.
torch::Tensor on_device_of(const torch::Tensor& t, const torch::Tensor& like) {
  return like.is_cpu() ? t : t.to(like.device());
}

// Where a weight change lands: output unit or channel `out`, and for weights the input
// column / channel `in` and kernel offsets.
struct Site {
  int64_t out, in = 0, kh = 0, kw = 0;
};

Site locate(const StageOptions& o, const inject::ValueChange& ch, bool is_bias) {
  auto off = static_cast<int64_t>(ch.offset);
  if (is_bias) return {off};
  if (o.op == StageOptions::Op::kLinear) return {off / o.in, off % o.in};
  int64_t kk = o.kernel * o.kernel, rem = off % (o.in * kk);
  return {off / (o.in * kk), rem / kk, (rem % kk) / o.kernel, rem % o.kernel};
}

// Adds the weight changes of one stage to `pre` (B x P [x H x W]), whose dim-1 index of output
// unit o is `pos(o)`, using the clean input x of the stage. For a linear stage all weight
// changes go in one small GEMM: pre += x[:, ins] @ dW, dW holding the changes (|ins| x P).
// One convolution weight change: output channel position p of `pre` gains dw times input
// channel c shifted by (kh, kw).
struct ConvChange {
  int64_t p, c, kh, kw;
  float dw;
};

// All of a stage's convolution weight changes, sample by sample: a sample's input and
// pre-activation stay in the cache while every change is added (the plane-by-plane way read
// and wrote the whole batch once per change: 11 ms against 2.5 ms for 74 changes over 256 x
// 32 x 24 x 24, one thread). Each output gains dw * input in the order of the changes, fused
// (one rounding) as LibTorch's own add(alpha) does on CPUs with FMA; positions whose input
// lies in the padding gain nothing. Stride 1, contiguous float tensors.
template <bool kFused>
void conv_changes_loop(float* pre, const float* x, int64_t n, int64_t P, int64_t ho, int64_t wo,
                       int64_t C, int64_t h, int64_t w, int64_t pad,
                       const std::vector<ConvChange>& changes) {
  for (int64_t b = 0; b < n; ++b) {
    for (const ConvChange& ch : changes) {
      float* out = pre + (b * P + ch.p) * ho * wo;
      const float* in = x + (b * C + ch.c) * h * w;
      const int64_t x0 = std::max<int64_t>(0, pad - ch.kw);
      const int64_t x1 = std::min<int64_t>(wo, w + pad - ch.kw);
      for (int64_t y = 0; y < ho; ++y) {
        const int64_t iy = y + ch.kh - pad;
        if (iy < 0 || iy >= h) continue;
        const float* row = in + iy * w + (ch.kw - pad);
        float* orow = out + y * wo;
        const float dw = ch.dw;
        for (int64_t i = x0; i < x1; ++i) {
          if constexpr (kFused) {
            orow[i] = __builtin_fmaf(dw, row[i], orow[i]);
          } else {
            orow[i] = orow[i] + dw * row[i];
          }
        }
      }
    }
  }
}

__attribute__((target("avx2,fma"))) void conv_changes_fma(float* pre, const float* x, int64_t n,
                                                          int64_t P, int64_t ho, int64_t wo,
                                                          int64_t C, int64_t h, int64_t w,
                                                          int64_t pad,
                                                          const std::vector<ConvChange>& changes) {
  conv_changes_loop<true>(pre, x, n, P, ho, wo, C, h, w, pad, changes);
}

// Returns false (nothing done) where the raw loop does not apply: another device or dtype, or
// tensors that are not contiguous.
bool add_conv_changes(torch::Tensor& pre, const torch::Tensor& x, const StageOptions& o,
                      const std::vector<ConvChange>& changes) {
  if (!pre.is_cpu() || !x.is_cpu() || pre.scalar_type() != torch::kFloat ||
      x.scalar_type() != torch::kFloat || !pre.is_contiguous() || !x.is_contiguous()) {
    return false;
  }
  const int64_t n = pre.size(0), P = pre.size(1), ho = pre.size(2), wo = pre.size(3);
  const int64_t C = x.size(1), h = x.size(2), w = x.size(3);
  float* pp = pre.data_ptr<float>();
  const float* xp = x.data_ptr<float>();
  if (platform::cpu_features().has_avx2_fma()) {
    conv_changes_fma(pp, xp, n, P, ho, wo, C, h, w, o.padding, changes);
  } else {
    conv_changes_loop<false>(pp, xp, n, P, ho, wo, C, h, w, o.padding, changes);
  }
  return true;
}

template <typename Pos>
void add_weight_changes(torch::Tensor& pre, const torch::Tensor& x, const StageOptions& o,
                        const std::vector<inject::ValueChange>& changes,
                        const std::vector<inject::WeightTargets::Param>& params, Pos pos) {
  if (changes.empty()) return;
  const bool linear = o.op == StageOptions::Op::kLinear;
  std::vector<int64_t> ins;
  if (linear) {
    for (const auto& ch : changes) {
      if (!params[ch.param].is_bias) ins.push_back(locate(o, ch, false).in);
    }
    std::sort(ins.begin(), ins.end());
    ins.erase(std::unique(ins.begin(), ins.end()), ins.end());
  }
  const int64_t P = pre.size(1);
  std::map<int64_t, torch::Tensor> padded;  // convolution input planes, padded once each
  torch::Tensor dw_matrix, db;
  std::vector<ConvChange> conv_changes;
  float* dwp = nullptr;
  if (!ins.empty()) {
    dw_matrix = torch::zeros({int64_t(ins.size()), P});
    dwp = dw_matrix.data_ptr<float>();
  }
  for (const auto& ch : changes) {
    bool is_bias = params[ch.param].is_bias;
    Site s = locate(o, ch, is_bias);
    float dw = ch.faulty - ch.clean;
    int64_t p = pos(s.out);
    if (is_bias) {
      if (!db.defined()) db = torch::zeros({P});
      db.data_ptr<float>()[p] += dw;
    } else if (linear) {
      int64_t row = std::lower_bound(ins.begin(), ins.end(), s.in) - ins.begin();
      dwp[row * P + p] += dw;
    } else {
      conv_changes.push_back({p, s.in, s.kh, s.kw, dw});
    }
  }
  if (!conv_changes.empty() && !add_conv_changes(pre, x, o, conv_changes)) {
    for (const ConvChange& ch : conv_changes) {
      // Output (y, x) of channel o gains dw * input[c, y + kh - pad, x + kw - pad]: a shifted
      // plane of the (zero-padded) input channel.
      auto it = padded.find(ch.c);
      if (it == padded.end()) {
        torch::Tensor plane = x.select(1, ch.c);
        if (o.padding > 0) {
          plane = torch::constant_pad_nd(plane, {o.padding, o.padding, o.padding, o.padding});
        }
        it = padded.emplace(ch.c, plane).first;
      }
      int64_t ho = pre.size(2), wo = pre.size(3);
      pre.select(1, ch.p).add_(it->second.slice(1, ch.kh, ch.kh + ho).slice(2, ch.kw, ch.kw + wo),
                               ch.dw);
    }
  }
  if (dw_matrix.defined()) {
    // Built on the host (a few values), used on the activations' device.
    pre.addmm_(x.index_select(1, on_device_of(torch::tensor(ins, torch::kInt64), x)),
               on_device_of(dw_matrix, pre));
  }
  if (db.defined()) {
    db = on_device_of(db, pre);
    pre.add_(linear ? db : db.view({1, P, 1, 1}));
  }
}

// The change a few input channels' deltas make to a convolution's pre-activation. oneDNN,
// which runs LibTorch 1.13's CPU convolutions, is slow on a narrow input: one channel of
// 256 x 26 x 26 into 32 took 20 ms, while im2col and one matrix multiply (LibTorch's
// thnn_conv2d) took 1.9 ms; from 8 input channels on oneDNN is faster (measured here, one
// thread; docs/campaign.md). Either sums in its own order: near-ties aside, errors are equal.
torch::Tensor delta_conv2d(const torch::Tensor& delta, const torch::Tensor& w,
                           const StageOptions& o) {
  constexpr int64_t kNarrow = 4;  // input channels up to which im2col wins
  if (delta.is_cpu() && delta.size(1) <= kNarrow) {
    return at::thnn_conv2d(delta, w, {o.kernel, o.kernel}, {}, {1, 1}, {o.padding, o.padding});
  }
  return torch::nn::functional::conv2d(
      delta, w, torch::nn::functional::Conv2dFuncOptions().padding(o.padding));
}

}  // namespace

int64_t TrialEvaluator::batch_fast(size_t first, int64_t a, int64_t b) {
  const CleanCache& c = *cache_;
  const size_t S = model_->num_stages();
  const auto& params = targets_->params();
  enum class State { kClean, kSparse, kDense } st = State::kClean;
  // kSparse: the stage input is input(s)[rows][:, cols] + delta; kDense: `dense` is it.
  torch::Tensor delta, cols, dense;
  // Rows (relative to a) whose activations may differ from the clean pass; undefined = all.
  // A row whose faulty stage output equals the clean one keeps its clean prediction.
  torch::Tensor rows;
  bool all_rows = true;  // rows is every row: slices stand for it, no copies
  auto sel = [&](const torch::Tensor& t) { return all_rows ? t : t.index_select(0, rows); };
  for (size_t s = first; s < S; ++s) {
    auto& stage = model_->stage(s);
    const StageOptions& o = stage->options();
    const auto& changes = stage_changes_[s];
    if (st == State::kDense) {
      dense = stage->forward(dense);
      continue;
    }
    if (st == State::kClean && changes.empty()) continue;
    // The stage's clean input, only where it is read (weight changes here, or a dense pass).
    auto clean_input = [&] { return sel(c.input(s).slice(0, a, b)); };
    bool conv = o.op == StageOptions::Op::kConv2d;
    bool has_nonfinite = false;
    for (const auto& ch : changes) has_nonfinite |= !std::isfinite(ch.faulty);
    if (has_nonfinite || o.op == StageOptions::Op::kModule) {
      // A module stage (no sparse rule for it), or an Inf/NaN weight, whose product with a
      // zero input must be NaN as in the dense pass: go dense from here.
      torch::Tensor x = clean_input(), xin = x;
      if (st == State::kSparse) {
        xin = x.clone();
        if (delta.dim() == 2 && x.dim() > 2) {
          xin.view({x.size(0), -1}).index_add_(1, cols, delta);
        } else {
          xin.index_add_(1, cols, delta);
        }
      }
      dense = stage->forward(xin);
      st = State::kDense;
      continue;
    }
    torch::Tensor z = sel(c.pre(s).slice(0, a, b));
    auto xf = [&] {
      torch::Tensor x = clean_input();
      return (!conv && o.flatten) ? x.flatten(1) : x;
    };
    if (st == State::kClean) {
      std::vector<int64_t> outs;
      for (const auto& ch : changes) outs.push_back(locate(o, ch, params[ch.param].is_bias).out);
      std::sort(outs.begin(), outs.end());
      outs.erase(std::unique(outs.begin(), outs.end()), outs.end());
      auto idx = on_device_of(torch::tensor(outs, torch::kInt64), z);
      auto pre = z.index_select(1, idx);
      add_weight_changes(pre, xf(), o, changes, params, [&](int64_t u) {
        return std::lower_bound(outs.begin(), outs.end(), u) - outs.begin();
      });
      auto out = stage->finish_owned(pre);
      delta = out - c.input(s + 1).slice(0, a, b).index_select(1, idx);
      bool later_changes = false;
      for (size_t k = s + 1; k < S; ++k) later_changes |= !stage_changes_[k].empty();
      if (!later_changes) {
        // Only rows whose output moved can change their prediction (NaN != 0 holds, so
        // rows that turned non-finite are kept). With faults in later stages every row
        // stays, since those faults reach all rows.
        rows = delta.ne(0).flatten(1).any(1).nonzero().squeeze(1);
        if (rows.numel() == 0) return c.wrong().slice(0, a, b).sum().item<int64_t>();
        all_rows = rows.numel() == b - a;  // nonzero() is sorted: then rows is 0..b-a-1
      }
      if (s + 1 == S) {
        dense = sel(c.input(S).slice(0, a, b)).clone();
        dense.index_copy_(1, idx, sel(out));
        st = State::kDense;
        break;
      }
      if (!all_rows) delta = delta.index_select(0, rows);
      cols = idx;
      st = State::kSparse;
      continue;
    }
    // kSparse input: a low-rank update of the cached pre-activation, then dense.
    torch::Tensor w = stage->weight;
    torch::Tensor pre;
    if (!conv) {
      if (delta.dim() > 2) {
        // Channels of a feature map entering a flattening linear stage: each channel is a
        // contiguous block of H*W columns.
        int64_t hw = delta.size(2) * delta.size(3);
        auto base = (cols * hw).unsqueeze(1) + torch::arange(hw, cols.options()).unsqueeze(0);
        cols = base.flatten();
        delta = delta.flatten(1);
      }
      pre = torch::addmm(z, delta, w.index_select(1, cols).t());
    } else {
      pre = delta_conv2d(delta, w.index_select(1, cols), o);
      pre.add_(z);  // z + conv, bit for bit (addition commutes), without another tensor
    }
    if (!changes.empty())
      add_weight_changes(pre, xf(), o, changes, params, [](int64_t u) { return u; });
    dense = stage->finish_owned(pre);
    st = State::kDense;
  }
  ARES_ASSERT(st == State::kDense, "fast engine ended without a dense result");
  auto clean_wrong = c.wrong().slice(0, a, b);
  int64_t outside = clean_wrong.sum().item<int64_t>() - sel(clean_wrong).sum().item<int64_t>();
  const auto clean_nll = c.clean_nll().slice(0, a, b);
  return outside +
         models::score_into(outcomes_, dense, sel(c.labels().slice(0, a, b)),
                            sel(c.clean_pred().slice(0, a, b)), c.top_k(),
                            all_rows ? clean_nll : clean_nll.index_select(0, rows.to(torch::kCPU)));
}

}  // namespace ares::campaign
