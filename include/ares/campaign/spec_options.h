#pragma once
/// A campaign's settings by name: the one table of keys, defaults and help that the flags,
/// the TOML spec files and `--help` share, and the builder that turns given settings into a
/// validated CampaignSpec. Torch-free.
///
///   auto settings = read_toml_settings("campaign.toml");   // or SpecSettings{} and set()
///   settings.set("trials", "10", "--trials");               // a flag overrides the file
///   CampaignSpec spec = build_spec(settings);

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ares/campaign/spec.h"

namespace ares::campaign {

/// What a setting's value is, in TOML: a string, a list (an array, or a comma-separated
/// string, or one scalar), an integer, or a number (integer or float).
enum class ValueKind { kText, kList, kInteger, kNumber };

/// One campaign setting. The TOML key is `key` ("ber_min"); the flag is the key with '-'
/// for '_' ("--ber-min"); either spelling is accepted in both places.
struct SpecKey {
  const char* key;
  ValueKind kind;
  const char* metavar;       ///< the value's name in --help ("LIST")
  const char* default_text;  ///< the default, as a value of this key; "" when none
  const char* help;          ///< '\n' separates lines; " (default X)" is added from default_text
};

/// Every setting, in --help order. Their defaults are those of build_spec.
const std::vector<SpecKey>& spec_keys();
/// The setting named `name` (TOML or flag spelling, without "--"), or null.
const SpecKey* find_spec_key(std::string_view name);
/// The flag of a key: "ber-min".
std::string flag_name(const SpecKey& key);
/// The flags' help text, two columns, one setting after another.
std::string spec_flags_help();

/// Settings given by name, each as text with where it came from ("--trials",
/// "spec.toml:4: trials"), for messages. Later set() calls replace earlier ones.
class SpecSettings {
 public:
  struct Value {
    std::string text;
    std::string where;
  };
  /// Throws ares::InputError naming `where` when `name` is no setting (with the closest
  /// setting's name when one is close).
  void set(std::string_view name, std::string text, std::string where);
  /// Takes every setting of `over`, replacing its own.
  void override_with(const SpecSettings& over);
  /// The setting, or null when it was not given.
  const Value* find(std::string_view name) const;
  bool empty() const { return values_.empty(); }

 private:
  std::map<std::string, Value, std::less<>> values_;  // by TOML key
};

/// Reads a TOML campaign file (full TOML 1.0, by toml++): settings at the top level or in a
/// [campaign] table. A parse error, an unknown key or table, a key given twice or a value of
/// the wrong type is an ares::InputError naming the file, the line and the key.
SpecSettings read_toml_settings(const std::string& path);

/// The spec of `settings`: every setting not given takes its table default (threads: every
/// core); a range or parse error names where the value came from; then validate().
/// `out` is no spec setting: the commands read it.
CampaignSpec build_spec(const SpecSettings& settings);

}  // namespace ares::campaign
