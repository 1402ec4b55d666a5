#include "ares/fault/protection.h"

#include <cctype>
#include <cstdio>

#include "ares/common/error.h"

namespace ares::fault {

namespace {

constexpr const char* kGrammar =
    "expected none, sign, msb:K, lsb:K, mask:0xHEX, bits:A,B,..., secded:N[:keep|:zero] or "
    "parity";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Parses a non-empty run of decimal digits no greater than `max`; false otherwise.
bool parse_decimal(std::string_view s, uint32_t max, uint32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + static_cast<uint64_t>(ch - '0');
  }
  if (v > max) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// Parses "0x" followed by 1 to 8 significant hex digits (leading zeros allowed).
bool parse_hex32(std::string_view s, uint32_t* out) {
  if (s.size() < 3 || s[0] != '0' || s[1] != 'x') return false;
  uint64_t v = 0;
  for (char ch : s.substr(2)) {
    int digit;
    if (ch >= '0' && ch <= '9') {
      digit = ch - '0';
    } else if (ch >= 'a' && ch <= 'f') {
      digit = ch - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(digit);
    if (v > 0xFFFFFFFFull) return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

std::string hex_spec(uint32_t mask) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", mask);
  return std::string("mask:") + buf;
}

[[noreturn]] void fail_parse(std::string_view spec, const char* what) {
  throw InputError(detail::concat("protection '", spec, "': ", what));
}

// Mask of the low k bits, 0 <= k <= 32.
uint32_t low_bits(uint32_t k) { return k >= 32 ? 0xFFFFFFFFu : ((1u << k) - 1u); }

}  // namespace

Protection Protection::parse(std::string_view spec) {
  const std::string s = lower(spec);
  if (s == "none") return Protection(Kind::kNone, 0, "none");
  if (s == "sign") return Protection(Kind::kSign, 0, "sign");
  if (s == "parity") return Protection(Kind::kParity, 0, "parity", EccAction::kZero);

  const std::size_t colon = s.find(':');
  if (colon == std::string::npos) fail_parse(spec, kGrammar);
  const std::string_view key = std::string_view(s).substr(0, colon);
  const std::string_view arg = std::string_view(s).substr(colon + 1);

  if (key == "msb" || key == "lsb") {
    uint32_t k = 0;
    if (!parse_decimal(arg, 32, &k) || k == 0) {
      fail_parse(spec, key == "msb" ? "expected msb:K with an integer 1 <= K <= 32"
                                    : "expected lsb:K with an integer 1 <= K <= 32");
    }
    const Kind kind = key == "msb" ? Kind::kMsb : Kind::kLsb;
    return Protection(kind, k, std::string(key) + ":" + std::to_string(k));
  }
  if (key == "secded") {
    const std::size_t colon2 = arg.find(':');
    const std::string_view n_text = arg.substr(0, colon2);
    const std::string_view act =
        colon2 == std::string_view::npos ? std::string_view("keep") : arg.substr(colon2 + 1);
    uint32_t n = 0;
    if (!parse_decimal(n_text, 72, &n) || (n != 72 && n != 39 && n != 22 && n != 13)) {
      fail_parse(spec, "expected secded:N with N = 72, 39, 22 or 13 (total bits per codeword)");
    }
    if (act != "keep" && act != "zero") {
      fail_parse(spec, "expected secded:N:keep or secded:N:zero (what a detected error does)");
    }
    const EccAction action = act == "zero" ? EccAction::kZero : EccAction::kKeep;
    return Protection(Kind::kSecded, n,
                      "secded:" + std::to_string(n) + (act == "zero" ? ":zero" : ""), action);
  }
  if (key == "mask") {
    uint32_t mask = 0;
    if (!parse_hex32(arg, &mask))
      fail_parse(spec, "expected mask:0xHEX with at most 32 bits, e.g. mask:0x80");
    return Protection(Kind::kMask, mask, hex_spec(mask));
  }
  if (key == "bits") {
    // A list of bit indices is a mask by another name; it shares the mask's canonical spec.
    uint32_t mask = 0;
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = arg.find(',', start);
      const std::string_view item = arg.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      uint32_t bit = 0;
      if (!parse_decimal(item, 31, &bit)) {
        fail_parse(spec, "expected bits:A,B,... with bit indices 0 <= A <= 31 (0 = LSB)");
      }
      mask |= 1u << bit;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return Protection(Kind::kMask, mask, hex_spec(mask));
  }
  fail_parse(spec, kGrammar);
}

uint32_t Protection::protected_mask(const format::Format& fmt) const {
  const uint32_t width = static_cast<uint32_t>(fmt.width());
  const auto check_fits = [&](bool fits, const char* why) {
    ARES_CHECK(fits, "protection '", spec_, "' does not fit format '", fmt.spec(), "' (", width,
               " bits): ", why);
  };
  switch (kind_) {
    case Kind::kNone:
      return 0;
    case Kind::kSign:
      return 1u << fmt.sign_bit();
    case Kind::kMsb:
      check_fits(arg_ <= width, "more protected bits than the format has");
      return low_bits(arg_) << (width - arg_);
    case Kind::kLsb:
      check_fits(arg_ <= width, "more protected bits than the format has");
      return low_bits(arg_);
    case Kind::kMask:
      check_fits((arg_ & ~fmt.code_mask()) == 0, "mask has bits above the format's width");
      return arg_;
    case Kind::kSecded:
    case Kind::kParity:
      code(fmt);  // throws when the code does not hold whole words
      return 0;   // every data bit may flip; the code acts after the fact
  }
  ARES_ASSERT(false, "unknown protection kind");
  return 0;
}

BlockCode Protection::code(const format::Format& fmt) const {
  ARES_CHECK(is_code(), "protection '", spec_, "' is not a code");
  const int width = fmt.width();
  if (kind_ == Kind::kParity) return BlockCode::parity(width);
  BlockCode c = BlockCode::secded(int(arg_));
  ARES_CHECK(c.data_bits() % width == 0, "protection '", spec_, "' does not fit format '",
             fmt.spec(), "' (", width, " bits): its ", c.data_bits(),
             " data bits are not a whole number of words");
  return c;
}

double Protection::stored_bits_per_value(const format::Format& fmt) const {
  if (!is_code()) return double(fmt.width());
  const BlockCode c = code(fmt);
  return double(fmt.width()) * double(c.total_bits()) / double(c.data_bits());
}

uint64_t Protection::population(uint64_t n, const format::Format& fmt, uint32_t mask) const {
  if (!is_code()) return n * uint64_t(__builtin_popcount(mask));
  const BlockCode c = code(fmt);
  return codeword_count(n, fmt.width(), c) * uint64_t(c.total_bits());
}

}  // namespace ares::fault
