#pragma once
/// Which parameters a weight site targets, by kind. Torch-free.

#include <string_view>

namespace ares::inject {

/// Which kinds of parameter a weight campaign targets (`--param-kind`): a parameter is a bias
/// when the last part of its name starts with "bias" ("fc1.bias", "gru.bias_ih"), else a
/// weight ("fc1.weight", "gru.weight_hh").
enum class ParamKind { kAll, kWeight, kBias };
/// Parses "all", "weight" or "bias". Throws ares::InputError otherwise.
ParamKind parse_param_kind(std::string_view text);
/// "all", "weight" or "bias".
const char* to_string(ParamKind kind);

}  // namespace ares::inject
