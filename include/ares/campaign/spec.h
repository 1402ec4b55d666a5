#pragma once
/// What a campaign runs: the grid of (instance, format, protection, BER, trial).

#include <cstdint>
#include <string>
#include <vector>

#include "ares/campaign/spec_types.h"
#include "ares/fault/ecc.h"
#include "ares/fault/fault_model.h"
#include "ares/fault/sampler.h"
#include "ares/format/format.h"

namespace ares::campaign {

/// One encoding configuration: a format spec and a protection spec ("q2.6-2c" + "sign").
struct Config {
  std::string format;
  std::string protection;
  /// "q2.6-2c" or "q2.6-2c+sign".
  std::string label() const { return protection == "none" ? format : format + "+" + protection; }
};

/// A weight-fault campaign. Defaults follow the paper: 50 BERs log-spaced in [1e-9, 1e-3],
/// 20 trials per BER, all weights and biases targeted, bernoulli faults.
struct CampaignSpec {
  std::vector<std::string> checkpoints;  ///< one per instance
  std::vector<Config> configs;           ///< encodings to compare
  std::vector<double> bers;              ///< ascending, each in (0, 1]
  int trials = 20;
  uint64_t seed = 1;
  std::vector<std::string> targets = {"*"};  ///< parameter-name globs
  /// Weight site: the kinds of target parameter, all (default), weight or bias (a bias is a
  /// parameter whose last name part starts with "bias").
  inject::ParamKind param_kind = inject::ParamKind::kAll;
  /// The bit indices of the stored word that may be faulted (0 = LSB), ascending and distinct;
  /// empty: every bit. Protected bits stay protected: the faultable bits of a configuration are
  /// the selected bits its protection leaves, and the BER applies to values x those bits.
  std::vector<int> bits;
  fault::Semantics semantics = fault::Semantics::kBernoulli;
  /// Paired encodings: every configuration of one word width draws its faults from the same
  /// stream over all the width's (selected) bits, and drops the hits on its protected bits
  /// (fault::sample_paired_faults): the same faulty cells, another encoding, so differences
  /// between encodings carry no sampling noise of their own. Weight site, sparse sampler and
  /// bernoulli semantics only; off by default (it changes every row: other plans).
  bool paired = false;
  /// Which stored words of a scaled format (format/scaled.h: intN, mx...) fault: every word
  /// (default: data and metadata, as in a memory that stores both), only the data words, or
  /// only the metadata (the scales and zero points). The BER applies per stored bit of the
  /// selected words; --bits and protections select bits of the data words, metadata words
  /// fault in every bit. Formats that are not scaled have data words only.
  Words words = Words::kAll;
  /// Scaled formats: SEC-DED over each metadata word (`--meta-protection secded`): every
  /// scale and zero point is its own codeword with its check bits beside it, (39,32) for an
  /// fp32 scale, (22,16) for fp16, (13,8) for e8m0 and zero points of up to 8 bits (several
  /// 2- or 4-bit zero points share one); the check bits fault too and a double error is
  /// detected and kept (`secded:zero`: the word reads as 0). Data words stay unprotected.
  bool meta_secded = false;
  fault::EccAction meta_action = fault::EccAction::kKeep;
  /// What a hit does (fault/fault_model.h): flip (default), stuck0, stuck1, signflip, zero,
  /// uniform, gaussian:S or a registered model. Bit-level models take the rate per bit,
  /// value-level ones per value.
  fault::FaultModel fault_model;
  /// Where faults land: weights (the target parameters, stored in each configuration's
  /// format), act:STAGE (the output of stage STAGE, by name or index, stored in the format
  /// for every inference; weights stay float) or hidden:STAGE (the hidden state of GRU stage
  /// STAGE after every step, stored in the format; campaign/hidden_state.h).
  SiteRef site;
  std::string dataset;     ///< override; default: the checkpoint's own dataset
  int64_t eval_limit = 0;  ///< evaluate on the first N test samples (0 = all)
  /// The error metric: 1, top-1 error (the argmax is wrong); K, top-K error (the label is not
  /// among the K highest logits; models/evaluate.h). `--metric topK`.
  int top_k = 1;
  int64_t batch = 256;            ///< evaluation batch
  int64_t cache_mb = 3072;        ///< memory for cached clean activations
  int threads = 1;                ///< worker threads (results do not depend on it)
  Engine engine = Engine::kFast;  ///< campaign/engine.h
  /// Where the weight site's model, clean caches and injection live: "cpu", "cuda" or
  /// "cuda:N" (a CUDA build of LibTorch and a GPU; sampling stays on the host and only each
  /// plan's sparse list of values crosses). Not part of the campaign's identity: the rows
  /// equal the CPU's except where float rounding moves an exact logit tie.
  std::string device = "cpu";
  /// Sparse (count, then positions: O(faults)) or dense (the original Ares's one draw per
  /// bit, O(bits); a benchmark yardstick, bernoulli only, other plans for the same seed).
  Sampler sampler = Sampler::kSparse;
  /// Time the clean suffix from every stage (the floor a trial starting there must pay).
  bool measure_floor = false;
  std::vector<double> levels = {0.5, 1.0, 5.0, 10.0};  ///< degradation levels, % relative
  /// With Y > 0, also the yield threshold at each level: the highest grid BER before fewer
  /// than Y% of the trials (chips) stay within the level's bound. 0: off. Not part of the
  /// identity (it changes no row).
  double yield = 0;
  /// Chips (fault/chip.h): with N > 0, trial t is chip t, a persistent map of stuck-at cells
  /// drawn once from its own stream (independent of instance, format and BER) over the
  /// instance's weights laid out as 32-bit words, nested across the BER grid; every format
  /// and encoding stores its words on the same cells. `trials` is N. Weight site, sparse
  /// sampler, bernoulli semantics, the default fault model and no code protection only.
  int chips = 0;
  /// Chips: read chip-0.csv .. chip-(N-1).csv from this directory instead of drawing them.
  std::string load_chips;
  /// Chips: write each chip's map to this directory as chip-K.csv (not part of the identity).
  std::string save_chips;
  /// Run only the rows whose index modulo shard_count is shard_index (Slurm job arrays, MPI
  /// ranks); a shard's store is merged with the others by `ares merge`. Not part of the
  /// spec's text: every shard of a campaign has the same identity.
  int shard_index = 0;
  int shard_count = 1;
  bool progress = true;

  /// Throws ares::InputError naming the first invalid field.
  void validate() const;

  /// The bits `bits` selects in `fmt`'s stored word (all of fmt.code_mask() when empty).
  /// Throws ares::InputError when a selected bit is outside the format's width.
  uint32_t selected_bits(const format::Format& fmt) const;
  /// The bits a trial of configuration `config` may fault: the selected bits (`bits`) that its
  /// protection leaves. Throws ares::InputError as selected_bits and Protection do.
  uint32_t faultable_mask(const Config& config) const;

  /// The settings as "key=value" lines (lists comma-separated, numbers exact), in a fixed
  /// order. from_text(to_text()) gives an equal spec.
  std::string to_text() const;
  /// Parses to_text()'s output. Throws ares::InputError on unknown keys or bad values.
  static CampaignSpec from_text(const std::string& text);
  /// Reads a TOML campaign file (campaign/spec_options.h: keys, types and defaults) and
  /// validates it. Throws ares::InputError naming the file, line and key.
  static CampaignSpec from_toml(const std::string& path);
  /// The lines of to_text() that decide the trial rows (checkpoints, configurations, BERs,
  /// trials, seed, targets, parameter kind, bits, semantics, fault model, site, sampler,
  /// dataset, evaluation subset): a store made under one identity never takes rows from
  /// another. (param_kind and bits are written only when not the default, so stores of
  /// campaigns without them keep their identity.) Threads, engine, batch, cache size,
  /// levels and progress do not change any row.
  std::string identity_text() const;
};

/// Parses a list of bit indices: items separated by commas, each an index or a range A-B
/// ("7", "0-3,7"). Returns them ascending and distinct. Throws ares::InputError on anything
/// else or an index above 31.
/// The SEC-DED code of --meta-protection for metadata words in `word`: (13,8) for words of 2,
/// 4 or 8 bits (packed into one 8-bit data block), (22,16) for 16, (39,32) for 32. Throws
/// ares::InputError for another width.
fault::BlockCode metadata_code(const format::Format& word);

std::vector<int> parse_bit_list(const std::string& text);
/// The canonical text of a bit list: ascending, runs of three or more written A-B ("0-3,7").
std::string bit_list_text(const std::vector<int>& bits);

/// `n` BERs log-spaced from `lo` to `hi` inclusive.
std::vector<double> log_grid(double lo, double hi, int n);

/// Parses "q2.6-2c,q2.6-sm,q2.6-2c+sign" crossed with protections {"none","sign"}: an entry
/// with its own "+protection" keeps it; the others get each listed protection. Validates
/// every format and protection spec.
std::vector<Config> parse_configs(const std::vector<std::string>& formats,
                                  const std::vector<std::string>& protections);

}  // namespace ares::campaign
