#include "ares/data/tensor_file.h"

#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <system_error>
#include <vector>

#include "ares/common/error.h"
#include "ares/common/text.h"

namespace ares::data {
namespace fs = std::filesystem;

namespace {

// The dict's tensors by key; throws when the file is not a torch.save() dict.
std::map<std::string, torch::Tensor> read_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ARES_CHECK(in, path, ": cannot open the tensor file");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ARES_CHECK(!in.bad(), path, ": cannot read the tensor file");
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    // LibTorch's unpickler asserts on Python objects it lacks (an OrderedDict: a state_dict).
    if (msg.find("INTERNAL ASSERT") != std::string::npos) msg = "an object LibTorch cannot read";
    throw InputError(path + ": not a plain dict of tensors saved by torch.save() (" + msg +
                     "); save torch.save({\"x\": inputs, \"y\": labels}, path)");
  }
  ARES_CHECK(value.isGenericDict(), path, ": holds a ", value.tagKind(),
             ", not a dict; save one: torch.save({\"x\": inputs, \"y\": labels}, path)");
  std::map<std::string, torch::Tensor> out;
  for (const auto& kv : value.toGenericDict()) {
    ARES_CHECK(kv.key().isString(), path, ": a key of the dict is a ", kv.key().tagKind(),
               ", not a string");
    const std::string key = kv.key().toStringRef();
    ARES_CHECK(kv.value().isTensor(), path, ": '", key, "' is a ", kv.value().tagKind(),
               ", not a tensor");
    out[key] = kv.value().toTensor();
  }
  return out;
}

std::string keys_of(const std::map<std::string, torch::Tensor>& dict) {
  std::string keys;
  for (const auto& kv : dict) keys += (keys.empty() ? "'" : ", '") + kv.first + "'";
  return keys.empty() ? "none" : keys;
}

Dataset split_of(const std::string& path, const torch::Tensor& x, const torch::Tensor& y,
                 const std::string& xk, const std::string& yk) {
  ARES_CHECK(x.dim() >= 1 && x.size(0) > 0, path, ": '", xk, "' has shape ",
             shape_list(x.sizes().vec()), "; expected N x ... inputs with N > 0");
  ARES_CHECK(y.dim() == 1, path, ": '", yk, "' has shape ", shape_list(y.sizes().vec()),
             "; expected one label per input");
  ARES_CHECK(y.size(0) == x.size(0), path, ": '", xk, "' holds ", x.size(0), " inputs but '", yk,
             "' ", y.size(0), " labels");
  ARES_CHECK(!at::isFloatingType(y.scalar_type()) && !at::isComplexType(y.scalar_type()) &&
                 y.scalar_type() != torch::kBool,
             path, ": '", yk, "' holds ", c10::toString(y.scalar_type()),
             " values; labels are class indices (an integer tensor)");
  Dataset d;
  d.images = x.to(torch::kCPU, torch::kFloat).contiguous();
  d.labels = y.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t lowest = d.labels.min().item<int64_t>();
  ARES_CHECK(lowest >= 0, path, ": '", yk, "' holds the label ", lowest,
             "; labels are class indices >= 0");
  d.num_classes = d.labels.max().item<int64_t>() + 1;
  d.name = path;
  d.source = path;
  return d;
}

}  // namespace

bool is_tensor_file(const std::string& path) {
  std::error_code ec;
  return (has_suffix(path, ".pt") || has_suffix(path, ".pth")) && !fs::is_directory(path, ec);
}

Split load_tensor_file(const std::string& path, bool test_only) {
  std::error_code ec;
  ARES_CHECK(fs::is_regular_file(path, ec), path, ": no such tensor file");
  const auto dict = read_dict(path);
  const auto has = [&](const char* k) { return dict.count(k) != 0; };
  const char* xk = has("test_x") ? "test_x" : "x";
  const char* yk = has("test_x") ? "test_y" : "y";
  ARES_CHECK(has(xk) && has(yk), path, ": no '", xk, "' and '", yk,
             "' tensors (inputs and labels; or 'test_x' and 'test_y'); the dict holds ",
             keys_of(dict));
  Split s;
  s.test = split_of(path, dict.at(xk), dict.at(yk), xk, yk);
  if (!test_only && has("train_x")) {
    ARES_CHECK(has("train_y"), path, ": 'train_x' without 'train_y'");
    s.train = split_of(path, dict.at("train_x"), dict.at("train_y"), "train_x", "train_y");
  }
  return s;
}

}  // namespace ares::data
