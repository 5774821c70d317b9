// The append-only journal, `<dir>/journal`: a header record naming its sequence number, then one
// spec record per change since the snapshot whose `journal_seq` is that number.
//
// Compaction never makes writers wait for a snapshot: appends move to a new journal,
// `<dir>/journal.new` numbered one higher, a snapshot of everything before it is written, and only
// then is `journal.new` renamed over `journal`. After a crash at any step, the snapshot plus the
// journals numbered at least its `journal_seq`, replayed in order, hold every acknowledged change:
// a record holds the whole spec of its preview, so replaying one the snapshot already holds is
// harmless.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

  // Applies the records of `<dir>/journal.new`, which a compaction cut short by a crash may have
  // left, after those of the journal. Returns its number, or nullopt when it is absent, damaged
  // at its header or already folded into the snapshot.
  static absl::StatusOr<std::optional<int64_t>> ReplayNext(
      const std::string& dir, int64_t journal_seq, const std::function<void(SpecRecord)>& apply);

  // Creates an empty `<dir>/journal.new` numbered `seq`, for appends during a compaction.
  static absl::StatusOr<std::unique_ptr<Journal>> CreateNext(const std::string& dir, int64_t seq);

  // Renames `<dir>/journal.new` over `<dir>/journal`, once a snapshot with its number is durable.
  // An open Journal of that file keeps appending to it.
  static absl::Status PromoteNext(const std::string& dir);

  // Appends already framed records (see frame_reader.h). Durable only after Sync().
  absl::Status Append(absl::string_view frames, int64_t records);
  absl::Status Sync();

  // Replaces this journal's file with an empty one numbered `seq`, after a snapshot with that
  // `journal_seq` is durable.
  absl::Status Restart(int64_t seq);

  int64_t seq() const { return seq_; }
  int64_t bytes() const { return file_->size(); }
  int64_t records() const { return records_; }

 private:
  static absl::StatusOr<std::unique_ptr<Journal>> Create(const std::string& path, int64_t seq);

  Journal(std::string path, int64_t seq, std::unique_ptr<AppendOnlyFile> file, int64_t records)
      : path_(std::move(path)), seq_(seq), file_(std::move(file)), records_(records) {}

  std::string path_;
  int64_t seq_;
  std::unique_ptr<AppendOnlyFile> file_;
  int64_t records_;
};

}  // namespace prevu::controller::store
