#include "ares/models/checkpoint.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ares/common/error.h"
#include "ares/common/files.h"
#include "ares/models/registry.h"

namespace ares::models {
namespace {

constexpr char kMagic[8] = {'A', 'R', 'E', 'S', 'C', 'K', 'P', 'T'};
constexpr uint32_t kVersion = 1;

uint64_t fnv1a(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

class Writer {
 public:
  void raw(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }
  void u32(uint32_t v) { raw(&v, 4); }
  void i64(int64_t v) { raw(&v, 8); }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  std::string& bytes() { return buf_; }

 private:
  std::string buf_;
};

class Reader {
 public:
  Reader(const std::string& bytes, const std::string& path) : b_(bytes), path_(path) {}
  void raw(void* dst, size_t n, const char* what) {
    ARES_CHECK(n <= b_.size() - pos_, path_, ": truncated checkpoint (while reading ", what, ")");
    std::memcpy(dst, b_.data() + pos_, n);
    pos_ += n;
  }
  uint32_t u32(const char* what) {
    uint32_t v;
    raw(&v, 4, what);
    return v;
  }
  int64_t i64(const char* what) {
    int64_t v;
    raw(&v, 8, what);
    return v;
  }
  std::string str(const char* what) {
    uint32_t n = u32(what);
    ARES_CHECK(n <= b_.size() - pos_, path_, ": truncated checkpoint (while reading ", what, ")");
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  size_t pos() const { return pos_; }

 private:
  const std::string& b_;
  const std::string& path_;
  size_t pos_ = 0;
};

}  // namespace

void save_checkpoint(const std::string& path, const StagedModel& model, Metadata meta) {
  meta["model"] = model.name();
  Writer w;
  w.raw(kMagic, 8);
  w.u32(kVersion);
  w.u32(static_cast<uint32_t>(meta.size()));
  for (const auto& [k, v] : meta) {
    w.str(k);
    w.str(v);
  }
  // Parameters, then buffers (batch norm running statistics).
  auto params = model.named_parameters();
  auto buffers = model.named_buffers();
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : params) tensors.emplace_back(p.key(), p.value());
  for (const auto& b : buffers) tensors.emplace_back(b.key(), b.value());
  w.u32(static_cast<uint32_t>(tensors.size()));
  for (const auto& p : tensors) {
    torch::Tensor t = p.second.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
    w.str(p.first);
    w.u32(static_cast<uint32_t>(t.dim()));
    for (int64_t d : t.sizes()) w.i64(d);
    w.raw(t.data_ptr<float>(), sizeof(float) * static_cast<size_t>(t.numel()));
  }
  uint64_t h = fnv1a(w.bytes());
  w.raw(&h, 8);

  std::filesystem::path target(path);
  if (target.has_parent_path()) {
    std::error_code dir_error;
    std::filesystem::create_directories(target.parent_path(), dir_error);
    ARES_CHECK(!dir_error, path, ": cannot create directory ", target.parent_path().string(), " (",
               dir_error.message(), ")");
  }
  write_file_atomic(path, std::string_view(w.bytes().data(), w.bytes().size()));
}

Loaded load_checkpoint(const std::string& path) {
  ARES_CHECK(std::filesystem::is_regular_file(path), path, ": no such checkpoint file");
  std::ifstream in(path, std::ios::binary);
  ARES_CHECK(in, path, ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  ARES_CHECK(bytes.size() >= 24 && std::memcmp(bytes.data(), kMagic, 8) == 0, path,
             ": not an Ares checkpoint (expected magic ARESCKPT)");
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  std::string body = bytes.substr(0, bytes.size() - 8);
  ARES_CHECK(fnv1a(body) == stored, path, ": corrupt or truncated checkpoint (hash mismatch)");

  Reader r(body, path);
  char magic[8];
  r.raw(magic, 8, "magic");
  uint32_t version = r.u32("version");
  ARES_CHECK(version == kVersion, path, ": checkpoint version ", version, ", this Ares reads ",
             kVersion);
  Loaded out;
  out.path = path;
  uint32_t n_meta = r.u32("metadata count");
  for (uint32_t i = 0; i < n_meta; ++i) {
    std::string k = r.str("metadata key");
    out.meta[k] = r.str("metadata value");
  }
  ARES_CHECK(out.meta.count("model"), path, ": checkpoint names no model");
  try {
    out.model = create(out.meta["model"]);
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
  auto params = out.model->named_parameters();
  for (const auto& b : out.model->named_buffers()) params.insert(b.key(), b.value());
  uint32_t n_tensors = r.u32("tensor count");
  ARES_CHECK(n_tensors == params.size(), path, ": holds ", n_tensors, " tensors, model ",
             out.model->name(), " has ", params.size());
  torch::NoGradGuard no_grad;
  for (uint32_t i = 0; i < n_tensors; ++i) {
    std::string name = r.str("tensor name");
    ARES_CHECK(params.contains(name), path, ": tensor '", name, "' is not a parameter of ",
               out.model->name());
    torch::Tensor p = params[name];
    uint32_t ndim = r.u32("tensor rank");
    ARES_CHECK(ndim == static_cast<uint32_t>(p.dim()), path, ": tensor '", name, "' has rank ",
               ndim, ", model expects ", p.dim());
    std::vector<int64_t> dims;
    for (uint32_t d = 0; d < ndim; ++d) dims.push_back(r.i64("tensor shape"));
    ARES_CHECK(dims == p.sizes().vec(), path, ": tensor '", name, "' has shape ",
               c10::IntArrayRef(dims), ", model expects ", p.sizes());
    auto t = torch::empty(dims, torch::kFloat32);
    r.raw(t.data_ptr<float>(), sizeof(float) * static_cast<size_t>(t.numel()), "tensor data");
    ARES_CHECK(torch::isfinite(t).all().item<bool>(), path, ": tensor '", name,
               "' holds NaN or Inf values");
    p.copy_(t);
  }
  ARES_CHECK(r.pos() == body.size(), path, ": trailing bytes after the last tensor");
  out.model->eval();
  return out;
}

}  // namespace ares::models
