#include "controller/store/durable_desired_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <tuple>

#include "absl/synchronization/notification.h"
#include "controller/base/metrics.h"
#include "controller/store/frame_reader.h"
#include "controller/store/journal.h"
#include "controller/store/snapshot.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/store/temp_dir.h"

namespace prevu::controller::store {
namespace {

using ::testing::HasSubstr;

PreviewKey Key(int64_t number, std::string repo = "acme/shop") {
  return PreviewKey{Provider::kGitHub, std::move(repo), number};
}

SpecUpdate Update(std::string sha = "aaaa", std::string title = "Add cart") {
  return SpecUpdate{"https://github.com/acme/shop.git",
                    std::move(sha),
                    "feature",
                    "main",
                    std::move(title),
                    "alice"};
}

void ExpectSameSpecs(const std::vector<Preview>& want, const std::vector<Preview>& got) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const PreviewSpec& a = want[i].spec;
    const PreviewSpec& b = got[i].spec;
    EXPECT_EQ(got[i].key, want[i].key);
    EXPECT_EQ(std::tie(a.clone_url, a.head_sha, a.head_ref, a.base_ref, a.title, a.author),
              std::tie(b.clone_url, b.head_sha, b.head_ref, b.base_ref, b.title, b.author))
        << want[i].key.ToString();
    EXPECT_EQ(std::tie(a.open, a.generation, a.created_at, a.updated_at),
              std::tie(b.open, b.generation, b.created_at, b.updated_at))
        << want[i].key.ToString();
  }
}

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<DurableDesiredStore> Open(DesiredStoreOptions options = {},
                                            DurableDesiredStore::TestHooks hooks = {}) {
    absl::StatusOr<std::unique_ptr<DurableDesiredStore>> store =
        DurableDesiredStore::Open(dir_.path(), &clock_, options, std::move(hooks));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  int64_t JournalSize() { return std::filesystem::file_size(dir_.File("journal")); }

  TempDir dir_;
  base::FakeClock clock_;
};

// ---- Generation rules ----

enum class Op { kUpsert, kClose, kRedeploy, kForget };

struct Step {
  Op op;
  SpecUpdate update;
  int64_t want_generation;
  bool want_changed;
};

struct GenerationCase {
  std::string name;
  std::vector<Step> steps;
  bool want_present;
  bool want_open;
};

class GenerationTest : public StoreTest, public ::testing::WithParamInterface<GenerationCase> {};

TEST_P(GenerationTest, FollowsTheRules) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  ASSERT_NE(store, nullptr);

  for (size_t i = 0; i < GetParam().steps.size(); ++i) {
    const Step& step = GetParam().steps[i];
    clock_.Advance(absl::Seconds(1));
    absl::StatusOr<WriteResult> result;
    switch (step.op) {
      case Op::kUpsert:
        result = store->Upsert(Key(12), step.update);
        break;
      case Op::kClose:
        result = store->Close(Key(12));
        break;
      case Op::kRedeploy:
        result = store->Redeploy(Key(12));
        break;
      case Op::kForget:
        result = WriteResult{step.want_generation, step.want_changed};
        ASSERT_TRUE(store->Forget(Key(12)).ok());
        break;
    }
    ASSERT_TRUE(result.ok()) << "step " << i << ": " << result.status();
    EXPECT_EQ(result->generation, step.want_generation) << "step " << i;
    EXPECT_EQ(result->changed, step.want_changed) << "step " << i;
  }

  std::optional<Preview> preview = store->Get(Key(12));
  ASSERT_EQ(preview.has_value(), GetParam().want_present);
  if (preview) {
    EXPECT_EQ(preview->spec.generation, GetParam().steps.back().want_generation);
    EXPECT_EQ(preview->spec.open, GetParam().want_open);
  }
}

SpecUpdate WithCloneUrl(std::string url) {
  SpecUpdate update = Update();
  update.clone_url = std::move(url);
  return update;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GenerationTest,
    ::testing::Values(
        GenerationCase{"New", {{Op::kUpsert, Update(), 1, true}}, true, true},
        GenerationCase{"Redelivery",
                       {{Op::kUpsert, Update(), 1, true}, {Op::kUpsert, Update(), 1, false}},
                       true,
                       true},
        GenerationCase{"NewSha",
                       {{Op::kUpsert, Update(), 1, true}, {Op::kUpsert, Update("bbbb"), 2, true}},
                       true,
                       true},
        GenerationCase{"NewTitleOnly",
                       {{Op::kUpsert, Update(), 1, true},
                        {Op::kUpsert, Update("aaaa", "Add basket"), 1, true}},
                       true,
                       true},
        GenerationCase{"NewCloneUrl",
                       {{Op::kUpsert, Update(), 1, true},
                        {Op::kUpsert, WithCloneUrl("https://mirror/shop.git"), 2, true}},
                       true,
                       true},
        GenerationCase{
            "Close", {{Op::kUpsert, Update(), 1, true}, {Op::kClose, {}, 2, true}}, true, false},
        GenerationCase{"CloseTwice",
                       {{Op::kUpsert, Update(), 1, true},
                        {Op::kClose, {}, 2, true},
                        {Op::kClose, {}, 2, false}},
                       true,
                       false},
        GenerationCase{"Reopen",
                       {{Op::kUpsert, Update(), 1, true},
                        {Op::kClose, {}, 2, true},
                        {Op::kUpsert, Update(), 3, true}},
                       true,
                       true},
        GenerationCase{"Redeploy",
                       {{Op::kUpsert, Update(), 1, true},
                        {Op::kRedeploy, {}, 2, true},
                        {Op::kRedeploy, {}, 3, true}},
                       true,
                       true},
        GenerationCase{"Forget",
                       {{Op::kUpsert, Update(), 1, true}, {Op::kForget, {}, 1, true}},
                       false,
                       false}),
    [](const ::testing::TestParamInfo<GenerationCase>& info) { return info.param.name; });

TEST_F(StoreTest, TimesMoveOnlyWithWrittenChanges) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  absl::Time created = clock_.Now();
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());

  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  EXPECT_EQ(store->Get(Key(1))->spec.updated_at, created);

  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(store->Upsert(Key(1), Update("aaaa", "Renamed")).ok());
  Preview preview = *store->Get(Key(1));
  EXPECT_EQ(preview.spec.created_at, created);
  EXPECT_EQ(preview.spec.updated_at, created + absl::Minutes(2));
  EXPECT_EQ(preview.spec.title, "Renamed");
}

TEST_F(StoreTest, UnknownKeysAndClosedRedeploysAreRefusedWithReasons) {
  std::unique_ptr<DurableDesiredStore> store = Open();

  EXPECT_EQ(store->Close(Key(5)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Redeploy(Key(5)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->Forget(Key(5)).ok());
  EXPECT_EQ(store->Upsert(Key(0), Update()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Upsert(Key(1, ""), Update()).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(store->Upsert(Key(5), Update()).ok());
  ASSERT_TRUE(store->Close(Key(5)).ok());
  absl::Status closed = store->Redeploy(Key(5)).status();
  EXPECT_EQ(closed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(closed.message(), HasSubstr("github/acme/shop#5` is closed"));
}

TEST_F(StoreTest, InvalidUtf8IsRefusedAndNothingIsWritten) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  int64_t before = store->journal_bytes_for_testing();

  absl::StatusOr<WriteResult> result = store->Upsert(Key(1), Update("aaaa", "bad \xC3("));

  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(store->Get(Key(1)).has_value());
  EXPECT_EQ(store->journal_bytes_for_testing(), before);
}

TEST_F(StoreTest, UnchangedWritesLeaveTheJournalAlone) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  ASSERT_TRUE(store->Close(Key(1)).ok());
  int64_t before = store->journal_bytes_for_testing();

  ASSERT_TRUE(store->Close(Key(1)).ok());
  ASSERT_TRUE(store->Forget(Key(2)).ok());

  EXPECT_EQ(store->journal_bytes_for_testing(), before);
}

TEST_F(StoreTest, StatusIsKeptAcrossUpsertsButNotAcrossRestarts) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  PreviewStatus status;
  status.phase = Phase::kReady;
  status.url = "http://pr-1-shop.localhost";
  store->SetStatus(Key(1), status);
  store->SetStatus(Key(99), status);

  ASSERT_TRUE(store->Upsert(Key(1), Update("bbbb")).ok());
  EXPECT_EQ(store->Get(Key(1))->status.url, "http://pr-1-shop.localhost");
  EXPECT_FALSE(store->Get(Key(99)).has_value());

  store.reset();
  store = Open();
  EXPECT_EQ(store->Get(Key(1))->status.phase, Phase::kPending);
  EXPECT_EQ(store->Get(Key(1))->spec.head_sha, "bbbb");
}

TEST_F(StoreTest, ListIsOrderedByKey) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  ASSERT_TRUE(store->Upsert(Key(3, "b/b"), Update()).ok());
  ASSERT_TRUE(store->Upsert(Key(2, "a/a"), Update()).ok());
  ASSERT_TRUE(store->Upsert(PreviewKey{Provider::kGitLab, "g/sub/p", 1}, Update()).ok());
  ASSERT_TRUE(store->Upsert(Key(1, "b/b"), Update()).ok());

  std::vector<std::string> keys;
  for (const Preview& preview : store->List()) {
    keys.push_back(preview.key.ToString());
  }

  EXPECT_EQ(keys, (std::vector<std::string>{"github/a/a#2", "github/b/b#1", "github/b/b#3",
                                            "gitlab/g/sub/p#1"}));
}

// ---- Persistence ----

TEST_F(StoreTest, EverySpecFieldSurvivesAReopen) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  ASSERT_TRUE(store->Upsert(Key(1), Update("bbbb", "Title with \"quotes\" and ünïcode")).ok());
  ASSERT_TRUE(store->Upsert(PreviewKey{Provider::kGitLab, "g/sub/p", 7}, Update()).ok());
  ASSERT_TRUE(store->Close(PreviewKey{Provider::kGitLab, "g/sub/p", 7}).ok());
  ASSERT_TRUE(store->Upsert(Key(2), Update()).ok());
  ASSERT_TRUE(store->Forget(Key(2)).ok());
  std::vector<Preview> before = store->List();

  store.reset();
  store = Open();
  std::vector<Preview> after = store->List();

  EXPECT_EQ(after.size(), 2u);
  ExpectSameSpecs(before, after);
}

TEST_F(StoreTest, GenerationsContinueAfterAReopen) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  ASSERT_TRUE(store->Upsert(Key(1), Update("bbbb")).ok());
  store.reset();

  store = Open();
  absl::StatusOr<WriteResult> redelivery = store->Upsert(Key(1), Update("bbbb"));
  absl::StatusOr<WriteResult> push = store->Upsert(Key(1), Update("cccc"));

  EXPECT_FALSE(redelivery->changed);
  EXPECT_EQ(push->generation, 3);
}

// ---- Damaged journals ----

// Writes records 1..3 with a store, damages the journal, and reopens.
class DamagedJournalTest : public StoreTest {
 protected:
  // Leaves the journal without the zeros written ahead of appends, so that offsets and sizes
  // in the log can be checked exactly.
  void WriteThree() {
    std::unique_ptr<DurableDesiredStore> store = Open();
    for (int64_t n = 1; n <= 3; ++n) {
      ASSERT_TRUE(store->Upsert(Key(n), Update()).ok());
      sizes_.push_back(store->journal_bytes_for_testing());
    }
    store.reset();
    std::filesystem::resize_file(dir_.File("journal"), sizes_.back());
  }

  std::string ReadJournal() {
    std::ifstream in(dir_.File("journal"), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  void WriteJournal(const std::string& bytes) {
    std::ofstream out(dir_.File("journal"), std::ios::binary | std::ios::trunc);
    out << bytes;
  }

  // Reopens and returns the numbers of the previews found and what was logged.
  std::vector<int64_t> Reopen(std::string* logged) {
    ::testing::internal::CaptureStderr();
    std::unique_ptr<DurableDesiredStore> store = Open();
    *logged = ::testing::internal::GetCapturedStderr();
    std::vector<int64_t> numbers;
    for (const Preview& preview : store->List()) {
      numbers.push_back(preview.key.number);
    }

    // The store must go on working after the repair.
    EXPECT_TRUE(store->Upsert(Key(9), Update()).ok());
    return numbers;
  }

  std::vector<int64_t> sizes_;  // journal size after each record
};

TEST_F(DamagedJournalTest, ZerosAfterTheLastRecordAreNotDamage) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  ASSERT_TRUE(store->Upsert(Key(2), Update()).ok());
  ASSERT_GT(JournalSize(), store->journal_bytes_for_testing());
  store.reset();

  std::string logged;
  EXPECT_EQ(Reopen(&logged), (std::vector<int64_t>{1, 2}));
  EXPECT_THAT(logged, ::testing::Not(HasSubstr("damaged")));
}

TEST_F(DamagedJournalTest, TruncatedHeaderOfTheLastRecord) {
  WriteThree();
  WriteJournal(ReadJournal().substr(0, sizes_[1] + 5));

  std::string logged;
  EXPECT_EQ(Reopen(&logged), (std::vector<int64_t>{1, 2}));
  EXPECT_THAT(logged, HasSubstr("journal has a damaged tail"));
  EXPECT_THAT(logged, HasSubstr("bytes_dropped=5"));
  EXPECT_THAT(logged, HasSubstr("short header"));
  EXPECT_THAT(logged, HasSubstr("offset=" + std::to_string(sizes_[1])));
}

TEST_F(DamagedJournalTest, TruncatedPayloadOfTheLastRecord) {
  WriteThree();
  WriteJournal(ReadJournal().substr(0, sizes_[2] - 1));

  std::string logged;
  EXPECT_EQ(Reopen(&logged), (std::vector<int64_t>{1, 2}));
  EXPECT_THAT(logged, HasSubstr("short payload"));
  EXPECT_THAT(logged, HasSubstr("bytes_dropped=" + std::to_string(sizes_[2] - 1 - sizes_[1])));
}

TEST_F(DamagedJournalTest, FlippedByteInTheMiddleOfTheLastRecord) {
  WriteThree();
  std::string bytes = ReadJournal();
  bytes[(sizes_[1] + sizes_[2]) / 2] ^= 0x01;
  WriteJournal(bytes);

  std::string logged;
  EXPECT_EQ(Reopen(&logged), (std::vector<int64_t>{1, 2}));
  EXPECT_THAT(logged, HasSubstr("bad checksum"));
}

TEST_F(DamagedJournalTest, GarbageAppended) {
  WriteThree();
  WriteJournal(ReadJournal() + "\x17garbage that is not a frame at all");

  std::string logged;
  EXPECT_EQ(Reopen(&logged), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_THAT(logged, HasSubstr("bytes_dropped=35"));
}

TEST_F(DamagedJournalTest, CorruptRecordInTheMiddleDropsItAndEverythingAfter) {
  WriteThree();
  std::string bytes = ReadJournal();
  bytes[(sizes_[0] + sizes_[1]) / 2] ^= 0x40;
  WriteJournal(bytes);

  std::string logged;
  EXPECT_EQ(Reopen(&logged), (std::vector<int64_t>{1}));
  EXPECT_THAT(logged, HasSubstr("offset=" + std::to_string(sizes_[0])));
  EXPECT_THAT(logged, HasSubstr("bytes_dropped=" + std::to_string(sizes_[2] - sizes_[0])));
}

TEST_F(DamagedJournalTest, TheCutIsMadeOnDisk) {
  WriteThree();
  WriteJournal(ReadJournal().substr(0, sizes_[2] - 3));

  std::string logged;
  Reopen(&logged);
  // Opened again, nothing is damaged: the first repair cut the file and later appends are whole.
  Reopen(&logged);

  EXPECT_THAT(logged, ::testing::Not(HasSubstr("damaged")));
}

TEST_F(DamagedJournalTest, DamagedHeaderStartsAnEmptyJournal) {
  WriteThree();
  std::string bytes = ReadJournal();
  bytes[10] ^= 0x08;
  WriteJournal(bytes);

  std::string logged;
  EXPECT_EQ(Reopen(&logged), (std::vector<int64_t>{}));
  EXPECT_THAT(logged, HasSubstr("journal header is damaged"));
}

// ---- Compaction ----

TEST_F(StoreTest, CompactionFoldsTheJournalIntoASnapshotThatReplaysWithTheNewJournal) {
  DesiredStoreOptions options;
  options.compact_after_records = 10;
  std::unique_ptr<DurableDesiredStore> store = Open(options);
  for (int64_t n = 1; n <= 25; ++n) {
    ASSERT_TRUE(store->Upsert(Key(n), Update()).ok());
  }
  ASSERT_TRUE(store->Upsert(Key(3), Update("bbbb")).ok());
  ASSERT_TRUE(store->Forget(Key(4)).ok());
  ASSERT_TRUE(store->Close(Key(5)).ok());
  store->AwaitCompactionForTesting();
  EXPECT_GE(store->compactions(), 1);
  EXPECT_TRUE(std::filesystem::exists(dir_.File("snapshot")));
  std::vector<Preview> before = store->List();

  store.reset();
  store = Open(options);
  std::vector<Preview> after = store->List();

  EXPECT_EQ(after.size(), 24u);
  ExpectSameSpecs(before, after);
  EXPECT_EQ(store->Get(Key(3))->spec.generation, 2);
  EXPECT_FALSE(store->Get(Key(4)).has_value());
  EXPECT_FALSE(store->Get(Key(5))->spec.open);
}

TEST_F(StoreTest, CompactionByBytesFoldsAwayWhatWasWritten) {
  DesiredStoreOptions options;
  options.compact_after_bytes = 4096;
  std::unique_ptr<DurableDesiredStore> store = Open(options);

  // About 300 bytes a record: past the mark after 14 or so, and well short of a second one.
  for (int64_t n = 1; n <= 20; ++n) {
    ASSERT_TRUE(store->Upsert(Key(n), Update()).ok());
  }
  store->AwaitCompactionForTesting();

  EXPECT_EQ(store->compactions(), 1);
  EXPECT_LT(store->journal_bytes_for_testing(), 4096);
  store.reset();
  store = Open(options);
  EXPECT_EQ(store->List().size(), 20u);
}

TEST_F(StoreTest, AJournalAlreadyInTheSnapshotIsNotReplayedTwice) {
  DesiredStoreOptions options;
  options.compact_after_records = 3;
  std::unique_ptr<DurableDesiredStore> store = Open(options);
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  ASSERT_TRUE(store->Upsert(Key(2), Update()).ok());
  std::filesystem::copy_file(dir_.File("journal"), dir_.File("journal.before"));
  ASSERT_TRUE(store->Forget(Key(1)).ok());  // third record: compaction
  store->AwaitCompactionForTesting();
  ASSERT_EQ(store->compactions(), 1);
  store.reset();

  // A crash between the snapshot's rename and the new journal's leaves the old journal.
  std::filesystem::rename(dir_.File("journal.before"), dir_.File("journal"));
  store = Open(options);

  EXPECT_FALSE(store->Get(Key(1)).has_value());
  EXPECT_TRUE(store->Get(Key(2)).has_value());
}

TEST_F(StoreTest, WritersDoNotWaitForACompaction) {
  absl::Notification in_compaction;
  absl::Notification finish_compaction;
  DurableDesiredStore::TestHooks hooks;
  hooks.before_snapshot = [&] {
    in_compaction.Notify();
    finish_compaction.WaitForNotification();
  };
  DesiredStoreOptions options;
  options.compact_after_records = 5;
  std::unique_ptr<DurableDesiredStore> store = Open(options, hooks);
  for (int64_t n = 1; n <= 5; ++n) {
    ASSERT_TRUE(store->Upsert(Key(n), Update()).ok());
  }
  in_compaction.WaitForNotification();

  // The snapshot is held back; writes go on into journal.new.
  for (int64_t n = 6; n <= 30; ++n) {
    ASSERT_TRUE(store->Upsert(Key(n), Update()).ok());
  }
  EXPECT_TRUE(std::filesystem::exists(dir_.File("journal.new")));
  EXPECT_EQ(store->compactions(), 0);
  finish_compaction.Notify();
  store->AwaitCompactionForTesting();

  EXPECT_EQ(store->compactions(), 1);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("journal.new")));
  store.reset();
  store = Open(options);
  EXPECT_EQ(store->List().size(), 30u);
}

// The files a crash in the middle of a compaction leaves, built with the real writers.
class CutCompactionTest : public StoreTest {
 protected:
  std::string Frames(const std::vector<SpecRecord>& records) {
    std::string frames;
    for (const SpecRecord& record : records) {
      AppendFrame(*EncodeSpecRecord(record), &frames);
    }
    return frames;
  }

  SpecRecord Record(int64_t number, int64_t generation = 1) {
    PreviewSpec spec;
    spec.head_sha = "sha";
    spec.generation = generation;
    return SpecRecord{Key(number), spec};
  }

  void WriteJournal(int64_t seq, const std::vector<SpecRecord>& records) {
    absl::StatusOr<std::unique_ptr<Journal>> journal =
        Journal::Open(dir_.path(), seq, [](SpecRecord) {});
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)->Append(Frames(records), records.size()).ok());
  }

  void WriteNextJournal(int64_t seq, const std::vector<SpecRecord>& records) {
    absl::StatusOr<std::unique_ptr<Journal>> next = Journal::CreateNext(dir_.path(), seq);
    ASSERT_TRUE(next.ok());
    ASSERT_TRUE((*next)->Append(Frames(records), records.size()).ok());
  }

  // Opens twice: the second time nothing may be replayed differently or logged as damaged.
  std::map<int64_t, int64_t> OpenTwice() {
    std::map<int64_t, int64_t> generations;
    for (int i = 0; i < 2; ++i) {
      std::unique_ptr<DurableDesiredStore> store = Open();
      std::map<int64_t, int64_t> seen;
      for (const Preview& preview : store->List()) {
        seen[preview.key.number] = preview.spec.generation;
      }
      EXPECT_TRUE(i == 0 || seen == generations);
      generations = seen;
    }
    EXPECT_FALSE(std::filesystem::exists(dir_.File("journal.new")));
    return generations;
  }
};

TEST_F(CutCompactionTest, BeforeTheSnapshotBothJournalsAreReplayedInOrder) {
  WriteJournal(1, {Record(1), Record(2)});
  SpecRecord forget_one{Key(1), std::nullopt};
  WriteNextJournal(2, {forget_one, Record(2, 2), Record(3)});

  EXPECT_EQ(OpenTwice(), (std::map<int64_t, int64_t>{{2, 2}, {3, 1}}));
}

TEST_F(CutCompactionTest, AfterTheSnapshotTheOldJournalIsDropped) {
  WriteJournal(1, {Record(1), Record(2)});
  WriteNextJournal(2, {Record(3)});
  ASSERT_TRUE((Snapshot{2, {Record(2, 5)}}).Write(dir_.path()).ok());

  // Record 1 is only in the old journal, which the snapshot says it already holds.
  EXPECT_EQ(OpenTwice(), (std::map<int64_t, int64_t>{{2, 5}, {3, 1}}));
}

TEST_F(StoreTest, LeftoverTemporaryFilesAreRemovedAndIgnored) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  store.reset();
  std::ofstream(dir_.File("snapshot.tmp")) << "half a snapshot";
  std::ofstream(dir_.File("journal.tmp")) << "half a journal";
  std::ofstream(dir_.File("journal.new.tmp")) << "half a new journal";

  store = Open();

  EXPECT_TRUE(store->Get(Key(1)).has_value());
  EXPECT_FALSE(std::filesystem::exists(dir_.File("snapshot.tmp")));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("journal.tmp")));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("journal.new.tmp")));
}

// ---- The directory ----

TEST_F(StoreTest, CreatesAMissingDirectoryPrivateToItsUser) {
  std::string nested = dir_.File("a/b/state");

  absl::StatusOr<std::unique_ptr<DesiredStore>> store = OpenDesiredStore(nested, &clock_);

  ASSERT_TRUE(store.ok()) << store.status();
  struct stat st;
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(StoreTest, ADirectoryInUseIsRefused) {
  std::unique_ptr<DurableDesiredStore> store = Open();

  absl::StatusOr<std::unique_ptr<DesiredStore>> second = OpenDesiredStore(dir_.path(), &clock_);

  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("in use by another Prevu process"));
}

TEST_F(StoreTest, AnUncreatableDirectoryGivesAClearError) {
  std::ofstream(dir_.File("file")) << "not a directory";

  absl::StatusOr<std::unique_ptr<DesiredStore>> store =
      OpenDesiredStore(dir_.File("file/state"), &clock_);

  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("cannot create the state directory"));
  EXPECT_THAT(store.status().message(), HasSubstr("[state] dir"));
}

TEST_F(StoreTest, AnUnwritableDirectoryGivesAClearError) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root writes everywhere";
  }
  std::filesystem::create_directory(dir_.File("locked"));
  std::filesystem::permissions(
      dir_.File("locked"), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);

  absl::StatusOr<std::unique_ptr<DesiredStore>> store =
      OpenDesiredStore(dir_.File("locked"), &clock_);

  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("is not writable"));
  std::filesystem::permissions(dir_.File("locked"), std::filesystem::perms::owner_all);
}

// ---- Subscribers ----

TEST_F(StoreTest, SubscribersWakeAfterSpecChangesOnly) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  absl::Mutex mu;
  int wakes = 0;
  std::optional<Preview> seen;
  uint64_t id = store->Subscribe([&] {
    absl::MutexLock lock(&mu);
    ++wakes;
    seen = store->Get(Key(1));
  });

  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                        +[](int* n) { return *n > 0; }, &wakes),
                                    absl::Seconds(30)));
    // The wake-up comes after the change is visible.
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->spec.generation, 1);
  }

  store->Unsubscribe(id);
  int after_unsubscribe;
  {
    absl::MutexLock lock(&mu);
    after_unsubscribe = wakes;
  }
  ASSERT_TRUE(store->Upsert(Key(1), Update("bbbb")).ok());
  store->SetStatus(Key(1), PreviewStatus{});
  store.reset();  // joins the notifier: any pending round would have run by now

  absl::MutexLock lock(&mu);
  EXPECT_EQ(wakes, after_unsubscribe);
}

TEST_F(StoreTest, ASlowSubscriberDoesNotHoldUpWriters) {
  std::unique_ptr<DurableDesiredStore> store = Open();
  absl::Notification release;
  absl::Notification entered;
  uint64_t id = store->Subscribe([&] {
    if (!entered.HasBeenNotified()) {
      entered.Notify();
    }
    release.WaitForNotification();
  });

  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  // The subscriber is blocked; writes must still complete.
  for (int64_t n = 2; n <= 20; ++n) {
    ASSERT_TRUE(store->Upsert(Key(n), Update()).ok());
  }

  EXPECT_EQ(store->List().size(), 20u);
  release.Notify();
  store->Unsubscribe(id);
}

// ---- Concurrency and durability order ----

TEST_F(StoreTest, ManyConcurrentWritersAllLand) {
  DesiredStoreOptions options;
  options.compact_after_records = 150;  // compactions happen while writers queue
  std::unique_ptr<DurableDesiredStore> store = Open(options);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 60;
  std::atomic<int> failures = 0;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Every thread also pushes to one shared key, so its generations are contended.
        if (!store->Upsert(Key(t * 1000 + i + 1), Update()).ok() ||
            !store->Upsert(Key(1, "shared/repo"), Update(std::to_string(t * 1000 + i))).ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }

  store->AwaitCompactionForTesting();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(store->List().size(), kThreads * kPerThread + 1u);
  EXPECT_EQ(store->Get(Key(1, "shared/repo"))->spec.generation, kThreads * kPerThread);
  EXPECT_GT(store->compactions(), 0);
  store.reset();
  store = Open(options);
  EXPECT_EQ(store->List().size(), kThreads * kPerThread + 1u);
  EXPECT_EQ(store->Get(Key(1, "shared/repo"))->spec.generation, kThreads * kPerThread);
}

// A reader during a sync neither waits for it nor sees the write that is not yet durable.
TEST_F(StoreTest, ReadersDoNotWaitForASyncAndDoNotSeeUndurableWrites) {
  absl::Notification in_sync;
  absl::Notification finish_sync;
  DurableDesiredStore::TestHooks hooks;
  std::atomic<bool> hold = false;
  hooks.before_sync = [&] {
    if (hold) {
      in_sync.Notify();
      finish_sync.WaitForNotification();
    }
  };
  std::unique_ptr<DurableDesiredStore> store = Open({}, hooks);
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  hold = true;

  std::thread writer([&] { EXPECT_TRUE(store->Upsert(Key(2), Update()).ok()); });
  in_sync.WaitForNotification();
  std::optional<Preview> during = store->Get(Key(2));
  size_t listed = store->List().size();
  finish_sync.Notify();
  writer.join();

  EXPECT_FALSE(during.has_value());
  EXPECT_EQ(listed, 1u);
  EXPECT_TRUE(store->Get(Key(2)).has_value());
}

// Writers arriving during a sync are committed together by one later sync.
TEST_F(StoreTest, WritersQueuedDuringASyncShareTheNextOne) {
  absl::Notification in_sync;
  absl::Notification finish_sync;
  std::atomic<int> syncs = 0;
  DurableDesiredStore::TestHooks hooks;
  hooks.before_sync = [&] {
    if (++syncs == 1) {
      in_sync.Notify();
      finish_sync.WaitForNotification();
    }
  };
  std::unique_ptr<DurableDesiredStore> store = Open({}, hooks);

  std::thread first([&] { EXPECT_TRUE(store->Upsert(Key(1), Update()).ok()); });
  in_sync.WaitForNotification();
  std::vector<std::thread> queued;
  for (int64_t n = 2; n <= 6; ++n) {
    queued.emplace_back([&, n] { EXPECT_TRUE(store->Upsert(Key(n), Update()).ok()); });
  }
  // Wait until all five are queued behind the held sync before letting it finish.
  while (true) {
    absl::SleepFor(absl::Milliseconds(1));
    if (store->queued_for_testing() == 5) {
      break;
    }
  }
  finish_sync.Notify();
  first.join();
  for (std::thread& thread : queued) {
    thread.join();
  }

  EXPECT_EQ(syncs, 2);
  EXPECT_EQ(store->List().size(), 6u);
}

// The descriptor of `path` in this process, found through /proc.
int FindOpenFile(const std::string& path) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    if (std::filesystem::read_symlink(entry.path(), error) == path) {
      return std::stoi(entry.path().filename().string());
    }
  }
  return -1;
}

// A journal that stops accepting data makes the write fail and every later write be refused:
// after a failed append or sync, what is on disk is unknown.
TEST_F(StoreTest, AFailedSyncIsReportedAndLaterWritesAreRefused) {
  std::atomic<bool> break_journal = false;
  DurableDesiredStore::TestHooks hooks;
  hooks.before_sync = [&] {
    if (break_journal) {
      int fd = FindOpenFile(dir_.File("journal"));
      ASSERT_GE(fd, 0);
      int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
      ASSERT_EQ(::dup2(full, fd), fd);
      ::close(full);
    }
  };
  std::unique_ptr<DurableDesiredStore> store = Open({}, hooks);
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  break_journal = true;

  absl::StatusOr<WriteResult> failed = store->Upsert(Key(2), Update());
  break_journal = false;
  absl::StatusOr<WriteResult> refused = store->Upsert(Key(3), Update());

  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.status().message(), HasSubstr("until Prevu is restarted"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(store->Get(Key(2)).has_value());
  EXPECT_TRUE(store->Get(Key(1)).has_value());
  store.reset();
  store = Open();
  EXPECT_TRUE(store->Get(Key(1)).has_value());
  EXPECT_TRUE(store->Upsert(Key(4), Update()).ok());
}

TEST_F(StoreTest, WriteLatencyIsRecordedWhenARegistryIsGiven) {
  base::MetricsRegistry metrics;
  DesiredStoreOptions options;
  options.metrics = &metrics;
  std::unique_ptr<DurableDesiredStore> store = Open(options);

  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());
  ASSERT_TRUE(store->Upsert(Key(1), Update()).ok());  // unchanged: not a write
  ASSERT_TRUE(store->Close(Key(1)).ok());

  EXPECT_THAT(metrics.Render(), HasSubstr("prevu_store_write_seconds_count 2\n"));
}

}  // namespace
}  // namespace prevu::controller::store
