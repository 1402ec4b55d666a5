#pragma once
/// Fault models: what happens to a stored value that a fault hits.
///
/// | spec | level | a hit ... |
/// |---|---|---|
/// | `flip` (default) | bit | flips the bit |
/// | `stuck0`, `stuck1` | bit | forces the bit to 0 or 1 (no change if it already was) |
/// | `asym:R` | bit | asymmetric flips: a stored 1 turns 0 and a stored 0 turns 1 at rates whose
/// ratio (0-to-1 over 1-to-0) is R >= 0, the larger of the two at the BER. A hit bit flips
/// with probability min(1, R) if it holds 0 and min(1, 1/R) if it holds 1, one uniform draw
/// from the trial's stream per hit bit (lowest bit first). `asym:0` is retention loss (only
/// 1-to-0: the same codes as `stuck0`), `asym:1` flips every hit bit (the same codes as
/// `flip`) |
/// | `mbu:L` | bit | a multi-bit upset: a hit at bit b flips bits b .. b+L-1 of the word (clipped
/// at its top; protected bits keep their state; bursts of one word that overlap flip each bit
/// once). The BER is the rate of upsets per bit; `faults` counts upsets. `mbu:1` is `flip` |
/// | `mlc:B[-gray\|-bin][:W0,...]` | bit | multi-level cells of B = 2 or 3 bits (bits c*B ..
/// c*B+B-1 of the word are cell c; when the width is not a multiple of B the b < B leftover
/// top bits form a cell of levels 0 .. 2^b-1, with those levels' weights, clipped at its own
/// top). The BER is the rate at which bits are hit, as for `flip`; `faults` counts hit bits.
/// A cell is hit when any of its bits is; its bits map to a level (Gray, the
/// default: the Gray-decoded bits; `bin`: the bits as a number), which moves to an adjacent
/// level, up or down with equal probability (level 0 only up, the top level only down), and
/// maps back. Optional weights, one per level (2^B numbers >= 0, not all 0; default all
/// equal): a hit cell at level l errs with probability W_l / max(W). Two uniform draws from
/// the trial's stream per hit cell, lowest cell first: first whether it errs, then up or down.
/// Protected bits keep their state. Under Gray a cell error changes one bit, under `bin` it
/// may change several (level 1 to 2 is 01 to 10) |
/// | `burst:M` | bit | a burst upset across words: a hit at bit b of word i flips K consecutive
/// bits in memory order, b .. b+K-1 of word i, continuing at bit 0 of word i+1 (and on) when the
/// burst passes the word's top (never past the last word); K is drawn per upset from a
/// geometric distribution of mean M >= 1 (P(K = k) = p (1-p)^(k-1), p = 1/M, capped at 64),
/// one draw from the trial's stream per upset in the order of their bits after all the upsets
/// are placed (none when M = 1, which is `flip`). Protected bits keep their state; bursts that
/// overlap flip each bit once. The BER is the rate of upsets per bit; `faults` counts upsets |
/// | `signflip` | value | negates the value (re-encoded; -min of a 2c format saturates) |
/// | `zero` | value | sets the value to 0 |
/// | `uniform` | value | replaces the stored word by a uniformly random word (fixed point: a
/// uniform value over the representable range; floats: any bit pattern, Inf and NaN included) | |
/// `gaussian:S` | value | adds Gaussian noise of standard deviation S (value units; default 0.1),
/// re-encoded with rounding and saturation |
///
/// Bit-level models apply the rate to every faultable bit (BER); value-level models apply it
/// to every value. Protected bits never change under any model: a value-level fault keeps
/// the protected bits of the old code (so `signflip` under `sign` protection does nothing).
///
/// Models of your own: register_fault_model() (below; examples/custom_fault_model.cpp adds
/// one in a few lines). Ares still decides which bits or values are hit and keeps protected
/// bits; your function only says what a hit does to the stored code.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ares/fault/rng.h"
#include "ares/fault/sampler.h"
#include "ares/format/format.h"

namespace ares::fault {

/// The cells of an `mlc:B` model (FaultModel::mlc()).
struct MlcCell {
  int bits = 2;      ///< bits per cell, 2 or 3
  bool gray = true;  ///< Gray (true) or binary (false) mapping of a cell's bits to its level
  /// The spec's weights, one per level (2^bits; all 1 when the spec gives none).
  std::vector<double> weights;
  /// Per level: the probability that a hit cell at that level errs, weights[l] / max(weights).
  std::vector<double> error_probability;
};

/// A fault model of your own, registered by name (see register_fault_model).
struct CustomFaultModel {
  /// What a hit does: the new code of a value whose stored code is `code`. For a bit-level
  /// model `hit` holds the bits the faults hit in this value (at least one); for a
  /// value-level model it holds every faultable bit. `param` is the spec's number
  /// (`name:PARAM`) or `default_param`. Anything random must come from `rng`, the trial's own
  /// stream, so that campaigns stay reproducible. Ares keeps the rest: a bit-level model
  /// changes only the hit bits, a value-level model only the faultable ones (protected bits
  /// and bits outside the format's code mask are restored). Called from many threads at once.
  using Apply = std::function<uint32_t(uint32_t code, uint32_t hit, const format::Format& fmt,
                                       double param, Rng& rng)>;
  std::string name;        ///< the spec: lower-case letters, digits and '_', starting with a letter
  bool bit_level = false;  ///< the rate is per bit (true) or per value (false)
  double default_param = 0;
  Apply apply;
};

/// Makes `model` available to FaultModel::parse (so to `--fault-model` and TOML specs) in
/// this process. Throws ares::InputError when the name is malformed, built in or taken, or
/// `apply` is empty. Register before parsing specs that name it.
void register_fault_model(CustomFaultModel model);

class FaultModel {
 public:
  enum class Kind {
    kFlip,
    kStuck0,
    kStuck1,
    kAsym,
    kMbu,
    kMlc,
    kBurst,
    kSignFlip,
    kZero,
    kUniform,
    kGaussian,
    kCustom
  };
  /// "flip", the paper's model.
  FaultModel() : FaultModel(Kind::kFlip, 0.0) {}
  /// Parses a spec from the table above or a registered model's `name[:PARAM]`. Throws
  /// ares::InputError naming the spec otherwise.
  static FaultModel parse(std::string_view spec);
  Kind kind() const { return kind_; }
  /// True for flip, stuck0, stuck1, asym, mbu, mlc and bit-level custom models: the rate is
  /// per bit.
  bool bit_level() const {
    return kind_ == Kind::kFlip || kind_ == Kind::kStuck0 || kind_ == Kind::kStuck1 ||
           kind_ == Kind::kAsym || kind_ == Kind::kMbu || kind_ == Kind::kMlc ||
           kind_ == Kind::kBurst || (kind_ == Kind::kCustom && custom_->bit_level);
  }
  /// gaussian's standard deviation, asym's ratio R, mbu's burst length L, mlc's bits per cell,
  /// burst's mean length M, or a custom model's parameter.
  double sigma() const { return sigma_; }
  /// The registered model of a kCustom model, else null.
  const CustomFaultModel* custom() const { return custom_.get(); }
  /// The cells of a kMlc model, else null.
  const MlcCell* mlc() const { return mlc_.get(); }
  /// Canonical spec ("flip", "gaussian:0.1", "mymodel:2", "mlc:2-gray", "mlc:3-bin:1,2,...":
  /// the mapping always written, the weights unless all equal).
  std::string spec() const;

 private:
  FaultModel(Kind kind, double sigma, std::shared_ptr<const CustomFaultModel> custom = nullptr,
             std::shared_ptr<const MlcCell> mlc = nullptr)
      : kind_(kind), sigma_(sigma), custom_(std::move(custom)), mlc_(std::move(mlc)) {}
  Kind kind_;
  double sigma_;
  std::shared_ptr<const CustomFaultModel> custom_;
  std::shared_ptr<const MlcCell> mlc_;
};

/// A value a fault changed: its index and its new code.
struct CodeChange {
  uint64_t index;
  uint32_t code;
};

/// One plan of faults, whatever drew it: the values whose code changes (sorted by index, one
/// entry per value) and the hits drawn, changed or not (bits for bit-level models, values for
/// value-level ones). What every site applies: the weight targets take one plan per trial, a
/// stage's output or a hidden state one plan per sample (campaign/site.h).
struct FaultPlan {
  std::vector<CodeChange> changes;
  uint64_t hits = 0;
  bool empty() const { return changes.empty(); }
};

/// The plan of the bit flips `flips` (sorted by (index, bit), as sample_flips and
/// sample_flips_dense give) over the clean codes `codes`: the flips of a value grouped into one
/// change, hits = flips.size().
FaultPlan plan_of_flips(const std::vector<Flip>& flips, const uint32_t* codes);

/// A value that faults hit: its index, and the bits hit (bit-level models: the bits the
/// faults hit, at least one; value-level models: every faultable bit).
struct Hit {
  uint64_t index;
  uint32_t mask;
};

/// The first half of sample_faults: which values the faults hit, sorted by index, one entry
/// per value, drawn from `rng` without looking at any code. `hit_count` receives the number of
/// bits (bit-level) or values (value-level) hit. Lets a caller fetch only the hit values'
/// codes (e.g. a few words of a GPU tensor) before apply_hit. `width` is the stored word's
/// width, where a `burst` continues into the next word; the other models ignore it.
std::vector<Hit> sample_hits(Rng& rng, uint64_t n, uint32_t faultable_mask, double rate,
                             Semantics semantics, const FaultModel& model, uint64_t* hit_count,
                             int width = 32);

/// The second half: the new code of hit `hit` whose stored code is `code`. Call it for the
/// hits of one sample_hits() plan in their order, with the same `rng` (value-level and custom
/// models draw from it). Protected bits keep their state.
uint32_t apply_hit(Rng& rng, uint32_t code, const Hit& hit, const format::Format& fmt,
                   uint32_t faultable_mask, const FaultModel& model);

/// Samples one trial's faults over `n` values whose clean codes are `codes` (format `fmt`,
/// faultable bits `faultable_mask`) at `rate` under `semantics`, and returns the values whose
/// code changes, sorted by index, one entry per value. `hits` receives the number of bits
/// (bit-level) or values (value-level) the faults hit, changed or not. Everything random
/// comes from `rng`. For `flip` the plan equals sample_flips(rng, ...) grouped by value.
/// Equal to sample_hits() followed by apply_hit() on every hit (that is how it is built).
std::vector<CodeChange> sample_faults(Rng& rng, const uint32_t* codes, uint64_t n,
                                      const format::Format& fmt, uint32_t faultable_mask,
                                      double rate, Semantics semantics, const FaultModel& model,
                                      uint64_t* hits);

/// sample_faults for paired encodings: the hits are drawn over `sample_mask` (every bit a
/// configuration of this width could fault), then each bit-level hit keeps only its bits in
/// `faultable_mask` (a protected bit's fault is dropped; a hit left with none is dropped), and
/// value-level hits are dropped when `faultable_mask` is empty. With the same stream, two
/// encodings of one width therefore see the same faulty cells (the same chip storing another
/// encoding). Under bernoulli semantics each faultable bit is still hit independently with
/// probability `rate`: the distribution of sample_faults over `faultable_mask`, another plan.
/// `hits` receives the bits (bit-level) or values (value-level) kept.
std::vector<CodeChange> sample_paired_faults(Rng& rng, const uint32_t* codes, uint64_t n,
                                             const format::Format& fmt, uint32_t sample_mask,
                                             uint32_t faultable_mask, double rate,
                                             Semantics semantics, const FaultModel& model,
                                             uint64_t* hits);

/// The code a value-level model gives a hit value (exposed for tests). Protected bits (those
/// outside `faultable_mask`) keep their old state.
uint32_t value_fault(Rng& rng, uint32_t code, const format::Format& fmt, uint32_t faultable_mask,
                     const FaultModel& model);

}  // namespace ares::fault
