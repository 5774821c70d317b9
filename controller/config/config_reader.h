// Reads typed, validated values out of one table of a TOML configuration file, recording every
// problem in a ConfigProblems instead of stopping at the first. Shared by the host and the
// repository configuration; only configuration sources include it, as toml++ is heavy.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controller/config/config_problems.h"
#include "controller/config/secret.h"
#include "toml++/toml.h"

namespace prevu::controller {

// Reads the file at `path` for parsing: NotFound when it does not exist, another error when it
// cannot be read or is larger than 1 MiB. Messages name the path.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path);

// Parses TOML text; a syntax error is recorded in `problems` at its position and gives nullopt.
std::optional<toml::table> ParseToml(absl::string_view text, ConfigProblems* problems);

class ConfigReader {
 public:
  // Checks a string value; returns InvalidArgument with a sentence about the value.
  using Check = absl::FunctionRef<absl::Status(absl::string_view)>;

  // Reads `table`, called `name` in messages ("" for the document root, "proxy", "repos").
  // `table` and `problems` must outlive the reader.
  ConfigReader(const toml::table& table, std::string name, ConfigProblems* problems);

  // Each getter declares `key` valid in this table. When the key is absent it leaves `*out`
  // alone and returns null. When the value has the wrong type or is out of range it records a
  // problem ("`threads` must be an integer") and returns null. Otherwise it stores the value and
  // returns its node, for checks that involve several keys.
  const toml::node* String(absl::string_view key, std::string* out);
  const toml::node* String(absl::string_view key, Check check, std::string* out);
  const toml::node* Bool(absl::string_view key, bool* out);
  const toml::node* Int(absl::string_view key, int64_t min, int64_t max, int64_t* out);
  const toml::node* Int(absl::string_view key, int min, int max, int* out);
  const toml::node* Port(absl::string_view key, int* out);
  const toml::node* Cpus(absl::string_view key, double* out);
  const toml::node* Size(absl::string_view key, int64_t min, int64_t max, int64_t* out);
  const toml::node* Duration(absl::string_view key, absl::Duration min, absl::Duration max,
                             absl::Duration* out);
  const toml::node* StringArray(absl::string_view key, Check check, std::vector<std::string>* out);
  // A table of strings whose keys pass `name_check` (`env = { LOG_LEVEL = "debug" }`).
  const toml::node* StringMap(absl::string_view key, Check name_check,
                              std::map<std::string, std::string>* out);
  // A secret. When the key is absent, `default_spec` (if not empty) is resolved and a failure
  // leaves `*out` empty; an empty string also leaves it empty. A secret written in the file that
  // cannot be resolved is a problem. Messages never contain the secret.
  const toml::node* Secret(absl::string_view key, absl::string_view default_spec,
                           std::optional<controller::Secret>* out);

  // A sub-table (`[proxy]`), or nullopt when absent or not a table (a problem).
  std::optional<ConfigReader> Table(absl::string_view key);
  // Like Table, but an absent or malformed table reads as an empty one, so that every getter
  // still runs and applies its default (default secrets are resolved this way).
  ConfigReader Section(absl::string_view key);
  // The entries of an array of tables (`[[repos]]`); empty when absent or malformed.
  std::vector<ConfigReader> TableArray(absl::string_view key);

  // Records a problem at `at`, or at this table when `at` is null.
  void Problem(const toml::node* at, absl::string_view message);

  // Records a problem for every key of the table that no getter declared, naming the closest
  // valid key. Call once, after every getter.
  void Finish();

  const toml::table& table() const { return *table_; }

 private:
  // Declares `key` and returns its node, or null when absent.
  const toml::node* Declare(absl::string_view key);
  // Records "`key` must be EXPECTED, not a TYPE" at `node` and returns null.
  const toml::node* WrongType(absl::string_view key, const toml::node& node,
                              absl::string_view expected);
  // Records "`key`: message" when `parsed`, the status of a value parser, is not OK.
  bool Accept(absl::string_view key, const toml::node& node, const absl::Status& parsed);
  // Records "`key` must be from LOW to HIGH, not SHOWN" unless `in_range`.
  bool InRange(absl::string_view key, const toml::node& node, bool in_range,
               absl::string_view shown, absl::string_view low, absl::string_view high);
  void UnknownKey(const toml::key& key, const toml::node& node);

  const toml::table* table_;
  std::string name_;
  ConfigProblems* problems_;
  std::vector<std::string> known_;
};

}  // namespace prevu::controller
