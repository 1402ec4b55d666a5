#pragma once
/// A small CSV reader and writer (RFC 4180 quoting) for campaign outputs and report tables.

#include <map>
#include <string>
#include <vector>

#include "ares/common/files.h"

namespace ares::analysis {

/// A CSV file: its header and rows, all as text.
class CsvTable {
 public:
  /// Parses `text`; `name` (a path) prefixes error messages. The first record is the header.
  /// Fields may be quoted ("a,b", "say ""hi"""); CRLF line ends are accepted. Throws
  /// ares::InputError naming the line when a row has another number of fields than the header,
  /// a quote is unterminated, or the text is empty.
  static CsvTable parse(const std::string& text, const std::string& name);
  /// Reads and parses a file. Throws ares::InputError when it cannot be read.
  static CsvTable read(const std::string& path);

  const std::vector<std::string>& header() const { return header_; }
  size_t rows() const { return rows_.size(); }
  bool has(const std::string& column) const { return index_.count(column) > 0; }
  /// Index of `column`. Throws ares::InputError naming the file when it is missing.
  size_t column(const std::string& column) const;
  const std::string& at(size_t row, size_t col) const { return rows_[row][col]; }
  /// Field as a number; throws ares::InputError naming file, line and column when it is not.
  double number(size_t row, size_t col) const;
  long long integer(size_t row, size_t col) const;
  /// 1-based line of a row in the file (for messages).
  size_t line_of(size_t row) const { return lines_[row]; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<std::string> header_;
  std::map<std::string, size_t> index_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> lines_;
};

// common/files.h: one way of quoting and of writing result files for every module.
using ares::csv_field;
using ares::write_file_atomic;

}  // namespace ares::analysis
