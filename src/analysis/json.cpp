#include "ares/analysis/json.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "ares/common/error.h"

namespace ares::analysis {
namespace {

class Parser {
 public:
  Parser(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  JsonValue document() {
    JsonValue v = value(0);
    skip_space();
    ARES_CHECK(pos_ == s_.size(), where(), ": unexpected text after the JSON value");
    return v;
  }

 private:
  std::string where() const { return name_ + ": offset " + std::to_string(pos_); }

  void skip_space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool consume(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }

  JsonValue value(int depth) {
    // Deeply nested input would overflow the stack; summary.json nests three levels.
    ARES_CHECK(depth < 64, where(), ": JSON nested too deeply");
    skip_space();
    ARES_CHECK(pos_ < s_.size(), where(), ": unexpected end of JSON");
    JsonValue v;
    char c = s_[pos_];
    if (c == '{') {
      v.type = JsonValue::Type::kObject;
      ++pos_;
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return v;
      }
      for (;;) {
        skip_space();
        ARES_CHECK(pos_ < s_.size() && s_[pos_] == '"', where(), ": expected a member name");
        std::string key = string();
        skip_space();
        ARES_CHECK(pos_ < s_.size() && s_[pos_] == ':', where(), ": expected ':'");
        ++pos_;
        v.members.emplace_back(key, value(depth + 1));
        skip_space();
        ARES_CHECK(pos_ < s_.size(), where(), ": unterminated object");
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        ARES_CHECK(s_[pos_] == '}', where(), ": expected ',' or '}'");
        ++pos_;
        return v;
      }
    }
    if (c == '[') {
      v.type = JsonValue::Type::kArray;
      ++pos_;
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return v;
      }
      for (;;) {
        v.items.push_back(value(depth + 1));
        skip_space();
        ARES_CHECK(pos_ < s_.size(), where(), ": unterminated array");
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        ARES_CHECK(s_[pos_] == ']', where(), ": expected ',' or ']'");
        ++pos_;
        return v;
      }
    }
    if (c == '"') {
      v.type = JsonValue::Type::kString;
      v.text = string();
      return v;
    }
    if (consume("true")) {
      v.type = JsonValue::Type::kBool;
      v.boolean = true;
      return v;
    }
    if (consume("false")) {
      v.type = JsonValue::Type::kBool;
      return v;
    }
    if (consume("null")) return v;
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-' ||
            s_[pos_] == '+' || s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
    }
    ARES_CHECK(pos_ > start, where(), ": unexpected character '", c, "'");
    v.type = JsonValue::Type::kNumber;
    v.text = s_.substr(start, pos_ - start);
    errno = 0;
    char* end = nullptr;
    v.number = std::strtod(v.text.c_str(), &end);
    ARES_CHECK(end && *end == '\0', name_, ": offset ", start, ": bad number '", v.text, "'");
    return v;
  }

  // A string starting at the opening quote; \uXXXX escapes become UTF-8 (no surrogate pairs
  // needed for our files, but they are combined when present).
  std::string string() {
    ++pos_;
    std::string out;
    for (;;) {
      ARES_CHECK(pos_ < s_.size(), where(), ": unterminated string");
      char c = s_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      ARES_CHECK(pos_ < s_.size(), where(), ": unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && consume("\\u")) {
            unsigned lo = hex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          throw InputError(where() + ": bad escape '\\" + std::string(1, e) + "'");
      }
    }
  }

  unsigned hex4() {
    ARES_CHECK(pos_ + 4 <= s_.size(), where(), ": truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= unsigned(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        v |= unsigned(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        v |= unsigned(h - 'A' + 10);
      } else {
        throw InputError(where() + ": bad \\u escape");
      }
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  const std::string& s_;
  const std::string& name_;
  size_t pos_ = 0;
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
  return Parser(text, name).document();
}

}  // namespace ares::analysis
