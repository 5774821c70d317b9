// Typed access to TOML tables with problem collection and unknown-key suggestions.
#include "controller/config/config_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/base/strings.h"
#include "controller/config/closest_name.h"
#include "controller/config/units.h"

namespace prevu::controller {
namespace {

constexpr int64_t kMaxConfigFileBytes = 1 << 20;

absl::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date or time";
  }
}

}  // namespace

absl::StatusOr<std::string> ReadConfigFile(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    int error = errno;
    std::string message = absl::StrCat("cannot read `", path, "`: ", std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(message) : absl::FailedPreconditionError(message);
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("`", path, "` is not a regular file"));
  }
  if (info.st_size > kMaxConfigFileBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("`", path, "` is larger than 1 MiB; is it the right file?"));
  }

  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot read `", path, "`: ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<toml::table> ParseToml(absl::string_view text, ConfigProblems* problems) {
  // toml++ reports syntax errors by exception; it stops here so that none crosses the border.
  try {
    return toml::parse(ToStd(text), problems->path());
  } catch (const toml::parse_error& error) {
    const toml::source_position& at = error.source().begin;
    problems->Add(at.line, at.column,
                  absl::StrCat("TOML syntax error: ", ToAbsl(error.description())));
    return std::nullopt;
  }
}

ConfigReader::ConfigReader(const toml::table& table, std::string name, ConfigProblems* problems)
    : table_(&table), name_(std::move(name)), problems_(problems) {}

const toml::node* ConfigReader::Declare(absl::string_view key) {
  known_.emplace_back(key);
  return table_->get(ToStd(key));
}

void ConfigReader::Problem(const toml::node* at, absl::string_view message) {
  // A table that was absent from the file has no position; its problems go to the top.
  const toml::source_position& position = (at != nullptr ? at : table_)->source().begin;
  problems_->Add(std::max(position.line, 1u), std::max(position.column, 1u), message);
}

const toml::node* ConfigReader::WrongType(absl::string_view key, const toml::node& node,
                                          absl::string_view expected) {
  Problem(&node, absl::StrCat("`", key, "` must be ", expected, ", not ", TypeName(node)));
  return nullptr;
}

bool ConfigReader::Accept(absl::string_view key, const toml::node& node,
                          const absl::Status& parsed) {
  if (!parsed.ok()) {
    Problem(&node, absl::StrCat("`", key, "`: ", parsed.message()));
  }
  return parsed.ok();
}

bool ConfigReader::InRange(absl::string_view key, const toml::node& node, bool in_range,
                           absl::string_view shown, absl::string_view low, absl::string_view high) {
  if (!in_range) {
    Problem(&node, absl::StrCat("`", key, "` must be from ", low, " to ", high, ", not ", shown));
  }
  return in_range;
}

const toml::node* ConfigReader::String(absl::string_view key, std::string* out) {
  return String(
      key, [](absl::string_view) { return absl::OkStatus(); }, out);
}

const toml::node* ConfigReader::String(absl::string_view key, Check check, std::string* out) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_string()) {
    return WrongType(key, *node, "a string");
  }

  const std::string& value = node->as_string()->get();
  absl::Status valid = check(value);
  if (!valid.ok()) {
    Problem(node, absl::StrCat("`", key, "`: ", valid.message()));
    return nullptr;
  }
  *out = value;
  return node;
}

const toml::node* ConfigReader::Bool(absl::string_view key, bool* out) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_boolean()) {
    return WrongType(key, *node, "a boolean (`true` or `false`)");
  }
  *out = node->as_boolean()->get();
  return node;
}

const toml::node* ConfigReader::Int(absl::string_view key, int64_t min, int64_t max, int64_t* out) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_integer()) {
    return WrongType(key, *node, "an integer");
  }

  int64_t value = node->as_integer()->get();
  if (!InRange(key, *node, value >= min && value <= max, absl::StrCat(value), absl::StrCat(min),
               absl::StrCat(max))) {
    return nullptr;
  }
  *out = value;
  return node;
}

const toml::node* ConfigReader::Int(absl::string_view key, int min, int max, int* out) {
  int64_t value = 0;
  const toml::node* node = Int(key, int64_t{min}, int64_t{max}, &value);
  if (node != nullptr) {
    *out = static_cast<int>(value);
  }
  return node;
}

const toml::node* ConfigReader::Port(absl::string_view key, int* out) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_integer()) {
    return WrongType(key, *node, "a port number from 1 to 65535");
  }

  absl::StatusOr<int> port = ParsePort(node->as_integer()->get());
  if (!Accept(key, *node, port.status())) {
    return nullptr;
  }
  *out = *port;
  return node;
}

const toml::node* ConfigReader::Cpus(absl::string_view key, double* out) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return nullptr;
  }
  std::optional<double> value = node->value_exact<double>();
  if (node->is_integer()) {
    value = static_cast<double>(node->as_integer()->get());
  }
  if (!value) {
    return WrongType(key, *node, "a number of CPUs such as `0.5`");
  }

  absl::StatusOr<double> cpus = ParseCpus(*value);
  if (!Accept(key, *node, cpus.status())) {
    return nullptr;
  }
  *out = *cpus;
  return node;
}

const toml::node* ConfigReader::Size(absl::string_view key, int64_t min, int64_t max,
                                     int64_t* out) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return nullptr;
  }
  absl::StatusOr<int64_t> size;
  if (node->is_integer()) {
    size = node->as_integer()->get();
  } else if (node->is_string()) {
    size = ParseSize(node->as_string()->get());
  } else {
    return WrongType(key, *node, "a size such as `512MiB`");
  }

  if (!Accept(key, *node, size.status()) ||
      !InRange(key, *node, *size >= min && *size <= max, SizeToText(*size), SizeToText(min),
               SizeToText(max))) {
    return nullptr;
  }
  *out = *size;
  return node;
}

const toml::node* ConfigReader::Duration(absl::string_view key, absl::Duration min,
                                         absl::Duration max, absl::Duration* out) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_string()) {
    return WrongType(key, *node,
                     absl::StrCat("a duration in quotes, such as `\"", DurationToText(min), "\"`"));
  }

  absl::StatusOr<absl::Duration> duration = ParseDuration(node->as_string()->get());
  if (!Accept(key, *node, duration.status()) ||
      !InRange(key, *node, *duration >= min && *duration <= max, DurationToText(*duration),
               DurationToText(min), DurationToText(max))) {
    return nullptr;
  }
  *out = *duration;
  return node;
}

const toml::node* ConfigReader::StringArray(absl::string_view key, Check check,
                                            std::vector<std::string>* out) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_array()) {
    return WrongType(key, *node, "an array of strings");
  }

  std::vector<std::string> values;
  bool valid = true;
  for (const toml::node& item : *node->as_array()) {
    if (!item.is_string()) {
      valid = WrongType(absl::StrCat(key, "[", values.size(), "]"), item, "a string") != nullptr;
    } else if (absl::Status checked = check(item.as_string()->get()); !checked.ok()) {
      Problem(&item, absl::StrCat("`", key, "`: ", checked.message()));
      valid = false;
    }
    values.push_back(item.is_string() ? item.as_string()->get() : "");
  }
  if (!valid) {
    return nullptr;
  }
  *out = std::move(values);
  return node;
}

const toml::node* ConfigReader::StringMap(absl::string_view key, Check name_check,
                                          std::map<std::string, std::string>* out) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_table()) {
    return WrongType(key, *node, "a table of strings, such as `{ NAME = \"value\" }`");
  }

  std::map<std::string, std::string> values;
  bool valid = true;
  for (auto&& [name, value] : *node->as_table()) {
    std::string qualified = absl::StrCat(key, ".", ToAbsl(name.str()));
    if (absl::Status checked = name_check(ToAbsl(name.str())); !checked.ok()) {
      problems_->Add(name.source().begin.line, name.source().begin.column,
                     absl::StrCat("`", qualified, "`: ", checked.message()));
      valid = false;
    } else if (!value.is_string()) {
      valid = WrongType(qualified, value, "a string") != nullptr;
    } else {
      values.emplace(std::string(name.str()), value.as_string()->get());
    }
  }
  if (!valid) {
    return nullptr;
  }
  *out = std::move(values);
  return node;
}

const toml::node* ConfigReader::Secret(absl::string_view key, absl::string_view default_spec,
                                       std::optional<controller::Secret>* out) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    // An unset default variable is not an error: the feature it guards stays off.
    absl::StatusOr<controller::Secret> secret = controller::Secret::Resolve(default_spec);
    if (!default_spec.empty() && secret.ok()) {
      *out = *std::move(secret);
    }
    return nullptr;
  }
  if (!node->is_string()) {
    return WrongType(key, *node, "a string: `env:NAME`, `file:PATH` or the secret itself");
  }

  const std::string& spec = node->as_string()->get();
  if (spec.empty()) {
    out->reset();
    return node;
  }
  absl::StatusOr<controller::Secret> secret = controller::Secret::Resolve(spec);
  if (!secret.ok()) {
    Problem(node, absl::StrCat("`", key, "`: ", secret.status().message()));
    return nullptr;
  }
  *out = *std::move(secret);
  return node;
}

std::optional<ConfigReader> ConfigReader::Table(absl::string_view key) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  std::string qualified = name_.empty() ? std::string(key) : absl::StrCat(name_, ".", key);
  if (!node->is_table()) {
    WrongType(key, *node, absl::StrCat("a table, written `[", qualified, "]`"));
    return std::nullopt;
  }
  return ConfigReader(*node->as_table(), qualified, problems_);
}

ConfigReader ConfigReader::Section(absl::string_view key) {
  // Never destroyed: readers made here may outlive any scope.
  static const toml::table& kEmpty = *new toml::table();
  std::optional<ConfigReader> table = Table(key);
  return table ? *std::move(table) : ConfigReader(kEmpty, std::string(key), problems_);
}

std::vector<ConfigReader> ConfigReader::TableArray(absl::string_view key) {
  const toml::node* node = Declare(key);
  if (node == nullptr) {
    return {};
  }
  std::string qualified = name_.empty() ? std::string(key) : absl::StrCat(name_, ".", key);
  if (!node->is_array_of_tables()) {
    WrongType(key, *node, absl::StrCat("an array of tables, written `[[", qualified, "]]`"));
    return {};
  }

  std::vector<ConfigReader> entries;
  for (const toml::node& entry : *node->as_array()) {
    entries.emplace_back(*entry.as_table(), qualified, problems_);
  }
  return entries;
}

void ConfigReader::UnknownKey(const toml::key& key, const toml::node& node) {
  // Tables are shown as their headers so that the message matches what the user wrote.
  absl::string_view open = node.is_table() ? "[" : node.is_array_of_tables() ? "[[" : "";
  absl::string_view close = node.is_table() ? "]" : node.is_array_of_tables() ? "]]" : "";
  absl::string_view prefix = open.empty() || name_.empty() ? "" : ".";
  std::string scope = open.empty() ? "" : name_;
  absl::string_view kind = open.empty() ? "key" : "table";
  auto show = [&](absl::string_view name) {
    return absl::StrCat("`", open, scope, prefix, name, close, "`");
  };

  std::string message = absl::StrCat(show(ToAbsl(key.str())), ": unknown ", kind);
  if (std::optional<std::string> closest = ClosestName(ToAbsl(key.str()), known_)) {
    absl::StrAppend(&message, "; did you mean ", show(*closest), "?");
  } else if (known_.empty()) {
    absl::StrAppend(&message, "; this table takes no keys");
  } else {
    absl::StrAppend(&message, "; valid names here are `", absl::StrJoin(known_, "`, `"), "`");
  }
  problems_->Add(key.source().begin.line, key.source().begin.column, message);
}

void ConfigReader::Finish() {
  for (auto&& [key, node] : *table_) {
    if (std::find(known_.begin(), known_.end(), ToAbsl(key.str())) == known_.end()) {
      UnknownKey(key, node);
    }
  }
}

}  // namespace prevu::controller
