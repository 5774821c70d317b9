// Reading and writing the snapshot; see snapshot.h.
#include "controller/store/snapshot.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "controller/store/append_only_file.h"
#include "controller/store/file_header.h"
#include "controller/store/frame_reader.h"

namespace prevu::controller::store {
namespace {

// Reads the records after the header; returns what was wrong if the file is not whole.
std::string ReadRecords(FrameReader& reader, int64_t expected, std::vector<SpecRecord>* records) {
  while (std::optional<absl::string_view> payload = reader.Next()) {
    absl::StatusOr<SpecRecord> record = DecodeSpecRecord(*payload);
    if (!record.ok() || !record->spec) {
      return absl::StrCat("unparsable record at offset ", reader.frame_start());
    }
    records->push_back(*std::move(record));
  }
  if (!reader.damage().empty()) {
    return absl::StrCat(reader.damage(), " at offset ", reader.valid_end());
  }
  if (static_cast<int64_t>(records->size()) != expected) {
    return absl::StrCat("holds ", records->size(), " records instead of ", expected);
  }
  return "";
}

}  // namespace

absl::StatusOr<Snapshot> Snapshot::Read(const std::string& dir) {
  std::string path = absl::StrCat(dir, "/snapshot");
  absl::StatusOr<std::optional<std::string>> contents = ReadFileIfExists(path);
  if (!contents.ok()) {
    return contents.status();
  }
  Snapshot snapshot;
  if (!*contents) {
    return snapshot;
  }

  FrameReader reader(**contents);
  std::optional<absl::string_view> first = reader.Next();
  std::optional<FileHeader> header = first ? DecodeFileHeader(*first, "snapshot") : std::nullopt;
  std::string damage = "damaged header";
  if (header) {
    snapshot.journal_seq = header->seq;
    damage = ReadRecords(reader, header->count, &snapshot.records);
  }
  if (damage.empty()) {
    return snapshot;
  }

  // Keep the evidence: the next compaction would overwrite it.
  log::Error("snapshot is damaged; previews missing from it are lost")
      .With("path", path)
      .With("reason", damage)
      .With("records_kept", snapshot.records.size())
      .With("kept_as", absl::StrCat(path, ".damaged"));
  absl::Status kept = ReplaceFileDurably(absl::StrCat(path, ".damaged"), **contents);
  if (!kept.ok()) {
    return kept;
  }
  return snapshot;
}

absl::Status Snapshot::Write(const std::string& dir) const {
  std::string contents;
  AppendFrame(
      EncodeFileHeader(FileHeader{"snapshot", journal_seq, static_cast<int64_t>(records.size())}),
      &contents);
  for (const SpecRecord& record : records) {
    absl::StatusOr<std::string> payload = EncodeSpecRecord(record);
    if (!payload.ok()) {
      return payload.status();
    }
    AppendFrame(*payload, &contents);
  }
  return ReplaceFileDurably(absl::StrCat(dir, "/snapshot"), contents);
}

}  // namespace prevu::controller::store
