// The account key file: made once with mode 0600, reused, refused when others may read it.
#include "proxy/acme/account_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "proxy/acme/jws.h"
#include "proxy/acme/private_file.h"
#include "tests/controller/store/temp_dir.h"

namespace prevu::proxy::acme {
namespace {

class AccountKeyTest : public ::testing::Test {
 protected:
  mode_t Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  controller::store::TempDir temp_;
  std::string dir_ = temp_.path();
  std::string path_ = dir_ + "/acme/account.key";
};

TEST_F(AccountKeyTest, CreatesTheKeyOwnerOnlyInAPrivateDirectory) {
  ::umask(022);  // a usual umask must not widen the file's mode

  absl::StatusOr<EcKey> key = LoadOrCreateAccountKey(path_);

  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(Mode(path_), 0600u);
  EXPECT_EQ(Mode(dir_ + "/acme"), 0700u);
  EXPECT_TRUE(key->SignEs256("x").ok());
}

TEST_F(AccountKeyTest, ReusesTheSameKeyAcrossLoads) {
  absl::StatusOr<EcKey> first = LoadOrCreateAccountKey(path_);
  absl::StatusOr<EcKey> second = LoadOrCreateAccountKey(path_);

  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*JwkThumbprint(first->PublicJwk()), *JwkThumbprint(second->PublicJwk()));
}

TEST_F(AccountKeyTest, RefusesAKeyOthersCanRead) {
  ASSERT_TRUE(LoadOrCreateAccountKey(path_).ok());
  ::chmod(path_.c_str(), 0644);

  absl::StatusOr<EcKey> key = LoadOrCreateAccountKey(path_);

  ASSERT_TRUE(absl::IsFailedPrecondition(key.status())) << key.status();
  EXPECT_NE(key.status().message().find("0644"), absl::string_view::npos);
  EXPECT_NE(key.status().message().find(path_), absl::string_view::npos);
  EXPECT_EQ(Mode(path_), 0644u);  // refused, not silently changed
}

TEST_F(AccountKeyTest, RefusesAFileThatIsNotAP256Key) {
  std::filesystem::create_directories(dir_ + "/acme");
  ASSERT_TRUE(WriteFileAtomically(path_, "not a key", 0600).ok());

  EXPECT_TRUE(absl::IsInvalidArgument(LoadOrCreateAccountKey(path_).status()));
}

}  // namespace
}  // namespace prevu::proxy::acme
