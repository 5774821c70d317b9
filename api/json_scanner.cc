// The selective JSON reader; see json_scanner.h. nlohmann_json's SAX parser does the reading and
// holds the grammar to RFC 8259 (no comments, no trailing commas, valid UTF-8, complete surrogate
// pairs); this file only follows the dotted path of each value and keeps the wanted ones.
#include "api/json_scanner.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace prevu::api {
namespace {

// What the scan does with one value.
struct Interest {
  bool keep = false;     // store the value under its path
  bool descend = false;  // an object whose members may be kept
};

// nlohmann's parse error text reads "[json.exception.parse_error.101] parse error at line 1,
// column 10: syntax error while parsing value - invalid literal; last read: '1} x'; expected end
// of input". The reason is what follows the position, less the echo of the input: the echo may
// hold bytes that are not UTF-8, and the answer that carries this message is JSON.
std::string ReasonOf(absl::string_view what) {
  if (size_t colon = what.find(": "); colon != absl::string_view::npos) {
    what.remove_prefix(colon + 2);
  }
  size_t echo = what.find("; last read: '");
  if (echo == absl::string_view::npos) {
    return std::string(what);
  }
  size_t expected = what.find("'; expected ", echo);
  return absl::StrCat(what.substr(0, echo),
                      expected == absl::string_view::npos ? "" : what.substr(expected + 1));
}

}  // namespace

// One scan of one document, driven by nlohmann::json::sax_parse.
class JsonScan {
 public:
  using number_integer_t = nlohmann::json::number_integer_t;
  using number_unsigned_t = nlohmann::json::number_unsigned_t;
  using number_float_t = nlohmann::json::number_float_t;
  using string_t = nlohmann::json::string_t;
  using binary_t = nlohmann::json::binary_t;

  JsonScan(const JsonScanner& scanner, absl::flat_hash_map<std::string, nlohmann::json>* fields)
      : scanner_(scanner), fields_(fields) {}

  absl::Status Run(absl::string_view text) {
    bool parsed = nlohmann::json::sax_parse(text.begin(), text.end(), this,
                                            nlohmann::json::input_format_t::json, true);
    if (too_deep_) {
      return absl::InvalidArgumentError(
          absl::StrCat("the body is not valid JSON (nested more than ", JsonScanner::kMaxDepth,
                       " levels deep)"));
    }
    if (!parsed) {
      return absl::InvalidArgumentError(
          absl::StrCat("the body is not valid JSON (byte ", error_at_, ": ", reason_, ")"));
    }
    if (!root_is_object_) {
      return absl::InvalidArgumentError("the body must be a JSON object");
    }
    return absl::OkStatus();
  }

  // The SAX interface (nlohmann::json_sax). Returning false stops the parse.
  bool null() { return Keep(nullptr); }
  bool boolean(bool value) { return Keep(value); }
  bool number_integer(number_integer_t value) { return Keep(value); }
  bool number_unsigned(number_unsigned_t value) { return Keep(value); }
  bool number_float(number_float_t value, const string_t& /*text*/) { return Keep(value); }
  bool string(string_t& value) { return Keep(std::move(value)); }
  bool binary(binary_t& /*value*/) { return true; }  // JSON text has none

  bool start_object(size_t /*members*/) {
    if (frames_.empty()) {
      root_is_object_ = true;
    }
    return Open(nlohmann::json::object(), /*is_array=*/false);
  }
  bool end_object() { return Close(); }
  bool start_array(size_t /*elements*/) { return Open(nlohmann::json::array(), true); }
  bool end_array() { return Close(); }

  bool key(string_t& name) {
    Frame& frame = frames_.back();
    if (!frame.descend) {
      member_ = Interest{};
      return true;
    }
    path_.resize(frame.path_size);
    absl::StrAppend(&path_, frame.path_size == 0 ? "" : ".", name);
    member_ = scanner_.keep_all_ ? Interest{.keep = true, .descend = true}
                                 : Interest{.keep = scanner_.wanted_.contains(path_),
                                            .descend = scanner_.prefixes_.contains(path_)};
    return true;
  }

  bool parse_error(size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    error_at_ = position;
    reason_ = ReasonOf(error.what());
    return false;
  }

 private:
  struct Frame {
    bool is_array;
    bool descend;      // members of this object may be kept
    size_t path_size;  // the length of this container's own path
  };

  // What to do with the value about to be read: the root is walked into, an element of an array
  // is never kept, a member is as key() found.
  Interest Current() const {
    if (frames_.empty()) {
      return Interest{.keep = false, .descend = true};
    }
    return frames_.back().is_array ? Interest{} : member_;
  }

  bool Keep(nlohmann::json value) {
    if (Current().keep) {
      (*fields_)[path_] = std::move(value);
    }
    return true;
  }

  bool Open(nlohmann::json empty, bool is_array) {
    if (frames_.size() >= static_cast<size_t>(JsonScanner::kMaxDepth)) {
      too_deep_ = true;
      return false;
    }
    Interest interest = Current();
    if (interest.keep) {
      (*fields_)[path_] = std::move(empty);
    }
    // A container that is not walked into still gets a frame, so that its members and elements
    // are told apart from its parent's; its members are never kept.
    frames_.push_back(Frame{.is_array = is_array,
                            .descend = !is_array && interest.descend,
                            .path_size = frames_.empty() ? 0 : path_.size()});
    return true;
  }

  bool Close() {
    frames_.pop_back();
    return true;
  }

  const JsonScanner& scanner_;
  absl::flat_hash_map<std::string, nlohmann::json>* fields_;
  std::vector<Frame> frames_;
  std::string path_;  // the path of the member being read
  Interest member_;   // what to do with the member being read
  bool root_is_object_ = false;
  bool too_deep_ = false;
  size_t error_at_ = 0;
  std::string reason_;
};

JsonScanner::JsonScanner(const std::vector<absl::string_view>& paths) : keep_all_(paths.empty()) {
  for (absl::string_view path : paths) {
    wanted_.emplace(path);
    // "a.b.c" needs "a" and "a.b" walked into.
    for (size_t dot = path.find('.'); dot != absl::string_view::npos;
         dot = path.find('.', dot + 1)) {
      prefixes_.emplace(path.substr(0, dot));
    }
  }
}

absl::Status JsonScanner::Scan(absl::string_view text,
                               absl::flat_hash_map<std::string, nlohmann::json>* fields) const {
  return JsonScan(*this, fields).Run(text);
}

}  // namespace prevu::api
