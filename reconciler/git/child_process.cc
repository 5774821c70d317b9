// See child_process.h.
#include "reconciler/git/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace prevu::reconciler::git {
namespace {

constexpr size_t kMaxOutput = 64 * 1024;
constexpr int kPollMs = 50;

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const std::string& s : strings) {
    pointers.push_back(const_cast<char*>(s.c_str()));
  }
  pointers.push_back(nullptr);
  return pointers;
}

void KeepTail(std::string* output, const char* data, size_t size) {
  output->append(data, size);
  if (output->size() > 2 * kMaxOutput) {
    output->erase(0, output->size() - kMaxOutput);
  }
}

// Starts the child with the pipe's write end as stdout and stderr, in a new process group.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env, const std::string& cwd,
                            int out_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = 0;
  std::vector<char*> args = CStrings(argv);
  std::vector<char*> envp = CStrings(env);
  int error = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    return absl::InternalError(absl::StrCat("cannot run ", argv[0], ": ", std::strerror(error)));
  }
  return pid;
}

int WaitExit(pid_t pid) {
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}

}  // namespace

absl::StatusOr<ProcessResult> ChildProcess::Run(const std::vector<std::string>& argv,
                                                const std::vector<std::string>& env,
                                                const std::string& cwd, absl::Duration timeout,
                                                const CancelToken* cancel) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("cannot make a pipe: ", std::strerror(errno)));
  }
  absl::StatusOr<pid_t> pid = Spawn(argv, env, cwd, fds[1]);
  close(fds[1]);
  if (!pid.ok()) {
    close(fds[0]);
    return pid.status();
  }

  // Read until every process holding the pipe has gone; on a deadline or cancellation the whole
  // group is killed, which closes the pipe.
  ProcessResult result;
  absl::Status stopped;
  absl::Time deadline = absl::Now() + timeout;
  char buffer[4096];
  while (true) {
    if (stopped.ok()) {
      if (cancel != nullptr && cancel->cancelled()) {
        stopped = absl::CancelledError(absl::StrCat(argv[0], " was cancelled"));
      } else if (absl::Now() >= deadline) {
        stopped = absl::DeadlineExceededError(absl::StrCat(
            argv[0], " did not finish within ", absl::FormatDuration(timeout), " and was stopped"));
      }
      if (!stopped.ok()) {
        kill(-*pid, SIGKILL);
      }
    }

    pollfd poll_fd{fds[0], POLLIN, 0};
    if (poll(&poll_fd, 1, kPollMs) <= 0) {
      continue;
    }
    ssize_t got = read(fds[0], buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      break;
    }
    KeepTail(&result.output, buffer, got);
  }
  close(fds[0]);

  result.exit_code = WaitExit(*pid);
  if (!stopped.ok()) {
    return stopped;
  }
  if (result.output.size() > kMaxOutput) {
    result.output.erase(0, result.output.size() - kMaxOutput);
  }
  return result;
}

}  // namespace prevu::reconciler::git
