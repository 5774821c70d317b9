#include "controller/store/append_only_file.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/controller/store/temp_dir.h"

namespace prevu::controller::store {
namespace {

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(AppendOnlyFileTest, AppendsAfterTheExistingContentAndZerosAhead) {
  TempDir dir;
  std::string path = dir.File("f");
  ASSERT_TRUE(ReplaceFileDurably(path, "head").ok());
  absl::StatusOr<std::unique_ptr<AppendOnlyFile>> file = AppendOnlyFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();

  ASSERT_TRUE((*file)->Append("one").ok());
  ASSERT_TRUE((*file)->Append(std::string(300'000, 'x')).ok());  // past the first extension
  ASSERT_TRUE((*file)->Append("two").ok());
  ASSERT_TRUE((*file)->Sync().ok());

  std::string contents = Contents(path);
  int64_t end = 4 + 3 + 300'000 + 3;
  EXPECT_EQ((*file)->size(), end);
  ASSERT_GE(static_cast<int64_t>(contents.size()), end);
  EXPECT_EQ(contents.substr(0, 7), "headone");
  EXPECT_EQ(contents.substr(end - 3, 3), "two");
  EXPECT_EQ(contents.find_first_not_of('\0', end), std::string::npos);
}

TEST(AppendOnlyFileTest, ReplaceLeavesOnlyTheNewContent) {
  TempDir dir;
  std::string path = dir.File("f");
  ASSERT_TRUE(ReplaceFileDurably(path, "old content").ok());

  ASSERT_TRUE(ReplaceFileDurably(path, "new").ok());

  EXPECT_EQ(Contents(path), "new");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(AppendOnlyFileTest, MissingFilesAreNotErrorsWhereTheyNeedNotExist) {
  TempDir dir;

  absl::StatusOr<std::optional<std::string>> read = ReadFileIfExists(dir.File("none"));

  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
  EXPECT_TRUE(RemoveIfExists(dir.File("none")).ok());
  EXPECT_EQ(AppendOnlyFile::Open(dir.File("none")).status().code(), absl::StatusCode::kNotFound);
}

TEST(AppendOnlyFileTest, TruncateCutsTheFile) {
  TempDir dir;
  std::string path = dir.File("f");
  ASSERT_TRUE(ReplaceFileDurably(path, "keep this, not this").ok());

  ASSERT_TRUE(TruncateFile(path, 9).ok());

  EXPECT_EQ(Contents(path), "keep this");
}

}  // namespace
}  // namespace prevu::controller::store
