// Address parsing and formatting for the proxy; see endpoint.h.
#include "proxy/endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace prevu::proxy {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Parses a numeric IPv4 or IPv6 address; false when `text` is neither.
bool ParseNumeric(absl::string_view text, std::array<uint8_t, 16>* out) {
  if (text.size() >= INET6_ADDRSTRLEN) {
    return false;
  }
  char buffer[INET6_ADDRSTRLEN];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';

  in_addr v4;
  if (inet_pton(AF_INET, buffer, &v4) == 1) {
    std::memcpy(out->data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
    std::memcpy(out->data() + 12, &v4, 4);
    return true;
  }
  return inet_pton(AF_INET6, buffer, out->data()) == 1;
}

bool ParsePort(absl::string_view text, uint16_t* port) {
  uint32_t value = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &value) || value > 65535) {
    return false;
  }
  *port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace

bool Endpoint::is_v4() const {
  return std::memcmp(address.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0;
}

std::string Endpoint::AddressString() const {
  char buffer[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, address.data() + 12, buffer, sizeof(buffer));
  } else {
    inet_ntop(AF_INET6, address.data(), buffer, sizeof(buffer));
  }
  return buffer;
}

std::string Endpoint::ToString() const {
  if (is_v4()) {
    return absl::StrCat(AddressString(), ":", port);
  }
  return absl::StrCat("[", AddressString(), "]:", port);
}

absl::StatusOr<Endpoint> ResolveEndpoint(absl::string_view host, uint16_t port) {
  Endpoint endpoint;
  endpoint.port = port;
  if (ParseNumeric(host, &endpoint.address)) {
    return endpoint;
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  std::string name(host);
  if (getaddrinfo(name.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("upstream host \"", host, "\" does not resolve to an address"));
  }
  if (result->ai_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(result->ai_addr);
    std::memcpy(endpoint.address.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
    std::memcpy(endpoint.address.data() + 12, &v4->sin_addr, 4);
  } else {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(result->ai_addr);
    std::memcpy(endpoint.address.data(), &v6->sin6_addr, 16);
  }
  freeaddrinfo(result);
  return endpoint;
}

absl::StatusOr<Endpoint> ParseHostPort(absl::string_view text) {
  absl::string_view host;
  absl::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\" is not an address; write [IPV6]:PORT"));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", text, "\" is not an address; write HOST:PORT, such as 127.0.0.1:3000"));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }

  uint16_t port = 0;
  if (!ParsePort(port_text, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", port_text, "\" in \"", text, "\" is not a port number (0 to 65535)"));
  }
  return ResolveEndpoint(host, port);
}

absl::StatusOr<TrustedNetwork> ParseTrustedNetwork(absl::string_view text) {
  TrustedNetwork network;
  size_t slash = text.find('/');
  absl::string_view address = text.substr(0, slash);
  if (!ParseNumeric(address, &network.address)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a network; write 10.0.0.0/8 or fd00::/8"));
  }
  bool v4 = std::memcmp(network.address.data(), kV4MappedPrefix.data(), 12) == 0;
  network.prefix_bits = 128;
  if (slash != absl::string_view::npos) {
    int bits = 0;
    int max_bits = v4 ? 32 : 128;
    if (!absl::SimpleAtoi(text.substr(slash + 1), &bits) || bits < 0 || bits > max_bits) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\": the prefix length must be 0 to ", max_bits));
    }
    network.prefix_bits = v4 ? 96 + bits : bits;
  }
  return network;
}

bool IsTrusted(const std::array<uint8_t, 16>& address,
               const std::vector<TrustedNetwork>& networks) {
  for (const TrustedNetwork& network : networks) {
    int full_bytes = network.prefix_bits / 8;
    int rest_bits = network.prefix_bits % 8;
    if (std::memcmp(address.data(), network.address.data(), full_bytes) != 0) {
      continue;
    }
    if (rest_bits == 0) {
      return true;
    }
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest_bits));
    if ((address[full_bytes] & mask) == (network.address[full_bytes] & mask)) {
      return true;
    }
  }
  return false;
}

}  // namespace prevu::proxy
