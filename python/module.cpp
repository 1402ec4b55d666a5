// The Python API's native half, `ares._ares` (pybind11; python/ares/__init__.py is the other
// half): number formats on tensors and campaigns, on the library calls the ares command uses.
// Tensors pass through torch's own pybind11 casters (torch/extension.h), without copies where
// they are already contiguous float32 (or int64) on the CPU.
//
// Errors: ares::InputError becomes ares.InputError (a ValueError) carrying the same one-line
// message; Ctrl-C during a campaign raises KeyboardInterrupt after the trials finished so far
// are committed to the store, so the same call resumes.

#include <Python.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <torch/extension.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ares/campaign/campaign.h"
#include "ares/campaign/in_memory.h"
#include "ares/campaign/site.h"
#include "ares/campaign/spec_options.h"
#include "ares/campaign/store.h"
#include "ares/common/error.h"
#include "ares/common/progress.h"
#include "ares/data/load.h"
#include "ares/format/format.h"
#include "ares/format/scaled.h"
#include "ares/models/torchscript.h"
#include "ares/train/train.h"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace {

using ares::format::Format;

// Run from the campaign's calling thread (which released the GIL) at every progress tick.
void poll_python_signals() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

torch::Tensor cpu_contiguous(const torch::Tensor& t, torch::ScalarType type, const char* what) {
  ARES_CHECK(t.defined(), what, ": no tensor given");
  return t.to(torch::kCPU, type).contiguous();
}

// A scaled format's codes need their group's metadata: ares.formats.quantize only.
void refuse_scaled(const Format& f, const char* what) {
  ARES_CHECK(!f.is_scaled(), what, ": format '", f.spec(),
             "' is scaled (its codes need their group's scale); use ares.formats.quantize");
}

// Every value of `values` stored in the scaled format and read back, groups along dim 0 as the
// weight site forms them (format/scaled.h).
torch::Tensor quantize_scaled(const std::string& spec, const torch::Tensor& values) {
  const Format f = Format::parse(spec);
  ARES_CHECK(f.is_scaled(), "ares.formats.quantize_scaled: format '", f.spec(), "' is not scaled");
  const auto in = cpu_contiguous(values, torch::kFloat32, "ares.formats.quantize");
  ARES_CHECK(in.numel() > 0, "ares.formats.quantize: empty tensor");
  ARES_CHECK(torch::isfinite(in).all().item<bool>(),
             "ares.formats.quantize: a scaled format needs finite values");
  const uint64_t n = uint64_t(in.numel());
  const uint64_t dim0 = in.dim() >= 2 ? uint64_t(in.size(0)) : 1;
  const auto layout = ares::format::group_layout(f, n, dim0);
  std::vector<uint32_t> codes(n), scales(layout.groups()), zeros(layout.groups());
  ares::format::quantize_scaled(f, layout, in.data_ptr<float>(), codes.data(), scales.data(),
                                zeros.data());
  auto out = torch::empty(in.sizes(), torch::kFloat32);
  ares::format::decode_scaled(f, layout, codes.data(), scales.data(), zeros.data(),
                              out.data_ptr<float>());
  return out;
}

torch::Tensor encode(const std::string& spec, const torch::Tensor& values) {
  const Format f = Format::parse(spec);
  refuse_scaled(f, "ares.formats.encode");
  const auto in = cpu_contiguous(values, torch::kFloat32, "ares.formats.encode");
  std::vector<uint32_t> codes(size_t(in.numel()));
  f.encode(in.data_ptr<float>(), codes.data(), codes.size());
  auto out = torch::empty(in.sizes(), torch::kInt64);
  auto* o = out.data_ptr<int64_t>();
  for (size_t i = 0; i < codes.size(); ++i) o[i] = int64_t(codes[i]);
  return out;
}

torch::Tensor decode(const std::string& spec, const torch::Tensor& codes) {
  const Format f = Format::parse(spec);
  refuse_scaled(f, "ares.formats.decode");
  const auto in = cpu_contiguous(codes, torch::kInt64, "ares.formats.decode");
  const auto* c = in.data_ptr<int64_t>();
  std::vector<uint32_t> raw(size_t(in.numel()));
  for (size_t i = 0; i < raw.size(); ++i) {
    ARES_CHECK(c[i] >= 0 && uint64_t(c[i]) <= f.code_mask(), "ares.formats.decode: code ", c[i],
               " does not fit format '", f.spec(), "' (", f.width(), " bits)");
    raw[i] = uint32_t(c[i]);
  }
  auto out = torch::empty(in.sizes(), torch::kFloat32);
  f.decode(raw.data(), out.data_ptr<float>(), raw.size());
  return out;
}

py::dict format_info(const std::string& spec) {
  const Format f = Format::parse(spec);
  py::list roles;
  for (int b = 0; b < f.width(); ++b) roles.append(ares::format::to_string(f.role(b)));
  py::dict d;
  d["spec"] = f.spec();
  d["width"] = f.width();
  d["min"] = f.min_value();
  d["max"] = f.max_value();
  d["lsb"] = f.lsb();
  d["roles"] = roles;  // roles[b]: bit b, 0 = least significant
  d["scaled"] = f.is_scaled();
  return d;
}

// The campaign of `settings` (name, value as text; the names and defaults of `ares campaign`).
// With `images`, the instances are the model files `files` loaded into memory, named `names`
// in the rows, and evaluated on (images, labels); without, `files` are checkpoints or
// TorchScript files run on their dataset, as the command runs them (names unused).
// Writes trials.csv, summary.csv and summary.json into `out`, with the result store at
// `store` (resumed when it holds this campaign's trials). Returns the printed table and times.
py::dict run_campaign(const std::vector<std::pair<std::string, std::string>>& settings,
                      const std::vector<std::string>& names, const std::vector<std::string>& files,
                      std::optional<torch::Tensor> images, std::optional<torch::Tensor> labels,
                      const std::string& out, bool out_existed, const std::string& store_path,
                      bool progress) {
  const bool store_existed = fs::exists(store_path);
  ares::campaign::CampaignResult result;
  try {
    ares::campaign::SpecSettings given;
    for (const auto& [key, value] : settings) {
      given.set(key, value, "ares.campaign(" + key + "=...)");
    }
    ARES_CHECK(!files.empty() && names.size() == files.size(), "ares.campaign: no model given");
    ARES_CHECK(images.has_value() == labels.has_value(),
               "ares.campaign: data: give images and labels together");
    std::string list;
    for (const auto& m : images ? names : files) list += (list.empty() ? "" : ",") + m;
    given.set("checkpoint", list, "ares.campaign(model=...)");
    auto spec = ares::campaign::build_spec(given);
    spec.progress = progress;
    py::gil_scoped_release release;
    ares::ScopedInterruptPoll poll(poll_python_signals);
    ares::campaign::ResultStore store(store_path);
    if (images) {
      ares::campaign::CampaignInputs inputs;
      for (const auto& f : files) inputs.models.push_back(ares::models::load_model_file(f).model);
      inputs.images = *images;
      inputs.labels = *labels;
      result = ares::campaign::run_campaign(spec, inputs, &store);
    } else {
      result = ares::campaign::run_campaign(spec, &store);
    }
    ares::campaign::write_results(result, out);
  } catch (...) {
    // As the command: a start that failed (bad settings included) leaves nothing behind; a
    // store with trials stays, to resume.
    ares::campaign::remove_failed_start(store_path, store_existed, out, out_existed);
    throw;
  }
  py::dict d;
  d["table"] = ares::campaign::summary_table(result);
  d["seconds"] = result.seconds;
  d["evaluated_trials"] = result.evaluated_trials;
  d["eval_seconds"] = result.eval_seconds;
  d["clean_forward_seconds"] = result.clean_forward_seconds;
  return d;
}

// The test split of a dataset Ares knows ("fashion-mnist", "mnist", a directory).
std::pair<torch::Tensor, torch::Tensor> load_test_set(const std::string& name) {
  auto test = ares::data::load_dataset(name, /*test_only=*/true).test;
  return {test.images, test.labels};
}

// Every fault site of the model file `file` (a checkpoint or TorchScript file), found with
// `sample` (a batch of one), else with the model's own input shape.
py::list list_sites(const std::string& file, std::optional<torch::Tensor> sample) {
  auto loaded = ares::models::load_model_file(file);
  auto model = loaded.model->fold_batchnorm();
  model->eval();
  torch::Tensor x;
  if (sample) {
    x = cpu_contiguous(*sample, torch::kFloat32, "ares.sites");
    ares::train::check_input_shape(*model, x, "ares.sites: data");
  } else {
    ARES_CHECK(!model->input_shape().empty(), "ares.sites: ", file,
               " does not say its input shape; pass data");
    auto shape = model->input_shape();
    shape.insert(shape.begin(), 1);
    x = torch::zeros(shape);
  }
  py::list out;
  for (const auto& s : ares::campaign::list_sites(*model, x)) {
    py::dict d;
    d["site"] = s.site;
    d["parameter"] = s.parameter;
    d["shape"] = s.shape;
    d["values"] = s.values;
    d["per"] = s.site == "weights" ? "model" : "sample";
    out.append(d);
  }
  return out;
}

}  // namespace

PYBIND11_MODULE(_ares, m) {
  m.doc() = "Ares native module; use the ares package (import ares).";
  static py::exception<ares::InputError> input_error(m, "InputError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ares::InputError& e) {
      input_error(e.what());
    }
  });
  m.def("encode", &encode, py::arg("spec"), py::arg("values"));
  m.def("decode", &decode, py::arg("spec"), py::arg("codes"));
  m.def("format_info", &format_info, py::arg("spec"));
  m.def("quantize_scaled", &quantize_scaled, py::arg("spec"), py::arg("values"));
  m.def("run_campaign", &run_campaign, py::arg("settings"), py::arg("names"), py::arg("files"),
        py::arg("images"), py::arg("labels"), py::arg("out"), py::arg("out_existed"),
        py::arg("store"), py::arg("progress") = true);
  m.def("load_test_set", &load_test_set, py::arg("name"));
  m.def("list_sites", &list_sites, py::arg("file"), py::arg("sample") = std::nullopt);
}
