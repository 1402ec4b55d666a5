#pragma once
/// Reading JSON (RFC 8259, by nlohmann-json) into values that keep numbers as written.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ares::analysis {

/// One JSON value. Objects keep their keys in file order.
struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;              ///< the string (kString), or the number as written (kNumber)
  std::vector<JsonValue> items;  ///< kArray
  std::vector<std::pair<std::string, JsonValue>> members;  ///< kObject, in order

  /// Member `key` of an object, or nullptr (also when this is not an object).
  const JsonValue* find(const std::string& key) const;
  bool is_scalar() const { return type != Type::kArray && type != Type::kObject; }
  /// A scalar as text: strings as they are, numbers as written, true/false/null.
  std::string scalar_text() const;
};

/// Parses a JSON document. Throws ares::InputError naming `name` and the offset on bad input.
JsonValue parse_json(const std::string& text, const std::string& name);

}  // namespace ares::analysis
