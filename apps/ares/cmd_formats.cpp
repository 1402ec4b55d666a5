// `ares formats`: list the number formats, show one format's layout, or flip one bit of one
// stored value. Thin: parse -> ares::format -> print.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "ares/common/error.h"
#include "ares/common/files.h"
#include "ares/format/format.h"
#include "args.h"
#include "commands.h"

namespace ares::cli {
namespace {

constexpr const char* kUsage = R"(usage: ares formats [--json]
       ares formats show SPEC [--json]
       ares formats flip SPEC VALUE --bit B [--json]

List the number formats that weights and activations can be stored in, show the bit layout
of one format, or store one value and flip one of its bits.

  SPEC     qI.F-2c | qI.F-sm | fp32 | fp16 | bf16 | fp8-e4m3 | fp8-e5m2
           (case-insensitive), e.g. q2.6-2c: fixed point with I integer bits (sign
           included) and F fraction bits, 2 <= I+F <= 32, in two's complement (2c) or
           sign-magnitude (sm); the OCP 8-bit floats saturate, or with -nosat
           (fp8-e4m3-nosat) overflow to NaN (E4M3) or Inf (E5M2)
  VALUE    a decimal number (also inf, -inf, nan); it is rounded to float, then stored
  --bit B  the bit to flip, 0 = LSB, width-1 = sign
  --json   print JSON instead of text (non-finite numbers are the strings "inf", "-inf",
           "nan")
  --help   print this help

Examples:
  ares formats show q2.6-2c
  ares formats flip q2.6-2c 0.5 --bit 7     # stored 0.5, faulty -1.5
  ares formats flip q2.6-sm 0.5 --bit 7     # stored 0.5, faulty -0.5
  ares formats flip fp8-e4m3 1 --bit 6      # stored 1, faulty 256
)";

// Shortest decimal text that reads back as exactly `x` (at most 17 significant digits).
std::string number_text(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

// Shortest decimal text that reads back as exactly the float `x` (at most 9 digits).
std::string number_text(float x) {
  if (std::isnan(x) || std::isinf(x)) return number_text(static_cast<double>(x));
  char buf[64];
  for (int precision = 1; precision <= 9; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, static_cast<double>(x));
    if (std::strtof(buf, nullptr) == x) break;
  }
  return buf;
}

// min, max and lsb are doubles; most are floats too (FLT_MAX, 65504) and read best as such.
std::string limit_text(double x) {
  const float as_float = static_cast<float>(x);
  return static_cast<double>(as_float) == x ? number_text(as_float) : number_text(x);
}

// JSON has no Inf or NaN: those become the strings "inf", "-inf", "nan".
template <typename T>
std::string json_number(T x) {
  const std::string text = number_text(x);
  return std::isfinite(x) ? text : json_string(text);
}

// A JSON object written field by field, in insertion order.
class JsonObject {
 public:
  JsonObject& raw(const std::string& key, const std::string& json) {
    fields_.push_back(json_string(key) + ": " + json);
    return *this;
  }
  JsonObject& str(const std::string& key, const std::string& value) {
    return raw(key, json_string(value));
  }
  JsonObject& num(const std::string& key, double value) {
    const float as_float = static_cast<float>(value);
    return raw(key,
               static_cast<double>(as_float) == value ? json_number(as_float) : json_number(value));
  }
  JsonObject& num(const std::string& key, float value) { return raw(key, json_number(value)); }
  JsonObject& integer(const std::string& key, long long value) {
    return raw(key, std::to_string(value));
  }
  std::string text() const {
    std::string out = "{";
    for (std::size_t k = 0; k < fields_.size(); ++k) out += (k ? ", " : "") + fields_[k];
    return out + "}";
  }

 private:
  std::vector<std::string> fields_;
};

std::string json_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t k = 0; k < items.size(); ++k) out += (k ? ", " : "") + items[k];
  return out + "]";
}

std::string code_bin(uint32_t code, int width) {
  std::string s;
  for (int b = width - 1; b >= 0; --b) s += ((code >> b) & 1u) ? '1' : '0';
  return s;
}

std::string code_hex(uint32_t code, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", (width + 3) / 4, static_cast<unsigned>(code));
  return buf;
}

const char* kind_name(format::Kind kind) {
  switch (kind) {
    case format::Kind::kFixed2c:
      return "fixed point, two's complement";
    case format::Kind::kFixedSm:
      return "fixed point, sign-magnitude";
    case format::Kind::kFloat32:
      return "IEEE binary32 (1 sign, 8 exponent, 23 mantissa bits)";
    case format::Kind::kFloat16:
      return "IEEE binary16 (1 sign, 5 exponent, 10 mantissa bits)";
    case format::Kind::kBFloat16:
      return "bfloat16 (1 sign, 8 exponent, 7 mantissa bits)";
    case format::Kind::kFloat8E4M3:
      return "OCP fp8 E4M3 (1 sign, 4 exponent, 3 mantissa bits; bias 7, no Inf)";
    case format::Kind::kFloat8E5M2:
      return "OCP fp8 E5M2 (1 sign, 5 exponent, 2 mantissa bits; bias 15, IEEE-style)";
    case format::Kind::kFloat6E2M3:
      return "OCP MX fp6 E2M3 (1 sign, 2 exponent, 3 mantissa bits; bias 1, all finite)";
    case format::Kind::kFloat6E3M2:
      return "OCP MX fp6 E3M2 (1 sign, 3 exponent, 2 mantissa bits; bias 3, all finite)";
    case format::Kind::kFloat4E2M1:
      return "OCP MX fp4 E2M1 (1 sign, 2 exponent, 1 mantissa bit; bias 1, all finite)";
    case format::Kind::kE8M0:
      return "OCP MX scale E8M0 (8 exponent bits, bias 127, no sign; 0xFF NaN)";
    case format::Kind::kAdaptivFloat:
      return "AdaptivFloat (sign, exponent, mantissa; no subnormals, e = m = 0 is zero)";
  }
  return "?";
}

const char* kind_id(format::Kind kind) {
  switch (kind) {
    case format::Kind::kFixed2c:
      return "fixed_2c";
    case format::Kind::kFixedSm:
      return "fixed_sm";
    case format::Kind::kFloat32:
      return "fp32";
    case format::Kind::kFloat16:
      return "fp16";
    case format::Kind::kBFloat16:
      return "bf16";
    case format::Kind::kFloat8E4M3:
      return "fp8_e4m3";
    case format::Kind::kFloat8E5M2:
      return "fp8_e5m2";
    case format::Kind::kFloat6E2M3:
      return "fp6_e2m3";
    case format::Kind::kFloat6E3M2:
      return "fp6_e3m2";
    case format::Kind::kFloat4E2M1:
      return "fp4_e2m1";
    case format::Kind::kE8M0:
      return "e8m0";
    case format::Kind::kAdaptivFloat:
      return "adaptivfloat";
  }
  return "?";
}

struct Family {
  const char* pattern;
  const char* example;
  const char* description;
};

const Family kFamilies[] = {
    {"qI.F-2c", "q2.6-2c",
     "fixed point, two's complement; I integer bits (sign included), F fraction bits, "
     "2 <= I+F <= 32; rounds to nearest even, saturates"},
    {"qI.F-sm", "q2.6-sm",
     "fixed point, sign-magnitude: top bit sign, the rest magnitude; symmetric range"},
    {"fp32", "fp32", "IEEE binary32, the float's own bits"},
    {"fp16", "fp16", "IEEE binary16 (1-5-10); rounds to nearest even, overflow -> +-Inf"},
    {"bf16", "bf16", "bfloat16 (1-8-7), top half of fp32; rounds to nearest even"},
    {"fp8-e4m3", "fp8-e4m3",
     "OCP fp8 E4M3 (1-4-3), no Inf; rounds to nearest even, saturates (-nosat: overflow -> NaN)"},
    {"fp8-e5m2", "fp8-e5m2",
     "OCP fp8 E5M2 (1-5-2), IEEE-style; saturates (-nosat: overflow -> +-Inf)"},
    {"fp6-e2m3", "fp6-e2m3", "OCP MX element fp6 (1-2-3), max 7.5, all finite; saturates"},
    {"fp6-e3m2", "fp6-e3m2", "OCP MX element fp6 (1-3-2), max 28, all finite; saturates"},
    {"fp4-e2m1", "fp4-e2m1", "OCP MX element fp4 (1-2-1): 0 0.5 1 1.5 2 3 4 6; saturates"},
    {"e8m0", "e8m0", "OCP MX shared scale: 2^(code - 127), 0xFF NaN"},
    {"intN[-ch]", "int8-ch",
     "scaled integer (PyTorch qint8 rules), N = 2..16; scale per tensor or output channel; "
     "-asym: zero point, -s16: fp16 scales (weights only)"},
    {"afN-eE", "af8-e4",
     "AdaptivFloat: N-bit float, E exponent bits, bias per tensor from its max (an e8m0 word); "
     "weights only"},
    {"mx...", "mxfp8-e4m3",
     "OCP MX: blocks of 32 with an e8m0 scale; mxfp8-e4m3|e5m2, mxfp6-e2m3|e3m2, mxfp4, "
     "mxint8 (weights only)"},
};

bool is_fp8(format::Kind kind) {
  return kind == format::Kind::kFloat8E4M3 || kind == format::Kind::kFloat8E5M2;
}

// What an fp8 format stores for values beyond its range (the other formats' lines stay as
// they were, so this is shown for fp8 only).
const char* overflow_text(const format::Format& f) {
  if (f.saturates()) return "saturates to +-max (also +-Inf)";
  return f.kind() == format::Kind::kFloat8E4M3 ? "NaN (also +-Inf; E4M3 has no Inf)" : "+-Inf";
}

int list_formats(bool json) {
  if (json) {
    std::vector<std::string> items;
    for (const Family& fam : kFamilies) {
      const format::Format f = format::Format::parse(fam.example);
      items.push_back(JsonObject()
                          .str("family", fam.pattern)
                          .str("example", fam.example)
                          .integer("width", f.width())
                          .num("min", f.min_value())
                          .num("max", f.max_value())
                          .num("lsb", f.lsb())
                          .str("description", fam.description)
                          .text());
    }
    std::cout << JsonObject().raw("formats", json_array(items)).text() << "\n";
    return 0;
  }
  std::printf("%-10s %-10s %4s  %-32s %s\n", "family", "example", "bits", "example range",
              "description");
  for (const Family& fam : kFamilies) {
    const format::Format f = format::Format::parse(fam.example);
    const std::string range =
        "[" + limit_text(f.min_value()) + ", " + limit_text(f.max_value()) + "]";
    std::printf("%-10s %-10s %4d  %-32s %s\n", fam.pattern, fam.example, f.width(), range.c_str(),
                fam.description);
  }
  std::printf(
      "\nSee 'ares formats show SPEC' for a format's bit layout and "
      "'ares formats flip SPEC VALUE --bit B' to try a fault.\n");
  return 0;
}

int show_format(const format::Format& f, bool json) {
  if (json) {
    std::vector<std::string> bits;
    for (int b = f.width() - 1; b >= 0; --b) {
      bits.push_back(
          JsonObject().integer("bit", b).str("role", format::to_string(f.role(b))).text());
    }
    JsonObject obj;
    obj.str("spec", f.spec())
        .str("kind", kind_id(f.kind()))
        .integer("width", f.width())
        .integer("int_bits", f.int_bits())
        .integer("frac_bits", f.frac_bits())
        .num("min", f.min_value())
        .num("max", f.max_value())
        .num("lsb", f.lsb());
    if (is_fp8(f.kind())) obj.raw("saturating", f.saturates() ? "true" : "false");
    if (f.is_scaled()) {
      obj.str("element", f.element().spec())
          .str("scale_format", f.scale_format().spec())
          .raw("zero_point", f.scaling().zero_point ? "true" : "false");
    }
    std::cout << obj.integer("sign_bit", f.sign_bit()).raw("bits", json_array(bits)).text() << "\n";
    return 0;
  }
  std::ostringstream os;
  os << "spec       " << f.spec() << "\n"
     << "kind       " << kind_name(f.kind()) << "\n"
     << "width      " << f.width() << " bits\n";
  if (f.is_fixed()) {
    os << "int bits   " << f.int_bits() << " (sign included)\n"
       << "frac bits  " << f.frac_bits() << "\n";
  }
  os << "min        " << limit_text(f.min_value()) << "\n"
     << "max        " << limit_text(f.max_value()) << "  (largest finite)\n"
     << "lsb        " << limit_text(f.lsb())
     << (f.is_fixed() ? "  (2^-frac bits)\n" : "  (spacing at 1.0)\n");
  if (is_fp8(f.kind())) os << "overflow   " << overflow_text(f) << "\n";
  if (f.is_scaled()) {
    const auto& sc = f.scaling();
    const char* group = sc.granularity == format::Granularity::kTensor    ? "tensor"
                        : sc.granularity == format::Granularity::kChannel ? "output channel"
                                                                          : "block of 32 values";
    os << "element    " << f.element().spec() << " (min, max and bits below are the element's)\n"
       << "scale      one " << f.scale_format().spec() << " word per " << group
       << (sc.zero_point ? ", and a zero point (an element code)" : "") << "\n"
       << "value      " << (sc.zero_point ? "(element - zero point) * scale" : "element * scale")
       << "\n";
  }
  os << "bit roles, MSB to LSB:\n";
  for (int b = f.width() - 1; b >= 0; --b) {
    os << "  bit " << b << ": " << format::to_string(f.role(b)) << "\n";
  }
  std::cout << os.str();
  return 0;
}

int flip_bit(const Args& args, const format::Format& f, const std::string& value_text) {
  ARES_CHECK(args.has("bit"), "formats flip: --bit B is required (0 = LSB, ", f.width() - 1,
             " = sign of ", f.spec(), ")");
  const long long bit = args.get_int("bit", 0);
  ARES_CHECK(bit >= 0 && bit < f.width(), "formats flip: --bit ", bit, " is out of range for ",
             f.spec(), " (expected 0..", f.width() - 1, ")");
  // strtod accepts hex floats, inf and nan as well as decimals; the format stores floats.
  const float value = static_cast<float>(args.parse_double(value_text, "VALUE"));
  const int b = static_cast<int>(bit);
  const uint32_t code = f.encode(value);
  const float stored = f.decode(code);
  const uint32_t flipped = code ^ (1u << b);
  const float faulty = f.decode(flipped);
  const char* role = format::to_string(f.role(b));
  const int w = f.width();

  if (args.has("json")) {
    std::cout << JsonObject()
                     .str("spec", f.spec())
                     .num("value", value)
                     .num("stored", stored)
                     .integer("code", code)
                     .str("code_hex", code_hex(code, w))
                     .str("code_bin", code_bin(code, w))
                     .integer("bit", b)
                     .str("role", role)
                     .integer("flipped_code", flipped)
                     .str("flipped_code_hex", code_hex(flipped, w))
                     .str("flipped_code_bin", code_bin(flipped, w))
                     .num("faulty", faulty)
                     .text()
              << "\n";
    return 0;
  }
  std::ostringstream os;
  os << "format        " << f.spec() << "\n"
     << "value         " << number_text(value) << "\n"
     << "stored        " << number_text(stored) << "\n"
     << "code          " << code_bin(code, w) << "  " << code_hex(code, w) << "\n"
     << "bit           " << b << " (" << role << ")\n"
     << "flipped code  " << code_bin(flipped, w) << "  " << code_hex(flipped, w) << "\n"
     << "faulty        " << number_text(faulty) << "\n";
  if (f.is_scaled()) {
    os << "(a scaled format: the value, stored and faulty values are the element's, in units of "
          "the scale)\n";
  }
  std::cout << os.str();
  return 0;
}

}  // namespace

int cmd_formats(const std::vector<std::string>& argv) {
  const Args args("formats", argv, {"bit"}, {"json", "help"});
  if (args.has("help")) {
    std::cout << kUsage;
    return 0;
  }
  const std::vector<std::string>& pos = args.positional();
  const bool json = args.has("json");
  if (pos.empty()) {
    ARES_CHECK(!args.has("bit"), "formats: --bit is only for 'ares formats flip'");
    return list_formats(json);
  }
  const std::string& sub = pos[0];
  if (sub == "show") {
    ARES_CHECK(pos.size() == 2, "formats show: expected one SPEC, got ", pos.size() - 1,
               " arguments (usage: ares formats show SPEC [--json])");
    ARES_CHECK(!args.has("bit"), "formats show: --bit is only for 'ares formats flip'");
    return show_format(format::Format::parse(pos[1]), json);
  }
  if (sub == "flip") {
    ARES_CHECK(pos.size() == 3, "formats flip: expected SPEC VALUE, got ", pos.size() - 1,
               " arguments (usage: ares formats flip SPEC VALUE --bit B [--json])");
    return flip_bit(args, format::Format::parse(pos[1]), pos[2]);
  }
  throw InputError("formats: unknown subcommand '" + sub +
                   "' (expected show or flip; see 'ares formats --help')");
}

}  // namespace ares::cli
