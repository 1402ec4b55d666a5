#pragma once
/// Speech features computed in Ares: MFCC, per-utterance normalisation, deltas, fixed length.
///
/// Every constant is documented in docs/sequences.md. The pipeline from a 16 kHz waveform:
/// mfcc() (13 cepstra per 10 ms frame) -> normalize_cepstra() -> add_deltas() (39 features)
/// -> fix_length() (100 frames). Sphinx .mfc cepstra enter at normalize_cepstra().

#include <torch/types.h>

#include <cstdint>

namespace ares::data {

/// MFCC settings; the defaults are Ares's spoken-digit features.
/// Example: MfccOptions().num_ceps(20)
struct MfccOptions {
#define ARES_ARG(T, name, init) \
  T name##_ = init;             \
  MfccOptions& name(T v) {      \
    name##_ = v;                \
    return *this;               \
  }
  ARES_ARG(int64_t, sample_rate, 16000)  ///< Hz of the input samples
  ARES_ARG(int64_t, win_length, 400)     ///< samples per frame (25 ms), periodic Hann window
  ARES_ARG(int64_t, hop_length, 160)     ///< samples between frame starts (10 ms)
  ARES_ARG(int64_t, n_fft, 512)          ///< FFT size; frames are zero-padded to it
  ARES_ARG(int64_t, num_mels, 40)        ///< triangular HTK-mel filters
  ARES_ARG(double, f_min, 0.0)           ///< Hz, lower edge of the first filter
  ARES_ARG(double, f_max, 8000.0)        ///< Hz, upper edge of the last filter (<= rate / 2)
  ARES_ARG(int64_t, num_ceps, 13)        ///< DCT-II coefficients kept, c0 included
  ARES_ARG(double, preemphasis, 0.97)    ///< y[i] = x[i] - a x[i-1]; 0 = none
  ARES_ARG(double, log_offset, 1e-6)     ///< log(mel energy + offset), as torchaudio
#undef ARES_ARG
};

/// The mel filter bank: float32 (n_fft / 2 + 1) x num_mels, triangles whose corners are
/// num_mels + 2 points equally spaced in HTK mel (2595 log10(1 + f / 700)) between f_min and
/// f_max, evaluated at the FFT bin frequencies k * rate / n_fft, unnormalised (peak 1), as
/// torchaudio.functional.melscale_fbanks(norm=None, mel_scale="htk").
torch::Tensor mel_filterbank(const MfccOptions& options = {});

/// The orthonormal DCT-II matrix: float32 num_mels x num_ceps, so that
/// cepstra = log_mel x dct (torchaudio.functional.create_dct(norm="ortho")).
torch::Tensor dct_matrix(int64_t num_mels, int64_t num_ceps);

/// MFCC of one waveform: `samples` is float32 (1-D, any length, values nominally in [-1, 1])
/// at options.sample_rate. Pre-emphasis, then frames of win_length samples every hop_length
/// (1 + (n - win) / hop frames, the incomplete tail dropped; a signal shorter than one window
/// is zero-padded to one frame), each times a periodic Hann window, zero-padded to n_fft and
/// transformed (torch::stft, return_complex=true); power |X|^2; mel filter bank;
/// log(energy + log_offset); DCT-II (orthonormal), first num_ceps kept.
/// Returns float32 frames x num_ceps. Throws ares::InputError on inconsistent options.
torch::Tensor mfcc(const torch::Tensor& samples, const MfccOptions& options = {});

/// Per-utterance cepstral mean and variance normalisation: every column of `cepstra`
/// (frames x C) minus its mean over the frames, divided by its standard deviation (population;
/// a column with deviation below 1e-5 is only centred). Removes the channel and the level,
/// so features from different sources (our MFCC, Sphinx .mfc) land on one scale.
torch::Tensor normalize_cepstra(const torch::Tensor& cepstra);

/// Appends deltas and delta-deltas: frames x C -> frames x 3C. HTK's regression with a window
/// of 2: d_t = sum_{k=1,2} k (c_{t+k} - c_{t-k}) / 10, the edge frames repeated; the
/// delta-deltas are the deltas of the deltas.
torch::Tensor add_deltas(const torch::Tensor& features);

/// Pads or truncates a frames x F sequence to exactly `frames` rows: a short one gets zero
/// rows in front (so the utterance ends at the last step, where a recurrent model reads its
/// state; zero is the mean after normalize_cepstra), a long one keeps its first `frames` rows.
torch::Tensor fix_length(const torch::Tensor& features, int64_t frames);

}  // namespace ares::data
