// The append-only journal, `<dir>/journal`: a header record naming its sequence number, then one
// spec record per change since the snapshot whose `journal_seq` is that number. A new journal
// replaces the old one only after a snapshot covering it is durable, so after any crash the
// snapshot plus the journal holds every acknowledged change.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/store/append_only_file.h"
#include "controller/store/spec_record.h"

namespace prevu::controller::store {

class Journal {
 public:
  // Opens the journal in `dir` that continues the snapshot with `journal_seq`, calling `apply`
  // for each intact record in order. A damaged tail (torn, bad checksum, unparsable) is logged
  // with its offset and size, cut off, and every record before it is applied. A journal older
  // than the snapshot is one that a compaction had already folded in; it is replaced by an empty
  // one. Errors only when the file cannot be read, cut or created.
  static absl::StatusOr<std::unique_ptr<Journal>> Open(
      const std::string& dir, int64_t journal_seq, const std::function<void(SpecRecord)>& apply);

  // Appends already framed records (see frame_reader.h). Durable only after Sync().
  absl::Status Append(absl::string_view frames, int64_t records);
  absl::Status Sync();

  // Replaces the journal with an empty one numbered `seq`, after a snapshot with that
  // `journal_seq` is durable.
  absl::Status Restart(int64_t seq);

  int64_t seq() const { return seq_; }
  int64_t bytes() const { return file_->size(); }
  int64_t records() const { return records_; }

 private:
  Journal(std::string path, int64_t seq, std::unique_ptr<AppendOnlyFile> file, int64_t records)
      : path_(std::move(path)), seq_(seq), file_(std::move(file)), records_(records) {}

  std::string path_;
  int64_t seq_;
  std::unique_ptr<AppendOnlyFile> file_;
  int64_t records_;
};

}  // namespace prevu::controller::store
