// Table-driven tests of the pure diff: each case is a small world (desired previews, the loop's
// memory, what Docker lists) and the exact plan the diff must produce for it.
#include "reconciler/diff.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::reconciler {
namespace {

using controller::Phase;
using controller::Preview;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

// The world a case describes. Preview i has key "github/acme/shop#<i+1>".
struct World {
  std::vector<Preview> previews;
  std::vector<std::string> hashes;
  std::vector<PreviewMemory> memories;
  std::vector<absl::Duration> ttls;
  std::optional<ActualState> actual = ActualState{};

  std::string Key(size_t i) const { return previews[i].key.ToString(); }

  // Adds an open preview whose current spec hash is `hash`, updated an hour ago.
  Preview& AddPreview(const std::string& hash) {
    Preview& p = previews.emplace_back();
    p.key.repo = "acme/shop";
    p.key.number = static_cast<int64_t>(previews.size());
    p.spec.generation = 1;
    p.spec.updated_at = kNow - absl::Hours(1);
    hashes.push_back(hash);
    memories.emplace_back();
    ttls.push_back(absl::Hours(24 * 7));
    return p;
  }

  // Marks preview i as serving container `id` in both memory and status.
  void MarkReady(size_t i, const std::string& id) {
    memories[i].ready_container = id;
    previews[i].status.phase = Phase::kReady;
    previews[i].status.container_id = id;
    previews[i].status.observed_generation = previews[i].spec.generation;
  }

  ActualContainer& AddContainer(const std::string& id, const std::string& key,
                                const std::string& hash, bool running) {
    ActualContainer& c = actual->containers.emplace_back();
    c.id = id;
    c.key = key;
    c.spec_hash = hash;
    c.image_id = "img-" + hash;
    c.running = running;
    c.exit_code = running ? 0 : 1;
    c.started_at = kNow - absl::Minutes(1);
    c.upstream_host = "127.0.0.1";
    c.upstream_port = 30000 + static_cast<uint16_t>(actual->containers.size());
    return c;
  }

  // Container `index` exited with `exit_code`.
  void Kill(size_t index, int exit_code = 1) {
    actual->containers[index].running = false;
    actual->containers[index].exit_code = exit_code;
  }

  void AddNetwork(const std::string& id, const std::string& key) {
    actual->networks.push_back(ActualNetwork{id, "prevu-" + id, key});
  }

  void AddImage(const std::string& hash, const std::string& key) {
    actual->images.push_back(ActualImage{"img-" + hash, {}, key, hash});
  }

  // A running, ready container "c<i+1>" of the current hash, with its network and image.
  void AddServing(size_t i) {
    std::string id = absl::StrCat("c", i + 1);
    AddContainer(id, Key(i), hashes[i], true);
    AddNetwork(absl::StrCat("n", i + 1), Key(i));
    AddImage(hashes[i], Key(i));
    MarkReady(i, id);
  }

  Plan Run() {
    std::vector<DesiredPreview> desired;
    keys.clear();
    hash_ids.clear();
    for (size_t i = 0; i < previews.size(); ++i) {
      keys.push_back(Key(i));
      hash_ids.push_back(hashes[i]);
    }
    for (size_t i = 0; i < previews.size(); ++i) {
      desired.push_back(
          DesiredPreview{&previews[i], &keys[i], &hash_ids[i], ttls[i], &memories[i]});
    }
    return Diff(desired, actual ? &*actual : nullptr, kNow);
  }

  // What the diff's input points into.
  std::vector<CompactId> keys;
  std::vector<CompactId> hash_ids;
};

std::string Render(const Action& a) {
  std::string text = absl::StrCat(ActionTypeName(a.type), " ",
                                  a.preview == kNoPreview ? "-" : absl::StrCat(a.preview));
  for (const std::string* field : {&a.id, &a.spec_hash}) {
    if (!field->empty()) {
      absl::StrAppend(&text, " ", *field);
    }
  }
  if (!a.image_id.empty()) {
    absl::StrAppend(&text, " image=", a.image_id);
  }
  if (a.restart) {
    absl::StrAppend(&text, " restart");
  }
  if (a.exit_code >= 0) {
    absl::StrAppend(&text, " exit=", a.exit_code);
  }
  if (a.retry_at != absl::InfinitePast()) {
    absl::StrAppend(&text, " retry_in=", absl::FormatDuration(a.retry_at - kNow));
  }
  if (a.expired) {
    absl::StrAppend(&text, " expired");
  }
  return text;
}

// "0 -> c1:30001", or "0 -> pending" when not ready.
std::string Render(const RouteTarget& r) {
  if (!r.ready) {
    return absl::StrCat(r.preview, " -> pending");
  }
  return absl::StrCat(r.preview, " -> ", r.container_id->str(), ":", r.upstream_port);
}

struct Case {
  std::string name;
  std::function<void(World&)> setup;
  std::vector<std::string> actions;
  std::vector<std::string> routes;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> Cases() {
  return {
      // --- Creating and adopting.
      {"NewPreviewDeploys",
       [](World& w) { w.AddPreview("h1"); },
       {"deploy 0 h1"},
       {"0 -> pending"}},
      {"RestartAdoptsRunningContainerOfSameHash",
       [](World& w) {
         w.AddPreview("h1");
         w.AddContainer("c1", w.Key(0), "h1", true);
         w.AddNetwork("n1", w.Key(0));
         w.AddImage("h1", w.Key(0));
       },
       {"adopt 0 c1"},
       {"0 -> c1:30001"}},
      {"SteadyStateDoesNothing",
       [](World& w) {
         w.AddPreview("h1");
         w.AddServing(0);
       },
       {},
       {"0 -> c1:30001"}},
      {"StatusOfOlderGenerationIsRefreshed",
       [](World& w) {
         w.AddPreview("h1");
         w.AddServing(0);
         w.previews[0].spec.generation = 2;
       },
       {"adopt 0 c1"},
       {"0 -> c1:30001"}},
      {"ContainerWithoutPublishedPortIsNotRoutable",
       [](World& w) {
         w.AddPreview("h1");
         w.AddServing(0);
         w.actual->containers[0].upstream_port = 0;
       },
       {},
       {"0 -> pending"}},

      // --- New head SHA: rebuild while the old container serves, then replace.
      {"NewHeadShaRebuildsWhileOldServes",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h2";
       },
       {"deploy 0 h2"},
       {"0 -> c1:30001"}},
      {"JobInFlightLeavesOldServing",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h2";
         w.memories[0].job_hash = "h2";
       },
       {},
       {"0 -> c1:30001"}},
      {"NewContainerNotYetHealthyIsNeitherAdoptedNorRemoved",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h2";
         w.memories[0].job_hash = "h2";
         w.AddContainer("c2", w.Key(0), "h2", true);
         w.AddImage("h2", w.Key(0));
       },
       {},
       {"0 -> c1:30001"}},
      {"ReadyReplacementRemovesOldContainerAndImage",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h2";
         w.AddContainer("c2", w.Key(0), "h2", true);
         w.AddImage("h2", w.Key(0));
         w.MarkReady(0, "c2");
       },
       {"remove_container 0 c1", "remove_image 0 img-h1"},
       {"0 -> c2:30002"}},
      {"OvertakenJobIsCancelledAndNothingNewStarts",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h3";
         w.memories[0].job_hash = "h2";
       },
       {"cancel 0 h2"},
       {"0 -> c1:30001"}},
      {"FailedBuildOfNewShaKeepsOldServing",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h2";
         w.memories[0].failed_hash = "h2";
       },
       {},
       {"0 -> c1:30001"}},
      {"NewestOldContainerServesDuringReplacement",
       [](World& w) {
         w.AddPreview("h3");
         w.AddContainer("c1", w.Key(0), "h1", true);
         w.AddContainer("c2", w.Key(0), "h2", true).started_at = kNow - absl::Seconds(5);
         w.AddNetwork("n1", w.Key(0));
         w.memories[0].job_hash = "h3";
       },
       {},
       {"0 -> c2:30002"}},
      // --- A failed fetch is tried again after its back-off.
      {"FetchBackOffWaits",
       [](World& w) {
         w.AddPreview("h1");
         w.memories[0].retry_hash = "h1";
         w.memories[0].job_failures = 2;
         w.memories[0].job_retry_at = kNow + absl::Seconds(4);
       },
       {},
       {"0 -> pending"}},
      {"FetchBackOffEndedDeploysAgain",
       [](World& w) {
         w.AddPreview("h1");
         w.memories[0].retry_hash = "h1";
         w.memories[0].job_failures = 2;
         w.memories[0].job_retry_at = kNow - absl::Seconds(1);
       },
       {"deploy 0 h1"},
       {"0 -> pending"}},
      {"FetchBackOffOfOlderHashDoesNotDelayNewPush",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h3";
         w.memories[0].retry_hash = "h2";
         w.memories[0].job_failures = 3;
         w.memories[0].job_retry_at = kNow + absl::Seconds(30);
       },
       {"deploy 0 h3"},
       {"0 -> c1:30001"}},
      {"FetchBackOffKeepsOldServing",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h2";
         w.memories[0].retry_hash = "h2";
         w.memories[0].job_failures = 1;
         w.memories[0].job_retry_at = kNow + absl::Seconds(2);
       },
       {},
       {"0 -> c1:30001"}},
      {"NetworkRepairWaitsForFetchBackOff",
       [](World& w) {
         w.AddPreview("h2");
         w.AddContainer("c1", w.Key(0), "h1", true);
         w.memories[0].retry_hash = "h2";
         w.memories[0].job_failures = 1;
         w.memories[0].job_retry_at = kNow + absl::Seconds(2);
       },
       {"ensure_network 0", "remove_container 0 c1"},
       {"0 -> pending"}},
      {"StoppedContainersWaitWhileJobRuns",  // they may be the builder's own
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h2";
         w.memories[0].job_hash = "h2";
         w.AddContainer("c0", w.Key(0), "h0", false);
       },
       {},
       {"0 -> c1:30001"}},
      {"DeadOldContainerIsRemovedWhenNoJobRuns",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.AddContainer("c0", w.Key(0), "h0", false);
       },
       {"remove_container 0 c0"},
       {"0 -> c1:30001"}},
      {"StaleImageNotUsedByServingContainerIsRemoved",
       [](World& w) {
         w.AddServing((w.AddPreview("h2"), 0));
         w.AddImage("h1", w.Key(0));
       },
       {"remove_image 0 img-h1"},
       {"0 -> c1:30001"}},
      {"ImagesWaitWhileJobRuns",  // they may be the builder's intermediate images
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h2";
         w.memories[0].job_hash = "h2";
         w.AddImage("hx", w.Key(0));
       },
       {},
       {"0 -> c1:30001"}},
      {"ImageOfJobInFlightIsKept",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.hashes[0] = "h2";
         w.memories[0].job_hash = "h2";
         w.AddImage("h2", w.Key(0));
       },
       {},
       {"0 -> c1:30001"}},

      // --- Dead and missing containers, crash back-off.
      {"DeadContainerIsRecreated",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.Kill(0, 137);
       },
       {"remove_container 0 c1", "deploy 0 h1 restart exit=137"},
       {"0 -> pending"}},
      {"DeadContainerRestartsFromRememberedImage",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.Kill(0);
         w.memories[0].image_hash = "h1";
         w.memories[0].image_id = "img-h1";
       },
       {"remove_container 0 c1", "start 0 h1 image=img-h1 restart exit=1"},
       {"0 -> pending"}},
      {"RememberedImageThatIsGoneMeansRebuild",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.Kill(0);
         w.actual->images.clear();
         w.memories[0].image_hash = "h1";
         w.memories[0].image_id = "img-h1";
       },
       {"remove_container 0 c1", "deploy 0 h1 restart exit=1"},
       {"0 -> pending"}},
      {"VanishedContainerIsRecreated",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.actual->containers.clear();
       },
       {"deploy 0 h1 restart"},
       {"0 -> pending"}},
      {"ContainerThatKeepsDyingBacksOff",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.Kill(0);
         w.memories[0].restarts_hash = "h1";
         w.memories[0].restarts = 3;
         w.memories[0].retry_at = kNow + absl::Seconds(8);
       },
       {"remove_container 0 c1", "crashloop 0 exit=1 retry_in=8s"},
       {"0 -> pending"}},
      {"CrashLoopAlreadyShownIsNotRepeated",
       [](World& w) {
         w.AddPreview("h1");
         w.memories[0].restarts_hash = "h1";
         w.memories[0].restarts = 3;
         w.memories[0].retry_at = kNow + absl::Seconds(8);
         w.previews[0].status.SetCondition("Ready", "False", "CrashLoop", "crashloop", kNow);
       },
       {},
       {"0 -> pending"}},
      {"BackOffOfAnotherHashDoesNotDelay",
       [](World& w) {
         w.AddPreview("h2");
         w.memories[0].restarts_hash = "h1";
         w.memories[0].retry_at = kNow + absl::Seconds(8);
       },
       {"deploy 0 h2"},
       {"0 -> pending"}},
      {"EndedBackOffRestarts",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.Kill(0);
         w.memories[0].restarts_hash = "h1";
         w.memories[0].restarts = 3;
         w.memories[0].retry_at = kNow - absl::Seconds(1);
       },
       {"remove_container 0 c1", "deploy 0 h1 restart exit=1"},
       {"0 -> pending"}},
      {"StartAfterBackOffCountsAsRestart",
       [](World& w) {
         w.AddPreview("h1");
         w.memories[0].restarts_hash = "h1";
         w.memories[0].restarts = 2;
         w.memories[0].retry_at = kNow - absl::Seconds(1);
       },
       {"deploy 0 h1 restart"},
       {"0 -> pending"}},
      {"LongUptimeResetsBackOff",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.actual->containers[0].started_at = kNow - absl::Minutes(11);
         w.memories[0].restarts_hash = "h1";
         w.memories[0].restarts = 4;
       },
       {"reset_backoff 0"},
       {"0 -> c1:30001"}},
      {"ShortUptimeKeepsBackOff",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.memories[0].restarts_hash = "h1";
         w.memories[0].restarts = 4;
       },
       {},
       {"0 -> c1:30001"}},
      {"FailedHashIsNotRetried",
       [](World& w) {
         w.AddPreview("h1");
         w.memories[0].failed_hash = "h1";
       },
       {},
       {"0 -> pending"}},
      {"LeftoverContainerOfFailedHashIsRemoved",
       [](World& w) {
         w.AddPreview("h1");
         w.memories[0].failed_hash = "h1";
         w.AddContainer("c1", w.Key(0), "h1", true);
         w.AddNetwork("n1", w.Key(0));
       },
       {"remove_container 0 c1"},
       {"0 -> pending"}},
      {"ExtraContainerOfCurrentHashIsRemoved",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.AddContainer("c9", w.Key(0), "h1", true);
       },
       {"remove_container 0 c9"},
       {"0 -> c1:30001"}},

      // --- Networks.
      {"MissingNetworkIsRepaired",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.actual->networks.clear();
       },
       {"ensure_network 0", "remove_container 0 c1", "deploy 0 h1"},
       {"0 -> pending"}},
      {"MissingNetworkWaitsForJobInFlight",
       [](World& w) {
         w.AddPreview("h1");
         w.memories[0].job_hash = "h1";
         w.AddContainer("c1", w.Key(0), "h1", true);
       },
       {},
       {"0 -> pending"}},

      // --- Closing, TTL and forgetting.
      {"ClosedPreviewIsRemovedThenForgotten",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.previews[0].spec.open = false;
       },
       {"mark_deleting 0", "remove_container 0 c1", "remove_network 0 n1", "remove_image 0 img-h1",
        "forget 0"},
       {}},
      {"ClosedPreviewWithNothingLeftIsForgotten",
       [](World& w) { w.AddPreview("h1").spec.open = false; },
       {"forget 0"},
       {}},
      {"ClosedPreviewWithJobCancelsAndWaits",
       [](World& w) {
         w.AddPreview("h1").spec.open = false;
         w.memories[0].job_hash = "h1";
       },
       {"cancel 0 h1", "mark_deleting 0"},
       {}},
      {"DeletingStatusIsNotRepeated",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.previews[0].spec.open = false;
         w.previews[0].status.phase = Phase::kDeleting;
         w.actual->images.clear();
         w.actual->networks.clear();
       },
       {"remove_container 0 c1", "forget 0"},
       {}},
      {"ExpiredPreviewIsRemovedLikeAClosedOne",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.previews[0].spec.updated_at = kNow - absl::Hours(24 * 7) - absl::Seconds(1);
       },
       {"mark_deleting 0 expired", "remove_container 0 c1", "remove_network 0 n1",
        "remove_image 0 img-h1", "forget 0 expired"},
       {}},
      {"RepositoryTtlIsHonoured",
       [](World& w) {
         w.AddPreview("h1").spec.updated_at = kNow - absl::Hours(3);
         w.ttls[0] = absl::Hours(2);
       },
       {"forget 0 expired"},
       {}},
      {"PreviewYoungerThanTtlStays",
       [](World& w) {
         w.AddPreview("h1").spec.updated_at = kNow - absl::Hours(24 * 7) + absl::Seconds(1);
       },
       {"deploy 0 h1"},
       {"0 -> pending"}},
      {"PreviewWithUnknownUpdateTimeNeverExpires",
       [](World& w) { w.AddPreview("h1").spec.updated_at = absl::InfinitePast(); },
       {"deploy 0 h1"},
       {"0 -> pending"}},

      // --- Objects nobody desires.
      {"ObjectsOfUnknownKeyAreRemoved",
       [](World& w) {
         w.AddContainer("x1", "github/other/repo#7", "hx", true);
         w.AddNetwork("nx", "github/other/repo#7");
         w.AddImage("hx", "github/other/repo#7");
       },
       {"remove_container - x1", "remove_network - nx", "remove_image - img-hx"},
       {}},
      {"ManagedContainerWithoutKeyIsRemoved",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.AddContainer("x1", "", "", false);
       },
       {"remove_container - x1"},
       {"0 -> c1:30001"}},

      // --- Safe deletion: a failed listing removes nothing.
      {"FailedListingRemovesNothingOfClosedPreview",
       [](World& w) {
         w.AddPreview("h1").spec.open = false;
         w.actual.reset();
       },
       {},
       {}},
      {"FailedListingStartsNothing",
       [](World& w) {
         w.AddPreview("h1");
         w.actual.reset();
       },
       {},
       {}},
      {"FailedListingStillCancelsOvertakenJob",
       [](World& w) {
         w.AddPreview("h2").spec.open = true;
         w.memories[0].job_hash = "h1";
         w.actual.reset();
       },
       {"cancel 0 h1"},
       {}},

      // --- Several previews at once.
      {"EachPreviewIsPlannedOnItsOwn",
       [](World& w) {
         w.AddServing((w.AddPreview("h1"), 0));
         w.AddPreview("h2").spec.open = false;
         w.AddPreview("h3");
         w.AddServing(2);
         w.Kill(1);
       },
       {"forget 1", "remove_container 2 c3", "deploy 2 h3 restart exit=1"},
       {"0 -> c1:30001", "2 -> pending"}},
  };
}

class DiffTest : public testing::TestWithParam<Case> {};

TEST_P(DiffTest, ProducesExpectedPlan) {
  World world;
  GetParam().setup(world);

  Plan plan = world.Run();

  std::vector<std::string> actions;
  for (const Action& a : plan.actions) {
    actions.push_back(Render(a));
  }
  std::vector<std::string> routes;
  for (const RouteTarget& r : plan.routes) {
    routes.push_back(Render(r));
  }
  EXPECT_THAT(actions, testing::ElementsAreArray(GetParam().actions));
  EXPECT_THAT(routes, testing::ElementsAreArray(GetParam().routes));
  EXPECT_EQ(plan.routes_valid, world.actual.has_value());
}

INSTANTIATE_TEST_SUITE_P(Rules, DiffTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(DiffBackOffTest, WakesWhenBackOffEnds) {
  World world;
  world.AddPreview("h1");
  world.memories[0].restarts_hash = "h1";
  world.memories[0].retry_at = kNow + absl::Seconds(30);

  EXPECT_EQ(world.Run().next_wake, kNow + absl::Seconds(30));
}

TEST(DiffBackOffTest, WakesWhenFetchBackOffEnds) {
  World world;
  world.AddPreview("h1");
  world.memories[0].retry_hash = "h1";
  world.memories[0].job_failures = 1;
  world.memories[0].job_retry_at = kNow + absl::Seconds(2);

  Plan plan = world.Run();

  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.next_wake, kNow + absl::Seconds(2));
}

TEST(DiffFetchRetryTest, NetworkAndServerFailuresAreRetriedForever) {
  for (absl::StatusCode code :
       {absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded,
        absl::StatusCode::kFailedPrecondition, absl::StatusCode::kInternal}) {
    EXPECT_TRUE(RetryFetch(code, 1)) << absl::StatusCodeToString(code);
    EXPECT_TRUE(RetryFetch(code, 1000)) << absl::StatusCodeToString(code);
  }
}

TEST(DiffFetchRetryTest, MissingCommitIsTriedAFewTimes) {
  std::vector<bool> retried;
  for (int failures = 1; failures <= kFetchNotFoundAttempts + 1; ++failures) {
    retried.push_back(RetryFetch(absl::StatusCode::kNotFound, failures));
  }

  EXPECT_THAT(retried, testing::ElementsAre(true, true, true, true, false, false));
}

TEST(DiffDockerRetryTest, OnlyAnUnreachableOrSlowOrFullDaemonIsTriedAgain) {
  EXPECT_TRUE(RetryDocker(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(RetryDocker(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(RetryDocker(absl::StatusCode::kResourceExhausted));    // no address pool left
  EXPECT_FALSE(RetryDocker(absl::StatusCode::kFailedPrecondition));  // the build failed
  EXPECT_FALSE(RetryDocker(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(RetryDocker(absl::StatusCode::kInternal));
}

TEST(DiffFetchRetryTest, BadRequestAndCancellationAreNotRetried) {
  EXPECT_FALSE(RetryFetch(absl::StatusCode::kInvalidArgument, 1));
  EXPECT_FALSE(RetryFetch(absl::StatusCode::kCancelled, 1));
}

TEST(DiffBackOffTest, DelayDoublesFromBaseUpToFiveMinutes) {
  DiffOptions options;
  std::vector<int64_t> seconds;
  for (int restarts : {1, 2, 3, 4, 8, 9, 50}) {
    seconds.push_back(absl::ToInt64Seconds(BackoffDelay(restarts, options)));
  }

  EXPECT_THAT(seconds, testing::ElementsAre(2, 4, 8, 16, 256, 300, 300));
}

}  // namespace
}  // namespace prevu::reconciler
