// The heads that leave the proxy; see header_rewriter.h.
#include "proxy/header_rewriter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace prevu::proxy {
namespace {

enum class Forwarding { kNone, kFor, kProto, kHost, kForwarded, kRequestId };

// Which forwarding field `name` is, if any; these are rewritten rather than copied.
Forwarding ForwardingField(absl::string_view name) {
  switch (name.size()) {
    case 9:
      return absl::EqualsIgnoreCase(name, "forwarded") ? Forwarding::kForwarded : Forwarding::kNone;
    case 12:
      return absl::EqualsIgnoreCase(name, "x-request-id") ? Forwarding::kRequestId
                                                          : Forwarding::kNone;
    case 15:
      return absl::EqualsIgnoreCase(name, "x-forwarded-for") ? Forwarding::kFor : Forwarding::kNone;
    case 16:
      return absl::EqualsIgnoreCase(name, "x-forwarded-host") ? Forwarding::kHost
                                                              : Forwarding::kNone;
    case 17:
      return absl::EqualsIgnoreCase(name, "x-forwarded-proto") ? Forwarding::kProto
                                                               : Forwarding::kNone;
    default:
      return Forwarding::kNone;
  }
}

bool IsFramingOrHost(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "host") || absl::EqualsIgnoreCase(name, "content-length") ||
         absl::EqualsIgnoreCase(name, "transfer-encoding");
}

// Writes "Name: " and then the values of every incoming field of `kind`, each followed by ", ".
// Used only for a trusted peer, whose chain the proxy extends.
void AppendChain(std::string* out, const HttpHead& request, absl::string_view name,
                 Forwarding kind) {
  absl::StrAppend(out, name, ": ");
  for (const HeaderField& field : request.fields()) {
    if (ForwardingField(field.name) == kind) {
      absl::StrAppend(out, field.value, ", ");
    }
  }
}

void AppendField(std::string* out, absl::string_view name, absl::string_view value) {
  absl::StrAppend(out, name, ": ", value, "\r\n");
}

// Forwarded's node and host values are quoted strings when they hold ":" or "[" (RFC 7239 §4,
// §6): the host header value is copied verbatim, already free of quotes and controls.
void AppendForwardedElement(std::string* out, const Peer& peer, absl::string_view host) {
  if (peer.v6) {
    absl::StrAppend(out, "for=\"[", peer.address, "]\"");
  } else {
    absl::StrAppend(out, "for=", peer.address);
  }
  absl::StrAppend(out, ";host=\"", host, "\";proto=", peer.scheme);
}

}  // namespace

bool IsNominatedHopByHop(const HttpHead& head, absl::string_view name) {
  for (absl::string_view option : head.connection_options()) {
    if (absl::EqualsIgnoreCase(option, name)) {
      return !IsFramingOrHost(name);
    }
  }
  return false;
}

absl::string_view HeaderRewriter::IncomingRequestId(const HttpHead& request) {
  for (const HeaderField& field : request.fields()) {
    if (field.name.size() != 12 || !absl::EqualsIgnoreCase(field.name, "x-request-id")) {
      continue;
    }
    if (field.value.empty() || field.value.size() > 200 ||
        field.value.find_first_of(" \t\"") != absl::string_view::npos) {
      return absl::string_view();
    }
    return field.value;
  }
  return absl::string_view();
}

void HeaderRewriter::WriteRequest(const HttpHead& request, const Peer& peer,
                                  absl::string_view request_id, bool upgrade,
                                  std::string* out) const {
  out->clear();
  absl::StrAppend(out, request.method(), " ", request.target(),
                  " HTTP/1.1\r\nHost: ", request.host(), "\r\n");

  // Copy end-to-end fields; remember the incoming forwarding fields, which are rewritten.
  absl::string_view in_proto;
  absl::string_view in_host;
  for (const HeaderField& field : request.fields()) {
    Forwarding kind = ForwardingField(field.name);
    if (kind == Forwarding::kProto) {
      in_proto = field.value;
    } else if (kind == Forwarding::kHost) {
      in_host = field.value;
    } else if (kind == Forwarding::kNone && !IsHopByHop(field.name) &&
               !absl::EqualsIgnoreCase(field.name, "host") &&
               !absl::EqualsIgnoreCase(field.name, "expect") &&
               !IsNominatedHopByHop(request, field.name)) {
      AppendField(out, field.name, field.value);
    }
  }

  // Framing is relayed as it arrives: the chunked framing passes through byte for byte.
  if (request.chunked()) {
    out->append("Transfer-Encoding: chunked\r\n");
  }
  if (upgrade) {
    AppendField(out, "Connection", "upgrade");
    AppendField(out, "Upgrade", request.upgrade());
  }

  // Forwarding fields: extend a trusted peer's chain, replace an untrusted one's.
  if (peer.trusted) {
    AppendChain(out, request, "X-Forwarded-For", Forwarding::kFor);
  } else {
    out->append("X-Forwarded-For: ");
    in_proto = in_host = absl::string_view();
  }
  absl::StrAppend(out, peer.address, "\r\n");
  AppendField(out, "X-Forwarded-Proto", in_proto.empty() ? peer.scheme : in_proto);
  AppendField(out, "X-Forwarded-Host", in_host.empty() ? request.host() : in_host);
  if (peer.trusted) {
    AppendChain(out, request, "Forwarded", Forwarding::kForwarded);
  } else {
    out->append("Forwarded: ");
  }
  AppendForwardedElement(out, peer, request.host());
  out->append("\r\n");
  AppendField(out, "X-Request-Id", request_id);
  out->append("\r\n");
}

void HeaderRewriter::WriteResponse(const HttpHead& response, ResponseBody body, bool close,
                                   bool http10_keep_alive, std::string* out) const {
  out->clear();
  absl::StrAppend(out, "HTTP/1.1 ", response.status(), " ", response.reason(), "\r\n");
  bool switching = response.status() == 101;
  bool robots = false;
  for (const HeaderField& field : response.fields()) {
    robots = robots || absl::EqualsIgnoreCase(field.name, "x-robots-tag");
    bool length = absl::EqualsIgnoreCase(field.name, "content-length");
    if (IsHopByHop(field.name) || IsNominatedHopByHop(response, field.name) ||
        (length && body != ResponseBody::kLength && body != ResponseBody::kNone)) {
      continue;
    }
    AppendField(out, field.name, field.value);
  }

  if (body == ResponseBody::kChunked) {
    out->append("Transfer-Encoding: chunked\r\n");
  }
  if (config_->noindex && !robots && !switching) {
    out->append("X-Robots-Tag: noindex\r\n");
  }
  if (switching) {
    AppendField(out, "Connection", "upgrade");
    AppendField(out, "Upgrade", response.upgrade());
  } else if (close) {
    out->append("Connection: close\r\n");
  } else if (http10_keep_alive) {
    out->append("Connection: keep-alive\r\n");
  }
  out->append("\r\n");
}

}  // namespace prevu::proxy
