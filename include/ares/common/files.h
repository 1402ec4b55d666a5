#pragma once
/// Writing result files: whole or not at all, and CSV fields and JSON strings quoted one way
/// everywhere.

#include <string>
#include <string_view>

namespace ares {

/// Writes `bytes` to `path` through `path.tmp`, renamed into place once complete, so that a
/// reader never sees half a file and a failed write leaves the old file (or none). Throws
/// ares::InputError naming the file when it cannot be opened, written (disk full) or renamed;
/// the temporary file is removed then.
void write_file_atomic(const std::string& path, std::string_view bytes);

/// A field quoted for CSV (RFC 4180) when it holds a comma, a quote, or a line break (\n or
/// \r); quotes inside are doubled.
std::string csv_field(const std::string& text);

/// `text` as a JSON string (RFC 8259): in quotes, with quotes, backslashes and control
/// characters escaped.
std::string json_string(const std::string& text);

}  // namespace ares
