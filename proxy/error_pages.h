// The responses the proxy writes itself (unknown host, preview being built, upstream down, bad
// request), built once at start-up so that answering one costs a single write.
#pragma once

#include <array>
#include <string>

#include "absl/strings/string_view.h"

namespace prevu::proxy {

class ErrorPages {
 public:
  // The statuses the proxy answers on its own, in the order of kStatuses.
  static constexpr std::array<int, 13> kStatuses = {400, 404, 408, 413, 414, 417, 431,
                                                    500, 501, 502, 503, 504, 505};

  // `noindex` adds "X-Robots-Tag: noindex" to every page (ProxyConfig::noindex).
  explicit ErrorPages(int retry_after_seconds, bool noindex = false);

  // The complete response (head and body) for `status`, one of kStatuses; `close` selects the
  // variant with "Connection: close". Any other status gives the 500 page.
  absl::string_view Get(int status, bool close) const;

  // The position of `status` in kStatuses, or the position of 500.
  static size_t Index(int status);

 private:
  std::array<std::string, kStatuses.size()> keep_alive_;
  std::array<std::string, kStatuses.size()> close_;
};

}  // namespace prevu::proxy
