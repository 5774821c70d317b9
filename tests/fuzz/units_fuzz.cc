// Fuzzes the value formats of the configuration files: sizes, durations and listen addresses.
// Each input is tried as all three. What parses must print back in a form that parses to the
// same value, since `prevu check` and error messages show values in that printed form.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controller/config/units.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::controller {
namespace {

void CheckSize(absl::string_view text) {
  absl::StatusOr<int64_t> size = ParseSize(text);
  if (!size.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(size.status()));
    return;
  }
  FUZZ_CHECK(*size >= 0);
  absl::StatusOr<int64_t> again = ParseSize(SizeToText(*size));
  FUZZ_CHECK(again.ok() && *again == *size);
}

void CheckDuration(absl::string_view text) {
  absl::StatusOr<absl::Duration> duration = ParseDuration(text);
  if (!duration.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(duration.status()));
    return;
  }
  FUZZ_CHECK(*duration >= absl::ZeroDuration() && *duration < absl::InfiniteDuration());
  absl::StatusOr<absl::Duration> again = ParseDuration(DurationToText(*duration));
  FUZZ_CHECK(again.ok() && *again == *duration);
}

void CheckListenAddress(absl::string_view text) {
  absl::StatusOr<ListenAddress> address = ParseListenAddress(text);
  if (!address.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(address.status()));
    return;
  }
  FUZZ_CHECK(address->port >= 0 && address->port <= 65535);
  bool ipv6 = absl::StrContains(address->host, ':');
  std::string printed = ipv6 ? absl::StrCat("[", address->host, "]:", address->port)
                             : absl::StrCat(address->host, ":", address->port);
  absl::StatusOr<ListenAddress> again = ParseListenAddress(printed);
  FUZZ_CHECK(again.ok() && again->host == address->host && again->port == address->port);
}

}  // namespace
}  // namespace prevu::controller

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  prevu::controller::CheckSize(text);
  prevu::controller::CheckDuration(text);
  prevu::controller::CheckListenAddress(text);
  return 0;
}
