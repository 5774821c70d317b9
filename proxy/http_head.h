// A strict parser for the head of an HTTP/1.1 message (RFC 9112): the start line and the header
// fields, checked in one pass over the raw bytes before anything is forwarded. It records the
// facts the proxy needs (framing, Host, Connection options) and points into the caller's buffer;
// it allocates nothing once its vectors have grown to the field limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace prevu::proxy {

struct HeaderField {
  absl::string_view name;
  absl::string_view value;  // without surrounding whitespace
};

class HttpHead {
 public:
  enum class Scan { kIncomplete, kComplete, kInvalid };

  // Looks for the blank line that ends a head in `data`, resuming at `*scanned` (0 at first).
  // On kComplete, `*head_size` is the length of the head including its blank line. A line
  // ending in a bare LF is kInvalid (RFC 9112 §2.2 lets a strict recipient reject it).
  static Scan FindEnd(absl::string_view data, size_t* scanned, size_t* head_size);

  explicit HttpHead(int max_fields = 100);

  // Parses a complete request head (as delimited by FindEnd). On failure returns false and sets
  // error_status() (400, 417, 431, 501 or 505) and error_reason() (a short phrase for the log
  // and the counter). The views stay valid while the caller's buffer does.
  bool ParseRequest(absl::string_view head);

  // Parses a complete response head. On failure returns false; the proxy answers 502.
  bool ParseResponse(absl::string_view head);

  // Request line.
  absl::string_view method() const { return method_; }
  // The target as it goes upstream: the origin form, also for an absolute-form request.
  absl::string_view target() const { return target_; }
  // The host to route by: the target's authority in absolute form, otherwise the Host field.
  absl::string_view host() const { return host_; }
  bool is_head_method() const { return method_ == "HEAD"; }

  // Status line.
  int status() const { return status_; }
  absl::string_view reason() const { return reason_; }

  int version_minor() const { return version_minor_; }
  const std::vector<HeaderField>& fields() const { return fields_; }

  // Framing: content_length() is -1 when absent.
  int64_t content_length() const { return content_length_; }
  bool chunked() const { return chunked_; }
  // A response that ends when the upstream closes (neither length nor chunked).
  bool close_delimited() const { return close_delimited_; }

  // Connection options (RFC 9110 §7.6.1) and the field names they make hop-by-hop.
  bool connection_close() const { return connection_close_; }
  bool connection_keep_alive() const { return connection_keep_alive_; }
  bool connection_upgrade() const { return connection_upgrade_; }
  const std::vector<absl::string_view>& connection_options() const { return connection_options_; }
  absl::string_view upgrade() const { return upgrade_; }
  bool expect_continue() const { return expect_continue_; }

  // True when the message stays on a persistent connection after it is done.
  bool keep_alive() const;

  int error_status() const { return error_status_; }
  absl::string_view error_reason() const { return error_reason_; }

 private:
  void Reset();
  bool Fail(int status, const char* reason);
  bool ParseRequestLine(absl::string_view line);
  bool ParseTarget(absl::string_view target);
  bool ParseStatusLine(absl::string_view line);
  bool ParseFields(absl::string_view block, bool request);
  bool NoteField(absl::string_view name, absl::string_view value, bool request);
  bool NoteContentLength(absl::string_view value);
  bool NoteTransferEncoding(absl::string_view value);
  void NoteConnection(absl::string_view value);
  bool CheckRequestFraming();

  int max_fields_;
  absl::string_view method_;
  absl::string_view target_;
  absl::string_view host_;
  absl::string_view authority_;  // from an absolute-form target
  int host_count_ = 0;
  int status_ = 0;
  absl::string_view reason_;
  int version_minor_ = 1;
  std::vector<HeaderField> fields_;

  int64_t content_length_ = -1;
  bool transfer_encoding_ = false;
  bool chunked_ = false;
  bool chunked_last_ = false;
  int chunked_count_ = 0;
  bool other_coding_ = false;
  bool close_delimited_ = false;

  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool connection_upgrade_ = false;
  std::vector<absl::string_view> connection_options_;
  absl::string_view upgrade_;
  bool expect_continue_ = false;

  int error_status_ = 0;
  const char* error_reason_ = "";
};

// True for a field that is hop-by-hop by definition (RFC 9110 §7.6.1) and never forwarded as is.
bool IsHopByHop(absl::string_view name);

}  // namespace prevu::proxy
