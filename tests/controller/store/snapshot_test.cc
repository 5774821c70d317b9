#include "controller/store/snapshot.h"

#include <filesystem>
#include <fstream>
#include <random>

#include "controller/store/file_header.h"
#include "controller/store/frame_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/store/temp_dir.h"

namespace prevu::controller::store {
namespace {

using ::testing::HasSubstr;

SpecRecord Record(int64_t number) {
  PreviewSpec spec;
  spec.head_sha = "sha" + std::to_string(number);
  spec.generation = number;
  spec.created_at = absl::FromUnixSeconds(number);
  spec.updated_at = absl::FromUnixSeconds(number);
  return SpecRecord{PreviewKey{Provider::kGitHub, "acme/shop", number}, spec};
}

std::vector<int64_t> Numbers(const Snapshot& snapshot) {
  std::vector<int64_t> numbers;
  for (const SpecRecord& record : snapshot.records) {
    numbers.push_back(record.key.number);
  }
  return numbers;
}

class SnapshotTest : public ::testing::Test {
 protected:
  // Writes a snapshot of records 1..3 and returns its bytes.
  std::string WriteThree() {
    Snapshot snapshot{5, {Record(1), Record(2), Record(3)}};
    EXPECT_TRUE(snapshot.Write(dir_.path()).ok());
    std::ifstream in(dir_.File("snapshot"), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  void Overwrite(const std::string& bytes) {
    std::ofstream(dir_.File("snapshot"), std::ios::binary | std::ios::trunc) << bytes;
  }

  // Reads the snapshot back, capturing what was logged.
  Snapshot ReadBack(std::string* logged) {
    ::testing::internal::CaptureStderr();
    absl::StatusOr<Snapshot> snapshot = Snapshot::Read(dir_.path());
    *logged = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    return snapshot.ok() ? *std::move(snapshot) : Snapshot{};
  }

  TempDir dir_;
};

TEST_F(SnapshotTest, AMissingSnapshotIsEmptyAndContinuedByJournalOne) {
  std::string logged;
  Snapshot snapshot = ReadBack(&logged);

  EXPECT_EQ(snapshot.journal_seq, 1);
  EXPECT_TRUE(snapshot.records.empty());
  EXPECT_EQ(logged, "");
}

TEST_F(SnapshotTest, RoundTripsRecordsAndJournalSequence) {
  WriteThree();

  std::string logged;
  Snapshot snapshot = ReadBack(&logged);

  EXPECT_EQ(snapshot.journal_seq, 5);
  EXPECT_EQ(Numbers(snapshot), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(snapshot.records[1].spec->head_sha, "sha2");
  EXPECT_FALSE(std::filesystem::exists(dir_.File("snapshot.tmp")));
}

TEST_F(SnapshotTest, ADamagedRecordKeepsThoseBeforeItLogsAndKeepsTheEvidence) {
  std::string bytes = WriteThree();
  bytes[bytes.size() - 10] ^= 0x10;  // inside the last record
  Overwrite(bytes);

  std::string logged;
  Snapshot snapshot = ReadBack(&logged);

  EXPECT_EQ(snapshot.journal_seq, 5);
  EXPECT_EQ(Numbers(snapshot), (std::vector<int64_t>{1, 2}));
  EXPECT_THAT(logged, HasSubstr("snapshot is damaged"));
  EXPECT_THAT(logged, HasSubstr("bad checksum"));
  EXPECT_TRUE(std::filesystem::exists(dir_.File("snapshot.damaged")));
}

// A whole record missing at a frame border: only the header's count can tell.
TEST_F(SnapshotTest, AMissingRecordIsNoticedByTheCount) {
  std::string bytes;
  AppendFrame(EncodeFileHeader(FileHeader{"snapshot", 5, 3}), &bytes);
  for (int64_t number : {1, 2}) {
    AppendFrame(*EncodeSpecRecord(Record(number)), &bytes);
  }
  Overwrite(bytes);

  std::string logged;
  Snapshot snapshot = ReadBack(&logged);

  EXPECT_EQ(Numbers(snapshot), (std::vector<int64_t>{1, 2}));
  EXPECT_THAT(logged, HasSubstr("holds 2 records instead of 3"));
}

TEST_F(SnapshotTest, ADamagedHeaderLosesTheSnapshotButNotTheProcess) {
  std::string bytes = WriteThree();
  bytes[12] ^= 0x01;
  Overwrite(bytes);

  std::string logged;
  Snapshot snapshot = ReadBack(&logged);

  EXPECT_EQ(snapshot.journal_seq, 1);
  EXPECT_TRUE(snapshot.records.empty());
  EXPECT_THAT(logged, HasSubstr("damaged header"));
}

// Whatever the file holds, reading it neither fails nor crashes, and yields only intact records.
TEST_F(SnapshotTest, AnyBytesAtAllAreSurvived) {
  std::mt19937 random(5);
  std::string good = WriteThree();
  for (int round = 0; round < 200; ++round) {
    std::string bytes = good;
    if (round % 2 == 0) {
      bytes.resize(random() % (bytes.size() + 1));
    } else {
      bytes[random() % bytes.size()] ^= static_cast<char>(1 + random() % 255);
    }
    Overwrite(bytes);

    std::string logged;
    Snapshot snapshot = ReadBack(&logged);

    EXPECT_LE(snapshot.records.size(), 3u) << "round " << round;
    for (const SpecRecord& record : snapshot.records) {
      EXPECT_EQ(record.spec->head_sha, "sha" + std::to_string(record.key.number));
    }
  }
}

}  // namespace
}  // namespace prevu::controller::store
