// Fuzzes the reader of webhook payloads. Input: a dotted path on the first line, the JSON body
// after it. Every accessor runs on that path and on the paths the receivers read, and each
// value must keep its accessor's promise; reading only the wanted paths must give the same
// values as reading them all.
#include <string>
#include <type_traits>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/payload_reader.h"
#include "tests/fuzz/fuzz_support.h"

namespace prevu::api {
namespace {

// Paths the GitHub and GitLab receivers read.
constexpr absl::string_view kPaths[] = {
    "action",
    "number",
    "repository.full_name",
    "pull_request.head.sha",
    "pull_request.base.repo.clone_url",
    "project.path_with_namespace",
    "object_attributes.iid",
    "object_attributes.last_commit.id",
};

// The promise of RepoPath(), put independently of its code: only these characters, and no
// segment that is empty, "." or "..".
bool ValidRepoPath(absl::string_view repo) {
  constexpr absl::string_view kAllowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/";
  std::vector<absl::string_view> segments = absl::StrSplit(repo, '/');
  return repo.find_first_not_of(kAllowed) == absl::string_view::npos &&
         absl::c_none_of(segments,
                         [](absl::string_view s) { return s.empty() || s == "." || s == ".."; });
}

// What every accessor says about one path, as text so that two readers can be compared.
std::string Describe(PayloadReader* reader, absl::string_view path) {
  auto show = [](const auto& value) -> std::string {
    if (!value.ok()) {
      return std::string(value.status().message());
    }
    if constexpr (std::is_same_v<std::decay_t<decltype(*value)>, std::string>) {
      return "=" + *value;
    } else {
      return "=" + std::to_string(*value);
    }
  };
  absl::StatusOr<std::string> string = reader->String(path);
  absl::StatusOr<std::string> optional = reader->OptionalString(path);
  absl::StatusOr<int64_t> number = reader->PositiveInt(path);
  absl::StatusOr<std::string> repo = reader->RepoPath(path);
  absl::StatusOr<std::string> sha = reader->CommitSha(path);
  absl::StatusOr<std::string> url = reader->CloneUrl(path);
  bool has = reader->Has(path);

  FUZZ_CHECK(!string.ok() || (has && optional.ok() && *optional == *string));
  FUZZ_CHECK(has || (optional.ok() && optional->empty()));
  FUZZ_CHECK(!number.ok() || *number > 0);
  FUZZ_CHECK(!repo.ok() || ValidRepoPath(*repo));
  FUZZ_CHECK(!sha.ok() || fuzz::IsCommitId(*sha));
  FUZZ_CHECK(!url.ok() || (!url->empty() && (*url)[0] != '-'));

  std::string description = absl::StrCat(show(string), "|", show(optional), "|", show(number), "|",
                                         show(repo), "|", show(sha), "|", show(url), "|", has);

  // Problems() gathers exactly the errors Take() was handed.
  bool clean = reader->Problems().ok();
  bool string_ok = string.ok();
  std::string taken;
  reader->Take(std::move(string), &taken);
  FUZZ_CHECK(reader->Problems().ok() == (clean && string_ok));
  return description;
}

}  // namespace
}  // namespace prevu::api

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using prevu::api::PayloadReader;
  prevu::fuzz::FuzzInput input(data, size);
  std::string path(input.Line());
  std::string body(input.Rest());

  absl::StatusOr<PayloadReader> all = PayloadReader::Parse(body);
  absl::StatusOr<PayloadReader> wanted = PayloadReader::Parse(body, {path});
  FUZZ_CHECK(all.ok() == wanted.ok());
  if (!all.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(all.status()) && !all.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(prevu::api::Describe(&*all, path) == prevu::api::Describe(&*wanted, path));
  for (absl::string_view fixed : prevu::api::kPaths) {
    prevu::api::Describe(&*all, fixed);
  }
  return 0;
}
