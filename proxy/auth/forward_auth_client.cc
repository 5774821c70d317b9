// The forward-auth subrequest; see forward_auth_client.h.
#include "proxy/auth/forward_auth_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <optional>

#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "controller/base/strings.h"

namespace prevu::proxy {
namespace {

using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

// An idle connection older than this is closed rather than reused: most servers drop idle
// keep-alive connections after 30 to 120 seconds, and a retry costs a round trip.
constexpr auto kMaxIdleAge = std::chrono::seconds(20);
constexpr uint32_t kMaxHeadBytes = 16 * 1024;

auto Redirect(ErrorCode& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

void AppendField(std::string* out, absl::string_view name, absl::string_view value) {
  absl::StrAppend(out, name, ": ", value, "\r\n");
}

}  // namespace

struct ForwardAuthClient::Connection {
  Connection(asio::io_context& io, asio::ssl::context* context) : socket(io) {
    if (context != nullptr) {
      tls.emplace(socket, *context);
    }
  }

  void Close() {
    ErrorCode ec;
    socket.close(ec);
  }

  tcp::socket socket;
  std::optional<asio::ssl::stream<tcp::socket&>> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since;
};

// Ask() waits on `timer`; Run() does the work and cancels the timer when it has an answer. When
// the timer fires first, Ask() closes `connection`, which ends Run()'s pending operation.
struct ForwardAuthClient::Attempt {
  explicit Attempt(asio::io_context& io) : timer(io) {}

  asio::steady_timer timer;
  std::string request;
  Connection* connection = nullptr;
  std::optional<ForwardAnswer> answer;
  bool timed_out = false;
};

absl::StatusOr<std::unique_ptr<ForwardAuthClient>> ForwardAuthClient::Create(asio::io_context& io,
                                                                             ForwardTarget target,
                                                                             Options options) {
  std::unique_ptr<asio::ssl::context> tls;
  if (target.https) {
    tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    ErrorCode ec;
    tls->set_verify_mode(asio::ssl::verify_peer, ec);
    if (options.ca_file.empty()) {
      tls->set_default_verify_paths(ec);
    } else {
      tls->load_verify_file(options.ca_file, ec);
    }
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot load the CA certificates for forward auth",
          options.ca_file.empty() ? "" : " from ", options.ca_file, ": ", ec.message()));
    }
    SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  }
  return std::unique_ptr<ForwardAuthClient>(
      new ForwardAuthClient(io, std::move(target), std::move(options), std::move(tls)));
}

ForwardAuthClient::ForwardAuthClient(asio::io_context& io, ForwardTarget target, Options options,
                                     std::unique_ptr<asio::ssl::context> tls)
    : io_(io), target_(std::move(target)), options_(std::move(options)), tls_(std::move(tls)) {}

ForwardAuthClient::~ForwardAuthClient() = default;

void ForwardAuthClient::Clear() { idle_.clear(); }

std::string ForwardAuthClient::Serialize(const ForwardAuthRequest& request) const {
  // The values come from a request head the proxy has parsed, which holds no CR, LF or other
  // control character, so they cannot end a field early.
  std::string out = absl::StrCat("GET ", target_.target, " HTTP/1.1\r\n");
  AppendField(&out, "Host", target_.host_header);
  AppendField(&out, "X-Forwarded-Method", request.method);
  AppendField(&out, "X-Forwarded-Proto", request.proto);
  AppendField(&out, "X-Forwarded-Host", request.host);
  AppendField(&out, "X-Forwarded-Uri", request.uri);
  AppendField(&out, "X-Forwarded-For", request.forwarded_for);
  if (!request.cookie.empty()) {
    AppendField(&out, "Cookie", request.cookie);
  }
  if (!request.authorization.empty()) {
    AppendField(&out, "Authorization", request.authorization);
  }
  out.append("\r\n");
  return out;
}

asio::awaitable<ForwardAnswer> ForwardAuthClient::Ask(const ForwardAuthRequest& request) {
  auto attempt = std::make_shared<Attempt>(io_);
  attempt->request = Serialize(request);
  attempt->timer.expires_after(absl::ToChronoNanoseconds(options_.timeout));
  asio::co_spawn(io_, Run(attempt), asio::detached);

  ErrorCode ec;
  if (!attempt->answer.has_value()) {
    co_await attempt->timer.async_wait(Redirect(ec));
  }
  if (attempt->answer.has_value()) {
    co_return std::move(*attempt->answer);
  }
  attempt->timed_out = true;
  if (attempt->connection != nullptr) {
    attempt->connection->Close();
  }
  ForwardAnswer answer;
  answer.outcome = ForwardAnswer::Outcome::kTimeout;
  co_return answer;
}

asio::awaitable<void> ForwardAuthClient::Run(std::shared_ptr<Attempt> attempt) {
  ForwardAnswer answer;
  for (int round = 0; round < 2 && !attempt->timed_out; ++round) {
    std::unique_ptr<Connection> connection = TakeIdle();
    bool reused = connection != nullptr;
    if (!reused) {
      connection = std::make_unique<Connection>(io_, tls_.get());
    }
    attempt->connection = connection.get();
    if (!reused && !co_await Open(*attempt, *connection)) {
      answer.outcome = ForwardAnswer::Outcome::kUnreachable;
      break;
    }

    bool nothing_received = false;
    bool keep_alive = false;
    answer = co_await Exchange(*attempt, *connection, &nothing_received, &keep_alive);
    attempt->connection = nullptr;
    // A kept-alive connection the service closed meanwhile: ask again on a fresh one.
    if (reused && nothing_received && !attempt->timed_out) {
      continue;
    }
    if (keep_alive && !attempt->timed_out) {
      PutIdle(std::move(connection));
    }
    break;
  }

  if (attempt->timed_out) {
    co_return;
  }
  attempt->answer = std::move(answer);
  attempt->timer.cancel();
}

asio::awaitable<bool> ForwardAuthClient::Open(Attempt& attempt, Connection& connection) {
  ErrorCode ec;
  std::vector<tcp::endpoint> endpoints;
  asio::ip::address address = asio::ip::make_address(target_.host, ec);
  bool literal = !ec;
  if (literal) {
    endpoints.emplace_back(address, target_.port);
  } else {
    tcp::resolver resolver(io_);
    auto results =
        co_await resolver.async_resolve(target_.host, absl::StrCat(target_.port), Redirect(ec));
    if (ec || attempt.timed_out) {
      log::Debug("forward auth: name does not resolve").With("host", target_.host);
      co_return false;
    }
    for (const auto& entry : results) {
      endpoints.push_back(entry.endpoint());
    }
  }

  co_await asio::async_connect(connection.socket, endpoints, Redirect(ec));
  if (ec || attempt.timed_out) {
    log::Debug("forward auth: connect failed").With("error", ec.message());
    co_return false;
  }
  connection.socket.set_option(tcp::no_delay(true), ec);
  if (!connection.tls) {
    co_return true;
  }

  // SNI and the name the certificate must carry (RFC 6125): a DNS name, or an IP address.
  SSL* ssl = connection.tls->native_handle();
  if (!literal) {
    SSL_set_tlsext_host_name(ssl, target_.host.c_str());
    SSL_set1_host(ssl, target_.host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target_.host.c_str());
  }
  co_await connection.tls->async_handshake(asio::ssl::stream_base::client, Redirect(ec));
  if (ec || attempt.timed_out) {
    log::Debug("forward auth: TLS handshake failed").With("error", ec.message());
    co_return false;
  }
  co_return true;
}

asio::awaitable<ForwardAnswer> ForwardAuthClient::Exchange(Attempt& attempt, Connection& connection,
                                                           bool* nothing_received,
                                                           bool* keep_alive) {
  if (connection.tls) {
    co_return co_await Talk(*connection.tls, attempt, connection, nothing_received, keep_alive);
  }
  co_return co_await Talk(connection.socket, attempt, connection, nothing_received, keep_alive);
}

template <typename Stream>
asio::awaitable<ForwardAnswer> ForwardAuthClient::Talk(Stream& stream, Attempt& attempt,
                                                       Connection& connection,
                                                       bool* nothing_received, bool* keep_alive) {
  ForwardAnswer answer;
  answer.outcome = ForwardAnswer::Outcome::kUnreachable;
  ErrorCode ec;
  co_await asio::async_write(stream, asio::buffer(attempt.request), Redirect(ec));
  if (ec) {
    *nothing_received = true;
    co_return answer;
  }

  // Boost 1.74's parser enforces body_limit on chunked and close-delimited bodies but not on a
  // Content-Length, so that one is checked here, between the head and the body.
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHeadBytes);
  parser.body_limit(options_.max_body_bytes);
  co_await http::async_read_header(stream, connection.buffer, parser, Redirect(ec));
  if (!ec && parser.content_length().value_or(0) > options_.max_body_bytes) {
    ec = http::error::body_limit;
  }
  if (!ec) {
    co_await http::async_read(stream, connection.buffer, parser, Redirect(ec));
  }
  if (ec) {
    *nothing_received = !parser.got_some();
    bool too_large = ec == http::error::body_limit || ec == http::error::header_limit;
    answer.outcome =
        too_large ? ForwardAnswer::Outcome::kInvalid : ForwardAnswer::Outcome::kUnreachable;
    if (ec != http::error::end_of_stream) {
      log::Debug("forward auth: no answer").With("error", ec.message());
    }
    co_return answer;
  }

  const auto& message = parser.get();
  answer.status = static_cast<int>(message.result_int());
  if (answer.status < 200) {
    answer.outcome = ForwardAnswer::Outcome::kInvalid;
    co_return answer;
  }
  answer.outcome = ForwardAnswer::Outcome::kAnswered;
  answer.reason = std::string(ToAbsl(message.reason()));
  for (const auto& field : message) {
    answer.fields.emplace_back(std::string(ToAbsl(field.name_string())),
                               std::string(ToAbsl(field.value())));
  }
  answer.body = message.body();
  *keep_alive = message.keep_alive() && connection.buffer.size() == 0;
  co_return answer;
}

std::unique_ptr<ForwardAuthClient::Connection> ForwardAuthClient::TakeIdle() {
  auto now = SteadyClock::now();
  while (!idle_.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    if (now - connection->idle_since < kMaxIdleAge) {
      return connection;
    }
  }
  return nullptr;
}

void ForwardAuthClient::PutIdle(std::unique_ptr<Connection> connection) {
  connection->idle_since = SteadyClock::now();
  if (static_cast<int>(idle_.size()) >= options_.max_idle) {
    idle_.erase(idle_.begin());
  }
  idle_.push_back(std::move(connection));
}

}  // namespace prevu::proxy
