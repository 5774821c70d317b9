// The build context tar stream, read back with libarchive.
#include "reconciler/build/build_context.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::reconciler::build {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct TarEntry {
  mode_t type = 0;
  std::string contents;
  std::string link;
};

class BuildContextTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/prevu-context-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteFile(const std::string& relative, const std::string& contents) {
    std::filesystem::path path = std::filesystem::path(dir_) / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << contents;
  }

  // The stream Write produces, as path -> entry.
  std::map<std::string, TarEntry> ReadBack(const BuildContext& context) {
    std::string tar;
    absl::Status status = context.Write([&](absl::string_view piece) {
      tar.append(piece.data(), piece.size());
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return ReadTar(tar);
  }

  // A tar stream as path -> entry.
  static std::map<std::string, TarEntry> ReadTar(const std::string& tar) {
    std::map<std::string, TarEntry> entries;
    archive* reader = archive_read_new();
    archive_read_support_format_tar(reader);
    EXPECT_EQ(archive_read_open_memory(reader, tar.data(), tar.size()), ARCHIVE_OK);
    archive_entry* entry = nullptr;
    while (archive_read_next_header(reader, &entry) == ARCHIVE_OK) {
      std::string path = archive_entry_pathname(entry);
      if (path.back() == '/') {
        path.pop_back();  // how tar writes directories
      }
      TarEntry& out = entries[path];
      out.type = archive_entry_filetype(entry);
      if (archive_entry_symlink(entry) != nullptr) {
        out.link = archive_entry_symlink(entry);
      }
      char buffer[4096];
      la_ssize_t got;
      while ((got = archive_read_data(reader, buffer, sizeof buffer)) > 0) {
        out.contents.append(buffer, got);
      }
      EXPECT_EQ(archive_entry_uid(entry), 0);
    }
    archive_read_free(reader);
    return entries;
  }

  std::string dir_;
};

TEST_F(BuildContextTest, SendsTheTreeWithContentsModesAndLinks) {
  WriteFile("Dockerfile", "FROM scratch\n");
  WriteFile("www/index.html", "hello");
  ASSERT_EQ(chmod((dir_ + "/www/index.html").c_str(), 0640), 0);
  ASSERT_EQ(symlink("/etc/passwd", (dir_ + "/passwd").c_str()), 0);
  ASSERT_EQ(mkfifo((dir_ + "/fifo").c_str(), 0600), 0);

  absl::StatusOr<BuildContext> context = BuildContext::Open(dir_, "Dockerfile");
  ASSERT_TRUE(context.ok()) << context.status();
  std::map<std::string, TarEntry> entries = ReadBack(*context);

  ASSERT_EQ(entries.size(), 4u);  // no fifo
  EXPECT_EQ(entries["Dockerfile"].contents, "FROM scratch\n");
  EXPECT_EQ(entries["www"].type, AE_IFDIR);
  EXPECT_EQ(entries["www/index.html"].contents, "hello");
  // The link is stored as a link: /etc/passwd itself never enters the stream.
  EXPECT_EQ(entries["passwd"].type, AE_IFLNK);
  EXPECT_EQ(entries["passwd"].link, "/etc/passwd");
  EXPECT_EQ(entries["passwd"].contents, "");
}

TEST_F(BuildContextTest, HonoursDockerignoreButAlwaysSendsTheDockerfile) {
  WriteFile("Dockerfile", "FROM scratch\n");
  WriteFile(".dockerignore",
            "# build output\nDockerfile\nnode_modules\n*.log\ndocs\n!docs/keep.md\n");
  WriteFile("node_modules/left-pad/index.js", "x");
  WriteFile("app.log", "x");
  WriteFile("src/app.js", "x");
  WriteFile("docs/drop.md", "x");
  WriteFile("docs/keep.md", "kept");

  absl::StatusOr<BuildContext> context = BuildContext::Open(dir_, "./Dockerfile");
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ(context->dockerfile(), "Dockerfile");
  std::map<std::string, TarEntry> entries = ReadBack(*context);

  std::vector<std::string> paths;
  for (const auto& [path, entry] : entries) {
    paths.push_back(path);
  }
  EXPECT_THAT(paths,
              ElementsAre(".dockerignore", "Dockerfile", "docs/keep.md", "src", "src/app.js"));
  EXPECT_EQ(entries["docs/keep.md"].contents, "kept");
}

TEST_F(BuildContextTest, StreamsLargeFilesInPieces) {
  WriteFile("Dockerfile", "FROM scratch\n");
  WriteFile("big.bin", std::string(1 << 20, 'z'));
  absl::StatusOr<BuildContext> context = BuildContext::Open(dir_, "Dockerfile");
  ASSERT_TRUE(context.ok());

  size_t pieces = 0;
  size_t largest = 0;
  ASSERT_TRUE(context
                  ->Write([&](absl::string_view piece) {
                    ++pieces;
                    largest = std::max(largest, piece.size());
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_GT(pieces, 10u);
  EXPECT_LT(largest, size_t{1} << 20);
  EXPECT_EQ(ReadBack(*context)["big.bin"].contents.size(), size_t{1} << 20);
}

TEST_F(BuildContextTest, AWriterErrorStopsTheStream) {
  WriteFile("Dockerfile", "FROM scratch\n");
  absl::StatusOr<BuildContext> context = BuildContext::Open(dir_, "Dockerfile");
  ASSERT_TRUE(context.ok());
  absl::Status status =
      context->Write([](absl::string_view) { return absl::UnavailableError("connection closed"); });
  EXPECT_EQ(status, absl::UnavailableError("connection closed"));
}

TEST_F(BuildContextTest, RefusesDockerfilesOutsideTheContextOrMissing) {
  WriteFile("Dockerfile", "FROM scratch\n");
  ASSERT_EQ(symlink("/etc/hostname", (dir_ + "/Linked").c_str()), 0);

  EXPECT_THAT(BuildContext::Open(dir_, "../Dockerfile").status().message(),
              HasSubstr("inside the build context"));
  EXPECT_THAT(BuildContext::Open(dir_, "/etc/passwd").status().message(),
              HasSubstr("inside the build context"));
  EXPECT_THAT(BuildContext::Open(dir_, "Missing").status().message(),
              HasSubstr("[build] dockerfile \"Missing\" is not a file"));
  EXPECT_FALSE(BuildContext::Open(dir_, "Linked").ok());
  EXPECT_THAT(BuildContext::Open(dir_ + "/nope", "Dockerfile").status().message(),
              HasSubstr("is not a directory"));
}

TEST_F(BuildContextTest, SingleFileTarHoldsJustThatFile) {
  absl::StatusOr<std::string> tar = SingleFileTar("Dockerfile", "FROM sha256:beef\nLABEL a=b\n");

  ASSERT_TRUE(tar.ok()) << tar.status();
  std::map<std::string, TarEntry> entries = ReadTar(*tar);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries["Dockerfile"].type, AE_IFREG);
  EXPECT_EQ(entries["Dockerfile"].contents, "FROM sha256:beef\nLABEL a=b\n");
}

}  // namespace
}  // namespace prevu::reconciler::build
