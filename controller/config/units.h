// The value formats of Prevu's configuration files: sizes, durations, CPU fractions, ports and
// listen addresses. Each parser returns InvalidArgument with a sentence that quotes the value and
// shows a valid example, so that the configuration reader only has to prefix the key.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace prevu::controller {

// A size in bytes: a plain integer (`1048576`), or a number with a unit, case-insensitive, with
// an optional fraction (`1.5GiB`). `KiB`, `MiB`, `GiB`, `TiB` (and `Ki`..`Ti`) are powers of 1024;
// `KB`, `MB`, `GB`, `TB` are powers of 1000; the single letters `k`, `m`, `g`, `t` are powers of
// 1024 as in `docker run --memory 256m`; `B` is bytes. A fraction of a byte is rounded down.
absl::StatusOr<int64_t> ParseSize(absl::string_view text);

// `bytes` in the largest binary unit that divides it ("512MiB", "1536KiB", "100B").
std::string SizeToText(int64_t bytes);

// A duration: one or more whole numbers with units from largest to smallest, each unit once, in
// lower case (`M` could be read as months): `d` (24 hours), `h`, `m`, `s`, `ms`. Spaces may
// separate the parts. Examples: `90s`, `10m`, `72h`, `7d`, `500ms`, `1h30m`, `1h 30m`.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);

// `duration` in the same notation ParseDuration accepts ("1h30m", "7d", "0s").
std::string DurationToText(absl::Duration duration);

// A CPU share as Docker's `--cpus` takes it: from 0.01 to 64.
inline constexpr double kMinCpus = 0.01;
inline constexpr double kMaxCpus = 64;
absl::StatusOr<double> ParseCpus(double value);

// Limits of a container's memory and process count that any configuration must stay within.
inline constexpr int64_t kMinMemoryBytes = int64_t{6} << 20;  // Docker refuses less than 6 MiB
inline constexpr int64_t kMaxMemoryBytes = int64_t{1} << 50;
inline constexpr int64_t kMaxPids = 4'194'304;  // the kernel's largest pid_max

// A TCP port a service listens on or connects to: 1 to 65535.
absl::StatusOr<int> ParsePort(int64_t value);

// Where a server listens: `host:port`, `[ipv6]:port`. The host is an IPv4 address, a bracketed
// IPv6 address or a DNS name such as `localhost`. Port 0 is allowed and asks the kernel for a
// free port (tests use it).
struct ListenAddress {
  std::string host;  // without brackets: "::1", "0.0.0.0", "localhost"
  int port = 0;
};
absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text);

}  // namespace prevu::controller
