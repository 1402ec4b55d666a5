#include "ares/data/mfcc.h"

#include <torch/torch.h>

#include <cmath>

#include "ares/common/error.h"

namespace ares::data {

namespace {

double hz_to_mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }

void check_options(const MfccOptions& o) {
  ARES_CHECK(o.sample_rate_ >= 1 && o.win_length_ >= 1 && o.hop_length_ >= 1 &&
                 o.n_fft_ >= o.win_length_ && o.num_mels_ >= 1 && o.num_ceps_ >= 1 &&
                 o.num_ceps_ <= o.num_mels_,
             "MFCC options: need rate, window, hop, mels, cepstra >= 1, n_fft >= window and ",
             "cepstra <= mels; got rate ", o.sample_rate_, ", window ", o.win_length_, ", hop ",
             o.hop_length_, ", n_fft ", o.n_fft_, ", mels ", o.num_mels_, ", cepstra ",
             o.num_ceps_);
  ARES_CHECK(o.f_min_ >= 0 && o.f_min_ < o.f_max_ && o.f_max_ <= o.sample_rate_ / 2.0,
             "MFCC options: need 0 <= f_min < f_max <= rate / 2, got ", o.f_min_, ", ", o.f_max_,
             " at ", o.sample_rate_, " Hz");
  ARES_CHECK(o.log_offset_ > 0, "MFCC options: log offset must be > 0, got ", o.log_offset_);
}

}  // namespace

torch::Tensor mel_filterbank(const MfccOptions& o) {
  check_options(o);
  const int64_t bins = o.n_fft_ / 2 + 1;
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto freqs = torch::linspace(0.0, o.sample_rate_ / 2.0, bins, opts);
  auto mels = torch::linspace(hz_to_mel(o.f_min_), hz_to_mel(o.f_max_), o.num_mels_ + 2, opts);
  auto corners = 700.0 * (torch::pow(10.0, mels / 2595.0) - 1.0);  // mel_to_hz, elementwise
  auto widths = corners.slice(0, 1) - corners.slice(0, 0, -1);     // num_mels + 1
  auto slopes = corners.unsqueeze(0) - freqs.unsqueeze(1);         // bins x (num_mels + 2)
  auto down = -slopes.slice(1, 0, -2) / widths.slice(0, 0, -1);
  auto up = slopes.slice(1, 2) / widths.slice(0, 1);
  return torch::clamp_min(torch::minimum(down, up), 0.0).to(torch::kFloat32);
}

torch::Tensor dct_matrix(int64_t num_mels, int64_t num_ceps) {
  ARES_CHECK(num_mels >= 1 && num_ceps >= 1 && num_ceps <= num_mels,
             "DCT: need 1 <= cepstra <= mels, got ", num_ceps, " and ", num_mels);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto n = torch::arange(num_mels, opts);
  auto k = torch::arange(num_ceps, opts).unsqueeze(1);
  auto dct = torch::cos(M_PI / double(num_mels) * (n + 0.5) * k);  // num_ceps x num_mels
  dct[0] *= 1.0 / std::sqrt(2.0);
  dct *= std::sqrt(2.0 / double(num_mels));
  return dct.t().contiguous().to(torch::kFloat32);
}

torch::Tensor mfcc(const torch::Tensor& samples, const MfccOptions& o) {
  check_options(o);
  ARES_CHECK(samples.dim() == 1, "MFCC: expected 1-D samples, got ", samples.sizes());
  torch::NoGradGuard no_grad;
  auto x = samples.to(torch::kFloat32).contiguous();
  if (o.preemphasis_ != 0 && x.numel() > 1) {
    x = torch::cat({x.slice(0, 0, 1), x.slice(0, 1) - float(o.preemphasis_) * x.slice(0, 0, -1)});
  }
  if (x.numel() < o.win_length_) {
    x = torch::constant_pad_nd(x, {0, o.win_length_ - x.numel()});
  }
  // torch::stft takes frames of n_fft samples with the window centred in them: padding
  // (n_fft - win) / 2 on each side makes its frames the win_length frames documented, and
  // their count 1 + (n - win) / hop.
  const int64_t left = (o.n_fft_ - o.win_length_) / 2;
  x = torch::constant_pad_nd(x, {left, o.n_fft_ - o.win_length_ - left});
  auto window = torch::hann_window(o.win_length_, /*periodic=*/true);
  auto spec = torch::stft(x, o.n_fft_, o.hop_length_, o.win_length_, window, /*center=*/false,
                          "constant", /*normalized=*/false, /*onesided=*/true,
                          /*return_complex=*/true);
  auto power = spec.abs().pow(2).t();  // frames x bins
  auto mel = torch::matmul(power, mel_filterbank(o));
  auto log_mel = torch::log(mel + o.log_offset_);
  return torch::matmul(log_mel, dct_matrix(o.num_mels_, o.num_ceps_)).contiguous();
}

torch::Tensor normalize_cepstra(const torch::Tensor& cepstra) {
  ARES_CHECK(cepstra.dim() == 2 && cepstra.size(0) >= 1, "cepstra: expected frames x C with ",
             "at least one frame, got ", cepstra.sizes());
  auto mean = cepstra.mean(0, /*keepdim=*/true);
  auto std = cepstra.std(0, /*unbiased=*/false, /*keepdim=*/true);
  // A constant column (one frame, digital silence) is only centred.
  std = torch::where(std < 1e-5, torch::ones_like(std), std);
  return ((cepstra - mean) / std).contiguous();
}

namespace {

torch::Tensor deltas_of(const torch::Tensor& c) {
  const int64_t t = c.size(0);
  // Edge frames repeated: pad two rows of each end's frame.
  auto padded = torch::cat(
      {c.slice(0, 0, 1).expand({2, c.size(1)}), c, c.slice(0, t - 1, t).expand({2, c.size(1)})});
  auto d1 = padded.slice(0, 3, t + 3) - padded.slice(0, 1, t + 1);
  auto d2 = padded.slice(0, 4, t + 4) - padded.slice(0, 0, t);
  return (d1 + 2.0 * d2) / 10.0;
}

}  // namespace

torch::Tensor add_deltas(const torch::Tensor& features) {
  ARES_CHECK(features.dim() == 2 && features.size(0) >= 1, "deltas: expected frames x C with ",
             "at least one frame, got ", features.sizes());
  auto d = deltas_of(features);
  return torch::cat({features, d, deltas_of(d)}, 1).contiguous();
}

torch::Tensor fix_length(const torch::Tensor& features, int64_t frames) {
  ARES_CHECK(frames >= 1, "frames must be >= 1, got ", frames);
  ARES_CHECK(features.dim() == 2, "fix_length: expected frames x F, got ", features.sizes());
  const int64_t t = features.size(0);
  if (t >= frames) return features.slice(0, 0, frames).contiguous();
  return torch::constant_pad_nd(features, {0, 0, frames - t, 0}).contiguous();
}

}  // namespace ares::data
