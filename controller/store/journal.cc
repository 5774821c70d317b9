// The journal: recovery on open, appends, and replacement after a compaction; see journal.h.
#include "controller/store/journal.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "controller/store/file_header.h"
#include "controller/store/frame_reader.h"

namespace prevu::controller::store {
namespace {

std::string HeaderFrame(int64_t seq) {
  std::string frame;
  AppendFrame(EncodeFileHeader(FileHeader{"journal", seq, 0}), &frame);
  return frame;
}

std::optional<int64_t> ParseHeader(absl::string_view payload) {
  std::optional<FileHeader> header = DecodeFileHeader(payload, "journal");
  if (!header) {
    return std::nullopt;
  }
  return header->seq;
}

absl::StatusOr<std::unique_ptr<AppendOnlyFile>> CreateEmpty(const std::string& path, int64_t seq) {
  absl::Status created = ReplaceFileDurably(path, HeaderFrame(seq));
  if (!created.ok()) {
    return created;
  }
  return AppendOnlyFile::Open(path);
}

// Applies the records after the header until the first damaged one; returns where the intact
// part ends, and in `damage` what was wrong after it.
size_t ReplayRecords(FrameReader& reader, const std::function<void(SpecRecord)>& apply,
                     int64_t* records, std::string* damage) {
  size_t valid_end = reader.valid_end();
  while (std::optional<absl::string_view> payload = reader.Next()) {
    absl::StatusOr<SpecRecord> record = DecodeSpecRecord(*payload);
    if (!record.ok()) {
      *damage = absl::StrCat("unparsable record: ", record.status().message());
      return valid_end;
    }
    apply(*std::move(record));
    ++*records;
    valid_end = reader.valid_end();
  }
  *damage = std::string(reader.damage());
  return valid_end;
}

struct Replayed {
  std::optional<int64_t> seq;  // nullopt: absent, damaged at its header, or already folded in
  int64_t records = 0;
  size_t valid_end = 0;
  size_t size = 0;
};

// Applies the records of the journal file at `path` if it continues the snapshot with
// `journal_seq`, logging whatever it has to leave out.
absl::StatusOr<Replayed> Replay(const std::string& path, int64_t journal_seq,
                                const std::function<void(SpecRecord)>& apply) {
  absl::StatusOr<std::optional<std::string>> contents = ReadFileIfExists(path);
  if (!contents.ok()) {
    return contents.status();
  }
  Replayed replayed;
  if (!*contents) {
    return replayed;
  }
  replayed.size = (*contents)->size();

  // Decide whether the file continues the snapshot at all.
  FrameReader reader(**contents);
  std::optional<absl::string_view> header = reader.Next();
  std::optional<int64_t> seq = header ? ParseHeader(*header) : std::nullopt;
  if (!seq) {
    log::Warn("journal header is damaged; dropping the file")
        .With("path", path)
        .With("bytes_dropped", replayed.size);
    return replayed;
  }
  if (*seq < journal_seq) {
    log::Info("journal was already folded into the snapshot; dropping it")
        .With("path", path)
        .With("journal_seq", *seq)
        .With("snapshot_journal_seq", journal_seq);
    return replayed;
  }
  if (*seq > journal_seq) {
    log::Warn("journal is newer than the snapshot; replaying it anyway")
        .With("path", path)
        .With("journal_seq", *seq)
        .With("snapshot_journal_seq", journal_seq);
  }

  replayed.seq = seq;
  std::string damage;
  replayed.valid_end = ReplayRecords(reader, apply, &replayed.records, &damage);
  absl::string_view tail = absl::string_view(**contents).substr(replayed.valid_end);
  bool preallocated = tail.find_first_not_of('\0') == absl::string_view::npos;
  if (!preallocated) {
    log::Warn("journal has a damaged tail; dropping it")
        .With("path", path)
        .With("offset", replayed.valid_end)
        .With("bytes_dropped", replayed.size - replayed.valid_end)
        .With("reason", damage)
        .With("records_kept", replayed.records);
  }
  return replayed;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(
    const std::string& dir, int64_t journal_seq, const std::function<void(SpecRecord)>& apply) {
  std::string path = absl::StrCat(dir, "/journal");
  absl::StatusOr<Replayed> replayed = Replay(path, journal_seq, apply);
  if (!replayed.ok()) {
    return replayed.status();
  }
  if (!replayed->seq) {
    return Create(path, journal_seq);
  }

  // Appends continue after the last intact record, so what follows it must go, be it damage or
  // zeros written ahead of appends.
  if (replayed->valid_end < replayed->size) {
    absl::Status cut = TruncateFile(path, static_cast<int64_t>(replayed->valid_end));
    if (!cut.ok()) {
      return cut;
    }
  }
  absl::StatusOr<std::unique_ptr<AppendOnlyFile>> file = AppendOnlyFile::Open(path);
  if (!file.ok()) {
    return file.status();
  }
  return std::unique_ptr<Journal>(
      new Journal(path, *replayed->seq, *std::move(file), replayed->records));
}

absl::StatusOr<std::optional<int64_t>> Journal::ReplayNext(
    const std::string& dir, int64_t journal_seq, const std::function<void(SpecRecord)>& apply) {
  absl::StatusOr<Replayed> replayed = Replay(absl::StrCat(dir, "/journal.new"), journal_seq, apply);
  if (!replayed.ok()) {
    return replayed.status();
  }
  return replayed->seq;
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::CreateNext(const std::string& dir, int64_t seq) {
  return Create(absl::StrCat(dir, "/journal.new"), seq);
}

absl::Status Journal::PromoteNext(const std::string& dir) {
  return RenameDurably(absl::StrCat(dir, "/journal.new"), absl::StrCat(dir, "/journal"));
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Create(const std::string& path, int64_t seq) {
  absl::StatusOr<std::unique_ptr<AppendOnlyFile>> file = CreateEmpty(path, seq);
  if (!file.ok()) {
    return file.status();
  }
  return std::unique_ptr<Journal>(new Journal(path, seq, *std::move(file), 0));
}

absl::Status Journal::Append(absl::string_view frames, int64_t records) {
  absl::Status status = file_->Append(frames);
  if (status.ok()) {
    records_ += records;
  }
  return status;
}

absl::Status Journal::Sync() { return file_->Sync(); }

absl::Status Journal::Restart(int64_t seq) {
  absl::StatusOr<std::unique_ptr<AppendOnlyFile>> file = CreateEmpty(path_, seq);
  if (!file.ok()) {
    return file.status();
  }
  file_ = *std::move(file);
  seq_ = seq;
  records_ = 0;
  return absl::OkStatus();
}

}  // namespace prevu::controller::store
