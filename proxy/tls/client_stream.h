// The client's side of a proxy connection: a TCP socket, or TLS over that socket. One type for
// both lets ClientConnection serve plain and TLS clients with one code path; each operation
// branches once, and on the plain path the socket is called exactly as it would be without the
// wrapper (no extra coroutine frame, no extra allocation, no copy).
#pragma once

#include <optional>
#include <utility>

#include "controller/base/asio.h"
// Asio's SSL stream is not part of the project-wide Asio header: only the proxy needs it.
#include <boost/asio/ssl.hpp>

namespace prevu::proxy {

class ClientStream {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket&>;

  explicit ClientStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // Makes this a TLS stream that starts from `context` (which must outlive the stream). Call at
  // most once, before any I/O; the server handshake is the caller's next step.
  void StartTls(asio::ssl::context& context) { tls_.emplace(socket_, context); }
  bool tls() const { return tls_.has_value(); }
  TlsStream& tls_stream() { return *tls_; }
  asio::ip::tcp::socket& socket() { return socket_; }

  // AsyncReadStream and AsyncWriteStream, so asio::async_write works on the stream. Over TLS
  // one write carries one record; Asio copies a run of small buffers into one record itself.
  executor_type get_executor() { return socket_.get_executor(); }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, size_t)>(
        [this](auto handler, const MutableBuffers& buffers) {
          if (tls_) {
            tls_->async_read_some(buffers, std::move(handler));
          } else {
            socket_.async_read_some(buffers, std::move(handler));
          }
        },
        token, buffers);
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, size_t)>(
        [this](auto handler, const ConstBuffers& buffers) {
          if (tls_) {
            tls_->async_write_some(buffers, std::move(handler));
          } else {
            socket_.async_write_some(buffers, std::move(handler));
          }
        },
        token, buffers);
  }

  // Sends TLS's close_notify alert (RFC 8446 §6.1) without waiting for the client's, so that
  // the client can tell the end of the connection from a truncation. Only after a completed
  // handshake; completes at once on a plain stream.
  template <typename Token>
  auto async_close_notify(Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) {
          if (!tls_) {
            asio::post(socket_.get_executor(),
                       [handler = std::move(handler)]() mutable { handler({}); });
            return;
          }
          // Marked as received already, SSL_shutdown sends its alert and reports completion
          // instead of reading on for the client's alert.
          SSL_set_shutdown(tls_->native_handle(), SSL_RECEIVED_SHUTDOWN);
          tls_->async_shutdown(std::move(handler));
        },
        token);
  }

 private:
  asio::ip::tcp::socket socket_;
  std::optional<TlsStream> tls_;  // over socket_, destroyed before it
};

}  // namespace prevu::proxy
