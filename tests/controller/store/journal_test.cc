#include "controller/store/journal.h"

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

std::string Frame(int64_t number) {
  PreviewSpec spec;
  spec.generation = 1;
  std::string frame;
  AppendFrame(*EncodeSpecRecord(SpecRecord{PreviewKey{Provider::kGitHub, "a/b", number}, spec}),
              &frame);
  return frame;
}

class JournalTest : public ::testing::Test {
 protected:
  // Opens the journal continuing `seq`, returning the numbers replayed and what was logged.
  std::vector<int64_t> Open(int64_t seq, std::string* logged = nullptr) {
    std::vector<int64_t> numbers;
    ::testing::internal::CaptureStderr();
    absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(
        dir_.path(), seq, [&](SpecRecord record) { numbers.push_back(record.key.number); });
    std::string captured = ::testing::internal::GetCapturedStderr();
    if (logged != nullptr) {
      *logged = captured;
    }
    EXPECT_TRUE(journal.ok()) << journal.status();
    journal_ = journal.ok() ? *std::move(journal) : nullptr;
    return numbers;
  }

  void WriteFile(const std::string& bytes) {
    std::ofstream(dir_.File("journal"), std::ios::binary | std::ios::trunc) << bytes;
  }

  std::string Header(int64_t seq) {
    std::string frame;
    AppendFrame(EncodeFileHeader(FileHeader{"journal", seq, 0}), &frame);
    return frame;
  }

  TempDir dir_;
  std::unique_ptr<Journal> journal_;
};

TEST_F(JournalTest, ReplaysAppendedRecordsInOrder) {
  EXPECT_TRUE(Open(1).empty());
  ASSERT_TRUE(journal_->Append(Frame(3) + Frame(1), 2).ok());
  ASSERT_TRUE(journal_->Append(Frame(2), 1).ok());
  ASSERT_TRUE(journal_->Sync().ok());
  EXPECT_EQ(journal_->records(), 3);

  EXPECT_EQ(Open(1), (std::vector<int64_t>{3, 1, 2}));
  EXPECT_EQ(journal_->records(), 3);
  EXPECT_EQ(journal_->seq(), 1);
}

TEST_F(JournalTest, RestartLeavesAnEmptyJournalWithTheNewNumber) {
  Open(1);
  ASSERT_TRUE(journal_->Append(Frame(1), 1).ok());

  ASSERT_TRUE(journal_->Restart(2).ok());

  EXPECT_EQ(journal_->records(), 0);
  EXPECT_TRUE(Open(2).empty());
  EXPECT_EQ(journal_->seq(), 2);
}

TEST_F(JournalTest, AnOlderJournalIsAlreadyInTheSnapshot) {
  WriteFile(Header(3) + Frame(1));

  std::string logged;
  EXPECT_TRUE(Open(4, &logged).empty());

  EXPECT_THAT(logged, HasSubstr("already folded into the snapshot"));
  EXPECT_EQ(journal_->seq(), 4);
}

TEST_F(JournalTest, ANewerJournalIsReplayedWithAWarning) {
  WriteFile(Header(7) + Frame(1));

  std::string logged;
  EXPECT_EQ(Open(1, &logged), (std::vector<int64_t>{1}));

  EXPECT_THAT(logged, HasSubstr("newer than the snapshot"));
  EXPECT_EQ(journal_->seq(), 7);
}

TEST_F(JournalTest, AnUnparsableRecordEndsTheReplay) {
  std::string bad;
  AppendFrame("{\"this is\": \"not a record\"}", &bad);
  WriteFile(Header(1) + Frame(1) + bad + Frame(2));

  std::string logged;
  EXPECT_EQ(Open(1, &logged), (std::vector<int64_t>{1}));

  EXPECT_THAT(logged, HasSubstr("unparsable record"));
  EXPECT_EQ(journal_->bytes(), static_cast<int64_t>((Header(1) + Frame(1)).size()));
}

// Whatever a file holds, opening it succeeds, and what is left after the repair is intact.
TEST_F(JournalTest, AnyBytesAtAllAreSurvived) {
  std::mt19937 random(99);
  std::string good = Header(1) + Frame(1) + Frame(2);
  for (int round = 0; round < 300; ++round) {
    std::string bytes = good;
    switch (round % 3) {
      case 0:
        bytes.resize(random() % (bytes.size() + 1));
        break;
      case 1:
        bytes[random() % bytes.size()] ^= static_cast<char>(1 + random() % 255);
        break;
      case 2:
        for (size_t i = 0; i < bytes.size(); ++i) {
          bytes[i] = static_cast<char>(random());
        }
        break;
    }
    WriteFile(bytes);

    Open(1);
    ASSERT_NE(journal_, nullptr);
    std::string logged;
    std::vector<int64_t> again = Open(1, &logged);
    EXPECT_THAT(logged, ::testing::Not(HasSubstr("damaged"))) << "round " << round;
    EXPECT_LE(again.size(), 2u);
  }
}

}  // namespace
}  // namespace prevu::controller::store
