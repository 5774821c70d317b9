// The one way Prevu includes Boost.Asio and Boost.Beast. Boost 1.74's awaitable.hpp uses
// std::exchange without including <utility>, so every translation unit gets it here first.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace prevu {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
}  // namespace prevu
