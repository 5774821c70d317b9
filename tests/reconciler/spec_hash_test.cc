// Tests of the spec hash: stable, and sensitive to everything a container is built from.
#include "reconciler/spec_hash.h"

#include "gtest/gtest.h"

namespace prevu::reconciler {
namespace {

struct Inputs {
  controller::PreviewKey key{controller::Provider::kGitHub, "acme/shop", 12};
  controller::PreviewSpec spec;
  controller::ResourceLimits limits;

  Inputs() {
    spec.clone_url = "https://example.com/acme/shop.git";
    spec.head_sha = "0123456789abcdef0123456789abcdef01234567";
    spec.generation = 3;
  }
  std::string Hash() const { return SpecHash(key, spec, limits); }
};

TEST(SpecHashTest, IsSixteenHexDigitsAndStable) {
  Inputs in;

  EXPECT_EQ(in.Hash().size(), 16u);
  EXPECT_EQ(in.Hash().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(in.Hash(), Inputs().Hash());
}

TEST(SpecHashTest, ChangesWithEverythingAContainerIsBuiltAndRunFrom) {
  std::string base = Inputs().Hash();
  Inputs sha, url, generation, memory, cpus, number;
  sha.spec.head_sha = "fedcba";
  url.spec.clone_url = "file:///srv/shop.git";
  generation.spec.generation = 4;
  memory.limits.default_memory_bytes += 1;
  cpus.limits.max_cpus = 1.5;
  number.key.number = 13;

  for (const Inputs* changed : {&sha, &url, &generation, &memory, &cpus, &number}) {
    EXPECT_NE(changed->Hash(), base);
  }
}

TEST(SpecHashTest, IgnoresTitleAndAuthor) {
  Inputs in;
  in.spec.title = "A new title";
  in.spec.author = "someone";

  EXPECT_EQ(in.Hash(), Inputs().Hash());
}

}  // namespace
}  // namespace prevu::reconciler
