// Reading `.prevu.toml` and the build context directory from a fetched tree.
#include "reconciler/build/tree_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::reconciler::build {
namespace {

using ::testing::HasSubstr;

class TreeConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/prevu-tree-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    tree_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(tree_); }

  std::string tree_;
};

TEST_F(TreeConfigTest, AMissingFileMeansDefaults) {
  absl::StatusOr<controller::RepoConfig> config = LoadTreeConfig(tree_);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->build.dockerfile, "Dockerfile");
  EXPECT_EQ(config->run.port, 8080);
}

TEST_F(TreeConfigTest, ReadsTheFile) {
  std::ofstream(tree_ + "/.prevu.toml") << "version = 1\n[run]\nport = 3000\n";
  absl::StatusOr<controller::RepoConfig> config = LoadTreeConfig(tree_);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->run.port, 3000);
}

TEST_F(TreeConfigTest, AnInvalidFileGivesLineAndColumn) {
  std::ofstream(tree_ + "/.prevu.toml") << "version = 1\n[run]\nport = \"eighty\"\n";
  absl::StatusOr<controller::RepoConfig> config = LoadTreeConfig(tree_);
  EXPECT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr(".prevu.toml:3:"));
}

TEST_F(TreeConfigTest, ALinkIsNotFollowed) {
  ASSERT_EQ(symlink("/etc/passwd", (tree_ + "/.prevu.toml").c_str()), 0);
  absl::StatusOr<controller::RepoConfig> config = LoadTreeConfig(tree_);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(config.status().message(), HasSubstr("not a link"));
}

TEST_F(TreeConfigTest, TheContextMustStayInsideTheTree) {
  std::filesystem::create_directory(tree_ + "/web");
  ASSERT_EQ(symlink("/etc", (tree_ + "/escape").c_str()), 0);
  controller::BuildSettings build;

  build.context = ".";
  EXPECT_EQ(*ContextDir(tree_, build), std::filesystem::canonical(tree_).string());
  build.context = "web";
  EXPECT_EQ(*ContextDir(tree_, build), std::filesystem::canonical(tree_ + "/web").string());
  for (const char* outside : {"..", "escape", "missing", "web/../.."}) {
    build.context = outside;
    EXPECT_THAT(ContextDir(tree_, build).status().message(), HasSubstr("inside the repository"))
        << outside;
  }
}

}  // namespace
}  // namespace prevu::reconciler::build
