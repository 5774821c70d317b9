// The HTTP readiness probe; see health_probe.h. Kept in its own translation unit because Beast
// is heavy to compile.
#include "reconciler/health_probe.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "controller/base/asio.h"
#include "controller/base/strings.h"

namespace prevu::reconciler {

absl::Status HttpHealthProbe::Probe(const std::string& host, uint16_t port, const std::string& path,
                                    absl::Duration timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  boost::system::error_code ec;
  std::string where = absl::StrCat("http://", host, ":", port, path);

  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat("`", host, "` is not an IP address"));
  }
  stream.expires_after(absl::ToChronoMilliseconds(timeout));
  stream.connect(asio::ip::tcp::endpoint(address, port), ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(where, " refused or timed out: ", ec.message()));
  }

  http::request<http::empty_body> request(http::verb::get, ToStd(path), 11);
  request.set(http::field::host, absl::StrCat(host, ":", port));
  request.set(http::field::user_agent, "prevu-health");
  request.set(http::field::connection, "close");
  http::write(stream, request, ec);

  // Only the head matters; a limit keeps a misbehaving app from making the probe read forever.
  beast::flat_buffer buffer(16 * 1024);
  http::response_parser<http::empty_body> parser;
  parser.header_limit(16 * 1024);
  if (!ec) {
    http::read_header(stream, buffer, parser, ec);
  }
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  if (!parser.is_header_done()) {
    return absl::UnavailableError(absl::StrCat(where, " sent no HTTP answer"));
  }

  unsigned status = parser.get().result_int();
  if (status < 200 || status >= 400) {
    return absl::UnavailableError(absl::StrCat(where, " answered ", status));
  }
  return absl::OkStatus();
}

}  // namespace prevu::reconciler
