#include "ares/analysis/json.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "ares/common/error.h"

namespace ares::analysis {
namespace {

// Builds JsonValues from nlohmann's SAX events, so that numbers keep the text they were
// written with (nlohmann's DOM would keep only their values).
class Builder : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit Builder(const std::string& name) : name_(name) {}
  JsonValue result() { return std::move(root_); }

  bool null() override { return put(JsonValue{}); }
  bool boolean(bool b) override {
    JsonValue v;
    v.type = JsonValue::Type::kBool;
    v.boolean = b;
    return put(std::move(v));
  }
  bool number_integer(number_integer_t x) override { return number(std::to_string(x)); }
  bool number_unsigned(number_unsigned_t x) override { return number(std::to_string(x)); }
  bool number_float(number_float_t, const string_t& text) override { return number(text); }
  bool string(string_t& s) override {
    JsonValue v;
    v.type = JsonValue::Type::kString;
    v.text = std::move(s);
    return put(std::move(v));
  }
  bool binary(binary_t&) override { return false; }  // not produced by the text parser
  bool start_object(std::size_t) override { return open(JsonValue::Type::kObject); }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(JsonValue::Type::kArray); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    if (auto at = what.find("] "); at != std::string::npos) what.erase(0, at + 2);
    throw InputError(name_ + ": offset " + std::to_string(position) + ": " + what);
  }

 private:
  bool number(const std::string& text) {
    JsonValue v;
    v.type = JsonValue::Type::kNumber;
    v.text = text;
    v.number = std::strtod(text.c_str(), nullptr);
    return put(std::move(v));
  }
  // Adds `v` to the open array or object (under the last key), or makes it the document.
  JsonValue* put(JsonValue v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    JsonValue& parent = *open_.back();
    if (parent.type == JsonValue::Type::kArray) {
      parent.items.push_back(std::move(v));
      return &parent.items.back();
    }
    parent.members.emplace_back(std::move(key_), std::move(v));
    return &parent.members.back().second;
  }
  bool open(JsonValue::Type type) {
    // summary.json nests three levels; a deeper file is not ours.
    ARES_CHECK(open_.size() < 64, name_, ": JSON nested too deeply");
    JsonValue v;
    v.type = type;
    open_.push_back(put(std::move(v)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  const std::string& name_;
  JsonValue root_;
  std::string key_;
  // The open arrays and objects, outermost first. Pointers stay valid: a value is only
  // appended to the innermost open container, never to one further out while it is open.
  std::vector<JsonValue*> open_;
};

}  // namespace

const JsonValue* JsonValue::find(const std::string& key) const {
  for (const auto& m : members) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

std::string JsonValue::scalar_text() const {
  switch (type) {
    case Type::kBool:
      return boolean ? "true" : "false";
    case Type::kNumber:
    case Type::kString:
      return text;
    case Type::kNull:
      return "null";
    default:
      return "";
  }
}

JsonValue parse_json(const std::string& text, const std::string& name) {
  Builder builder(name);
  nlohmann::json::sax_parse(text, &builder);
  return builder.result();
}

}  // namespace ares::analysis
