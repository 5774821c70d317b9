// The durability test: a child process writes in a loop and reports each acknowledged write on a
// pipe; the parent kills it with SIGKILL at a random moment, reopens the store and checks that
// every acknowledged write is there. Compaction is made frequent so that kills land in it too.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "controller/base/log.h"
#include "controller/desired_store.h"
#include "gtest/gtest.h"
#include "tests/controller/store/temp_dir.h"

namespace prevu::controller::store {
namespace {

constexpr int kRounds = 60;
constexpr int kWriterThreads = 4;
constexpr int kKeysPerThread = 100;

DesiredStoreOptions SmallCompactions() {
  DesiredStoreOptions options;
  options.compact_after_records = 40;
  return options;
}

PreviewKey Key(int64_t number) { return PreviewKey{Provider::kGitHub, "acme/shop", number}; }

// Runs in the child: writes until killed. Each thread owns its keys, so a key has at most one
// write in flight when the kill lands.
[[noreturn]] void RunWriter(const std::string& dir, int round, int ack_fd) {
  log::SetLevel(log::Level::kWarn);
  absl::StatusOr<std::unique_ptr<DesiredStore>> store =
      OpenDesiredStore(dir, base::Clock::Real(), SmallCompactions());
  if (!store.ok()) {
    std::fprintf(stderr, "child cannot open the store: %s\n", store.status().ToString().c_str());
    ::_exit(3);
  }

  std::vector<std::thread> threads;
  for (int t = 0; t < kWriterThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t i = 0;; ++i) {
        int64_t number = t * 1000 + (round * 7 + i) % kKeysPerThread + 1;
        SpecUpdate update{"https://example.com/shop.git",
                          absl::StrCat("r", round, "t", t, "i", i),
                          "feature",
                          "main",
                          "title",
                          "alice"};
        absl::StatusOr<WriteResult> result = (*store)->Upsert(Key(number), update);
        if (!result.ok()) {
          ::_exit(4);
        }
        std::string ack = absl::StrCat(number, " ", result->generation, "\n");
        if (::write(ack_fd, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) {
          ::_exit(5);
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  ::_exit(6);
}

// Reads acknowledgement lines from `fd` until `count` have come or the pipe ends.
int ReadAcks(int fd, int count, std::string* pending, std::map<int64_t, int64_t>* acked) {
  int read_lines = 0;
  char buffer[4096];
  while (read_lines < count) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) {
      break;
    }
    pending->append(buffer, static_cast<size_t>(n));
    size_t end;
    while ((end = pending->find('\n')) != std::string::npos) {
      std::istringstream line(pending->substr(0, end));
      pending->erase(0, end + 1);
      int64_t number, generation;
      line >> number >> generation;
      int64_t& known = (*acked)[number];
      known = std::max(known, generation);
      ++read_lines;
    }
  }
  return read_lines;
}

TEST(DesiredStoreSigkillTest, EveryAcknowledgedWriteSurvivesSigkill) {
  TempDir dir;
  std::mt19937 random(20261203);
  std::map<int64_t, int64_t> truth;  // generation of each key, as the store last showed it
  int total_acks = 0;
  int killed_during_compaction = 0;

  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunWriter(dir.path(), round, fds[1]);
    }
    ::close(fds[1]);

    // Kill after a random number of acknowledgements (zero: during the open) plus a random delay.
    std::map<int64_t, int64_t> acked;
    std::string pending;
    int wait_for = static_cast<int>(random() % 400);
    total_acks += ReadAcks(fds[0], wait_for, &pending, &acked);
    ::usleep(random() % 2000);
    ::kill(pid, SIGKILL);
    int wait_status = 0;
    ASSERT_EQ(::waitpid(pid, &wait_status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
        << "the writer stopped by itself in round " << round << " with status " << wait_status;
    total_acks += ReadAcks(fds[0], INT32_MAX, &pending, &acked);
    ::close(fds[0]);
    if (std::filesystem::exists(dir.File("journal.new"))) {
      ++killed_during_compaction;
    }

    absl::StatusOr<std::unique_ptr<DesiredStore>> store =
        OpenDesiredStore(dir.path(), base::Clock::Real(), SmallCompactions());
    ASSERT_TRUE(store.ok()) << store.status();
    for (const auto& [number, generation] : acked) {
      truth[number] = std::max(truth[number], generation);
    }
    for (auto& [number, generation] : truth) {
      std::optional<Preview> preview = (*store)->Get(Key(number));
      ASSERT_TRUE(preview.has_value()) << "round " << round << ": lost key " << number;
      // At most one unacknowledged write per key was in flight, and it may have landed.
      ASSERT_GE(preview->spec.generation, generation) << "round " << round << " key " << number;
      ASSERT_LE(preview->spec.generation, generation + 1) << "round " << round << " key " << number;
      generation = preview->spec.generation;
    }
  }

  std::printf("sigkill rounds=%d acknowledged_writes=%d killed_during_compaction=%d keys=%zu\n",
              kRounds, total_acks, killed_during_compaction, truth.size());
  EXPECT_GT(total_acks, kRounds);
  EXPECT_TRUE(std::filesystem::exists(dir.File("snapshot")));
}

}  // namespace
}  // namespace prevu::controller::store
