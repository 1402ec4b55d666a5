#include "ares/analysis/csv.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ares/common/error.h"

namespace ares::analysis {

CsvTable CsvTable::parse(const std::string& text, const std::string& name) {
  CsvTable t;
  t.name_ = name;
  std::vector<std::string> record;
  std::string field;
  size_t line = 1, record_line = 1;
  bool in_quotes = false, any = false;
  auto end_record = [&]() {
    record.push_back(field);
    field.clear();
    if (t.header_.empty()) {
      t.header_ = record;
      for (size_t i = 0; i < record.size(); ++i) t.index_[record[i]] = i;
    } else {
      ARES_CHECK(record.size() == t.header_.size(), name, ":", record_line, ": expected ",
                 t.header_.size(), " fields, got ", record.size());
      t.rows_.push_back(record);
      t.lines_.push_back(record_line);
    }
    record.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      in_quotes = true;
      any = true;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) end_record();
      record_line = ++line;
    } else {
      field += c;
      any = true;
    }
  }
  ARES_CHECK(!in_quotes, name, ":", record_line, ": unterminated quoted field");
  if (any || !field.empty()) end_record();
  ARES_CHECK(!t.header_.empty(), name, ": empty file, expected a CSV header");
  return t;
}

CsvTable CsvTable::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ARES_CHECK(in, path, ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  ARES_CHECK(!in.bad(), path, ": read failed");
  return parse(ss.str(), path);
}

size_t CsvTable::column(const std::string& col) const {
  auto it = index_.find(col);
  ARES_CHECK(it != index_.end(), name_, ": missing column '", col, "'");
  return it->second;
}

double CsvTable::number(size_t row, size_t col) const {
  const std::string& s = rows_[row][col];
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  ARES_CHECK(!s.empty() && end && *end == '\0' && errno != ERANGE, name_, ":", lines_[row],
             ": column '", header_[col], "' expects a number, got '", s, "'");
  return v;
}

long long CsvTable::integer(size_t row, size_t col) const {
  const std::string& s = rows_[row][col];
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  ARES_CHECK(!s.empty() && end && *end == '\0' && errno == 0, name_, ":", lines_[row], ": column '",
             header_[col], "' expects an integer, got '", s, "'");
  return v;
}

}  // namespace ares::analysis
