#pragma once
/// Small text helpers shared by the spec readers and the command line. Torch-free.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ares {

/// Whether `text` ends in `suffix` and is longer than it (a name before the suffix):
/// has_suffix("a.gz", ".gz") but not has_suffix(".gz", ".gz").
bool has_suffix(std::string_view text, std::string_view suffix);

/// Splits "a,b,c" at `sep` into {"a","b","c"}; empty items are dropped.
std::vector<std::string> split_list(std::string_view text, char sep = ',');

/// Levenshtein distance (insertions, deletions, substitutions): for "did you mean" hints.
size_t edit_distance(std::string_view a, std::string_view b);

/// A double as text that reads back to the same double ("%.17g").
std::string exact_number(double value);

/// The shortest "%g" form (6 to 17 digits) that reads back to the same double: "0.9", "5e-04"
/// rather than exact_number's "0.90000000000000002".
std::string shortest_number(double value);

/// A tensor shape as messages print it: "[256, 1, 28, 28]".
std::string shape_list(const std::vector<int64_t>& sizes);

}  // namespace ares
