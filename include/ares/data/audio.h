#pragma once
/// Spoken digits: WAV and Sphinx .mfc readers, labels from file names, and folders of them as
/// datasets of feature sequences (docs/sequences.md).
///
/// A sample is a float32 T x F sequence: with the defaults, 100 frames (1 s) of 39 features
/// (13 MFCC, deltas, delta-deltas), so a Dataset's `images` are N x 100 x 39 and the
/// recurrent models' input shape is {100, 39}.

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "ares/data/dataset.h"
#include "ares/data/mfcc.h"

namespace ares::data {

/// The sample rate every waveform is brought to before its MFCC, in Hz.
inline constexpr int64_t kSpeechSampleRate = 16000;

/// A decoded waveform: float32 samples (1-D, in [-1, 1)) and their rate in Hz.
struct Waveform {
  torch::Tensor samples;
  int64_t sample_rate = 0;
};

/// Reads a RIFF WAVE file holding 16-bit PCM, mono or stereo (the channels are averaged), at
/// any rate; samples are divided by 32768. Chunks other than "fmt " and "data" are skipped;
/// WAVE_FORMAT_EXTENSIBLE is accepted when its sub-format is PCM. Throws ares::InputError
/// naming the file when it cannot be read, is not RIFF/WAVE, is truncated (a chunk, or the
/// data, extends past the end of the file), or holds another format (8/24/32-bit, float,
/// compressed, more than two channels): the message says what was found.
Waveform read_wav(const std::string& path);

/// Writes mono 16-bit PCM: `samples` float (1-D) scaled by 32767, clipped to [-1, 1], rounded
/// to nearest. For tests and for users converting their own audio. Throws ares::InputError
/// naming `path` on a bad tensor or a failed write.
void write_wav(const std::string& path, const torch::Tensor& samples, int64_t sample_rate);

/// Linear-interpolation resampling (no anti-aliasing filter: above the output's Nyquist
/// frequency content folds back; the MFCC's top filter ends at 8 kHz). Output sample j sits at
/// input position j * from / to (computed exactly in integers); there are
/// floor((n - 1) * to / from) + 1 of them for n >= 1 input samples. Equal rates return the
/// input. Throws ares::InputError when a rate is below 1.
torch::Tensor resample_linear(const torch::Tensor& samples, int64_t from_rate, int64_t to_rate);

/// End-pointing: drops the leading and trailing samples whose magnitude is more than `db`
/// decibels below the peak magnitude (|x| < peak * 10^(-db / 20)); keeps everything between
/// the first and the last louder sample. All-zero input, or db <= 0, is returned as it is.
torch::Tensor trim_samples(const torch::Tensor& samples, double db);

/// Reads a Sphinx feature (.mfc) file: a 4-byte count of the floats that follow, then that
/// many float32 values, `ceps` per frame. Big-endian as Sphinx writes them; a file whose count
/// only matches the file size little-endian is read little-endian (as Sphinx does). Returns
/// float32 frames x ceps (raw cepstra, c0 first). Throws ares::InputError naming the file when
/// the count matches the size in neither byte order, is not a multiple of `ceps`, or is 0, or
/// when a value is not finite.
torch::Tensor read_sphinx_mfc(const std::string& path, int64_t ceps = 13);

/// The digit a file name denotes, from its name without directory and extension, lower-cased
/// (the first rule that applies wins):
///   1. "<d>_..." (a digit then '_'): d, e.g. "7_m3_140_35.wav" (Ares's generated corpus);
///   2. "..._<d>": d, e.g. "jackson_take3_7.wav";
///   3. a TIDIGITS name, whose last '.'-separated part is digits spoken ('0'-'9', 'z' for
///      zero, 'o' for oh) followed by 'a' or 'b': the first digit spoken, e.g. "man.ah.zb" -> 0,
///      "man.ah.2934za" -> 2 (labels of multi-digit utterances are their first digit);
///   4. a word zero, oh, one, ..., nine among the parts separated by non-letters:
///      e.g. "speaker1-seven.wav" -> 7 (the first such word);
///   5. the first digit character anywhere, e.g. "take7b.wav" -> 7.
/// std::nullopt when none applies.
std::optional<int64_t> label_from_name(const std::string& file_name);

/// How files become samples. Example: AudioFeatureOptions().frames(254)
struct AudioFeatureOptions {
#define ARES_ARG(T, name, init)    \
  T name##_ = init;                \
  AudioFeatureOptions& name(T v) { \
    name##_ = v;                   \
    return *this;                  \
  }
  ARES_ARG(int64_t, frames, 100)  ///< T: steps per sample (fix_length)
  ARES_ARG(bool, deltas, true)    ///< 39 features (13 + deltas + delta-deltas), else 13
  /// WAV only: leading and trailing samples more than this many dB below the file's peak
  /// magnitude are dropped before the MFCC (end-pointing; espeak-ng ends every word with about
  /// 0.3 s of silence). 0 = keep every sample.
  ARES_ARG(double, trim_db, 40.0)
  ARES_ARG(MfccOptions, mfcc, MfccOptions())
#undef ARES_ARG
};

/// The feature sequence of one file: a .wav is read, resampled (resample_linear) to
/// mfcc.sample_rate (kSpeechSampleRate by default), trimmed (trim_samples with trim_db), and its
/// mfcc() taken; a .mfc file's cepstra are
/// read as they are (they must have mfcc.num_ceps columns). Then normalize_cepstra, add_deltas
/// (when deltas), fix_length(frames). Returns float32 frames x F. Throws ares::InputError naming
/// the file.
torch::Tensor audio_features(const std::string& path, const AudioFeatureOptions& options = {});

/// Loads every .wav or every .mfc file (extension in any letter case) under `dir`, in any
/// depth of subfolders, labelled by label_from_name. Samples come round-robin over the
/// labels: the first file (in path order) of label 0, of label 1, ..., then the second of each,
/// so that any prefix (a campaign's --eval-limit) is balanced. Returns images float32
/// N x frames x F, labels int64 N, num_classes 10. Throws ares::InputError naming the folder
/// when it holds no such file, or both .wav and .mfc files, and naming a file without a label
/// or that cannot be read.
Dataset load_audio_folder(const std::string& dir, const AudioFeatureOptions& options = {});

/// True when `dir` has a `test/` subfolder holding (at any depth) a .wav or .mfc file.
/// Never throws.
bool is_audio_split_dir(const std::string& dir);

/// What `load_dataset` does with a spoken-digit directory: DIR/train and DIR/test loaded with
/// load_audio_folder (default features). `test_only` skips train/. Throws ares::InputError when
/// train/ is missing (unless test_only), when train and test hold different file types, and
/// from load_audio_folder. Each Dataset's `name` is `name` when given, else `dir`.
Split load_audio_split(const std::string& dir, bool test_only, const std::string& name = "");

/// The dataset name of Ares's generated spoken-digit corpus.
inline constexpr const char* kSpokenDigits = "spoken-digits";

/// `load_dataset("spoken-digits")`: load_audio_split of the first directory `search_dirs`
/// gives for "spoken-digits" that exists (scripts/make_spoken_digits.sh
/// ~/.cache/ares/data/spoken-digits makes it). Throws ares::InputError listing the directories
/// searched and that command when none exists, and from load_audio_split.
Split load_spoken_digits(bool test_only);

}  // namespace ares::data
