// One HTTP exchange per call on a private io_context, as a coroutine; see https_client.h.
#include "proxy/acme/https_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "controller/base/asio.h"
#include "controller/base/strings.h"

#include <boost/beast/ssl.hpp>

namespace prevu::proxy::acme {
namespace {

using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr uint32_t kMaxHeaderBytes = 64 * 1024;

struct Url {
  bool tls = true;
  std::string host;  // without brackets for an IPv6 literal
  std::string port;
  std::string target;
};

absl::StatusOr<Url> ParseUrl(absl::string_view text) {
  Url url;
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "https://")) {
    url.port = "443";
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    url.tls = false;
    url.port = "80";
  } else {
    return absl::InvalidArgumentError(absl::StrCat("`", text, "` is not an http(s) URL"));
  }
  size_t path = rest.find('/');
  absl::string_view authority = rest.substr(0, path);
  url.target = path == absl::string_view::npos ? "/" : std::string(rest.substr(path));

  // host, host:port, [v6], [v6]:port
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon != absl::string_view::npos && (bracket == absl::string_view::npos || colon > bracket)) {
    url.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  if (absl::ConsumePrefix(&authority, "[") && !absl::ConsumeSuffix(&authority, "]")) {
    return absl::InvalidArgumentError(absl::StrCat("`", text, "` has an unclosed IPv6 address"));
  }
  int port = 0;
  if (authority.empty() || !absl::SimpleAtoi(url.port, &port) || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("`", text, "` has no valid host and port"));
  }
  url.host = std::string(authority);
  return url;
}

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// One request and its answer on a stream of type Stream (plain TCP or TLS).
template <typename Stream>
class Exchange {
 public:
  Exchange(asio::io_context& io, Stream stream, const Url& url,
           http::request<http::string_body> request, const HttpsClientOptions& options)
      : resolver_(io),
        deadline_(io),
        stream_(std::move(stream)),
        url_(url),
        request_(std::move(request)) {
    parser_.header_limit(kMaxHeaderBytes);
    parser_.body_limit(options.max_body_bytes);
    parser_.skip(request_.method() == http::verb::head);
    deadline_.expires_after(absl::ToChronoMilliseconds(options.timeout));
  }

  // Runs the exchange to its end on the io_context's thread.
  asio::awaitable<void> Run() {
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        timed_out_ = true;
        resolver_.cancel();
        beast::get_lowest_layer(stream_).close();
      }
    });
    co_await Talk();
    deadline_.cancel();
  }

  bool timed_out() const { return timed_out_; }
  const char* step() const { return step_; }
  const boost::system::error_code& error() const { return ec_; }
  http::response_parser<http::string_body>& parser() { return parser_; }

 private:
  asio::awaitable<void> Talk() {
    auto on_error = asio::redirect_error(asio::use_awaitable, ec_);
    step_ = "resolve";
    tcp::resolver::results_type endpoints =
        co_await resolver_.async_resolve(url_.host, url_.port, on_error);
    if (ec_) {
      co_return;
    }
    step_ = "connect";
    co_await beast::get_lowest_layer(stream_).async_connect(endpoints, on_error);
    if (ec_) {
      co_return;
    }
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      step_ = "TLS handshake";
      co_await stream_.async_handshake(asio::ssl::stream_base::client, on_error);
      if (ec_) {
        co_return;
      }
    }
    step_ = "write";
    co_await http::async_write(stream_, request_, on_error);
    if (ec_) {
      co_return;
    }
    step_ = "read";
    co_await http::async_read(stream_, buffer_, parser_, on_error);
  }

  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  Stream stream_;
  const Url& url_;
  http::request<http::string_body> request_;
  http::response_parser<http::string_body> parser_;
  beast::flat_buffer buffer_;
  boost::system::error_code ec_;
  const char* step_ = "start";
  bool timed_out_ = false;
};

// Prepares `stream` to send the host's name (SNI) and to accept only a certificate for it.
absl::Status ExpectPeer(TlsStream& stream, const std::string& host) {
  SSL* ssl = stream.native_handle();
  bool ok = IsIpAddress(host)
                ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1
                : SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
                      SSL_set1_host(ssl, host.c_str()) == 1;
  if (!ok) {
    return absl::InternalError(absl::StrCat("cannot set up TLS for ", host));
  }
  return absl::OkStatus();
}

template <typename Stream>
absl::StatusOr<HttpResponse> Run(asio::io_context& io, Stream stream, const Url& url,
                                 http::request<http::string_body> request,
                                 const HttpsClientOptions& options, absl::string_view what) {
  Exchange<Stream> exchange(io, std::move(stream), url, std::move(request), options);
  asio::co_spawn(io, exchange.Run(), asio::detached);
  io.run();

  if (exchange.timed_out()) {
    return absl::DeadlineExceededError(absl::StrCat(what, ": no answer within ",
                                                    absl::FormatDuration(options.timeout),
                                                    " (during ", exchange.step(), ")"));
  }
  if (exchange.error()) {
    return absl::UnavailableError(
        absl::StrCat(what, ": ", exchange.step(), " failed: ", exchange.error().message()));
  }
  HttpResponse response;
  auto& message = exchange.parser().get();
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  return response;
}

}  // namespace

std::string HttpResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return "";
}

HttpsClient::HttpsClient(HttpsClientOptions options)
    : options_(std::move(options)),
      tls_(std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client)) {}

HttpsClient::~HttpsClient() = default;

absl::StatusOr<std::unique_ptr<HttpsClient>> HttpsClient::Create(HttpsClientOptions options) {
  std::unique_ptr<HttpsClient> client(new HttpsClient(std::move(options)));
  boost::system::error_code ec;
  SSL_CTX_set_min_proto_version(client->tls_->native_handle(), TLS1_2_VERSION);
  client->tls_->set_verify_mode(asio::ssl::verify_peer);
  if (client->options_.ca_file.empty()) {
    client->tls_->set_default_verify_paths(ec);
  } else {
    client->tls_->load_verify_file(client->options_.ca_file, ec);
  }
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load the CA certificates ",
                     client->options_.ca_file.empty() ? "of the system" : client->options_.ca_file,
                     ": ", ec.message()));
  }
  return client;
}

absl::StatusOr<HttpResponse> HttpsClient::Send(absl::string_view method, absl::string_view url,
                                               absl::string_view content_type,
                                               absl::string_view body, absl::string_view accept) {
  absl::StatusOr<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) {
    return parsed.status();
  }
  http::request<http::string_body> request(http::string_to_verb(ToStd(method)), parsed->target, 11);
  // RFC 9110 section 7.2: the port goes in Host unless it is the scheme's default; CAs build
  // the URLs in their answers from it.
  std::string host =
      absl::StrContains(parsed->host, ':') ? absl::StrCat("[", parsed->host, "]") : parsed->host;
  if (parsed->port != (parsed->tls ? "443" : "80")) {
    absl::StrAppend(&host, ":", parsed->port);
  }
  request.set(http::field::host, host);
  request.set(http::field::user_agent, options_.user_agent);
  request.set(http::field::connection, "close");
  if (!content_type.empty()) {
    request.set(http::field::content_type, ToStd(content_type));
  }
  if (!accept.empty()) {
    request.set(http::field::accept, ToStd(accept));
  }
  request.body() = std::string(body);
  request.prepare_payload();

  std::string what = absl::StrCat(method, " ", url);
  asio::io_context io;
  if (!parsed->tls) {
    return Run(io, beast::tcp_stream(io), *parsed, std::move(request), options_, what);
  }
  TlsStream stream(io, *tls_);
  absl::Status peer = ExpectPeer(stream, parsed->host);
  if (!peer.ok()) {
    return peer;
  }
  return Run(io, std::move(stream), *parsed, std::move(request), options_, what);
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  int64_t seconds = 0;
  if (absl::SimpleAtoi(value, &seconds)) {
    return seconds >= 0 ? std::optional(absl::Seconds(seconds)) : std::nullopt;
  }
  absl::Time when;
  std::string error;
  if (value.empty() || !absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", value, &when, &error)) {
    return std::nullopt;
  }
  return std::max(when - now, absl::ZeroDuration());
}

}  // namespace prevu::proxy::acme
