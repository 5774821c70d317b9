// A Docker daemon of a test's own, which the test may stop and start at will: other tests share
// the daemon at /var/run/docker.sock and must never see it go away. It has its own socket, data
// root, exec root (and so its own containerd) and pid file below one temporary directory, and
// a network namespace of its own: a dockerd deletes the host's docker0 when its own default
// bridge is another (or none), so it must not share the shared daemon's namespace. The test
// process enters that namespace too, so the published ports it probes are the private daemon's.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace prevu::reconciler {

class PrivateDockerd {
 public:
  // Makes the directory and moves the calling thread, and every thread and child process it
  // starts from now on, into a new network namespace with only a loopback interface. Construct
  // it before any thread that uses the network. Nothing runs until Start().
  PrivateDockerd() {
    if (unshare(CLONE_NEWNET) != 0 || std::system("ip link set lo up") != 0) {
      return;  // dir_ stays empty: Start() fails and says so
    }
    // Below /tmp and short: a Unix socket path may have at most 107 bytes.
    char pattern[] = "/tmp/prevu-dk-XXXXXX";
    if (mkdtemp(pattern) != nullptr) {
      dir_ = pattern;
    }
  }

  // Stops the daemon and removes everything it stored.
  ~PrivateDockerd() {
    Stop().IgnoreError();
    StopOrphanContainerd();
    UnmountBelow(dir_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  PrivateDockerd(const PrivateDockerd&) = delete;
  PrivateDockerd& operator=(const PrivateDockerd&) = delete;

  const std::string& socket_path() const { return socket_; }
  std::string host() const { return "unix://" + socket_; }  // for `docker -H`

  // Starts dockerd on the same directories as any earlier run (so it finds the containers,
  // networks and images it had) and waits until it answers. The error carries its log's tail.
  absl::Status Start(absl::Duration timeout = absl::Seconds(90)) {
    if (dir_.empty()) {
      return absl::InternalError(
          "cannot make a network namespace (needs root) or a directory below /tmp for the "
          "private dockerd");
    }
    socket_ = dir_ + "/docker.sock";
    std::vector<std::string> args = {
        "dockerd", "--host", host(), "--data-root", dir_ + "/data", "--exec-root", dir_ + "/exec",
        "--pidfile", dir_ + "/docker.pid",
        // No iptables rules (those are the host's, whatever the namespace). Published ports work
        // through docker-proxy, which listens on 127.0.0.1 of this namespace.
        "--bridge=none", "--iptables=false", "--ip-masq=false", "--default-address-pool",
        "base=10.213.0.0/16,size=24"};
    pid_ = fork();
    if (pid_ < 0) {
      return absl::InternalError("fork failed");
    }
    if (pid_ == 0) {
      int log = open((dir_ + "/dockerd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(log, 1);
      dup2(log, 2);
      std::vector<char*> argv;
      for (std::string& arg : args) {
        argv.push_back(arg.data());
      }
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }

    auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return absl::UnavailableError(absl::StrCat("dockerd exited at once: ", LogTail()));
      }
      if (Docker("version") == 0) {
        return absl::OkStatus();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return absl::DeadlineExceededError(absl::StrCat("dockerd did not answer: ", LogTail()));
  }

  // Stops dockerd as an operator or a package upgrade would (SIGTERM: it stops its containers
  // and its containerd, then exits), and kills it when it takes longer than `timeout`.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(60)) {
    if (pid_ <= 0) {
      return absl::OkStatus();
    }
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return absl::DeadlineExceededError("dockerd did not stop on SIGTERM; killed it");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    pid_ = -1;
    return absl::OkStatus();
  }

  // Runs the docker command line against this daemon; its exit status.
  int Docker(const std::string& args) const {
    return std::system(absl::StrCat("docker -H ", host(), " ", args, " >/dev/null 2>&1").c_str());
  }

  // The standard output of a docker command against this daemon.
  std::string DockerOutput(const std::string& args) const {
    std::string output;
    FILE* out = popen(absl::StrCat("docker -H ", host(), " ", args, " 2>/dev/null").c_str(), "r");
    if (out == nullptr) {
      return output;
    }
    char buffer[4096];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, out)) > 0) {
      output.append(buffer, got);
    }
    pclose(out);
    return output;
  }

  std::string LogTail() const {
    std::ifstream in(dir_ + "/dockerd.log");
    std::stringstream text;
    text << in.rdbuf();
    std::string log = text.str();
    return log.size() > 2000 ? log.substr(log.size() - 2000) : log;
  }

 private:
  // A dockerd that had to be killed leaves the containerd it started running.
  void StopOrphanContainerd() const {
    std::ifstream in(dir_ + "/exec/containerd/containerd.pid");
    pid_t pid = 0;
    if (in >> pid && pid > 0) {
      kill(pid, SIGTERM);
    }
  }

  // Mounts dockerd left below `dir` (overlay layers, network namespaces) after a kill.
  static void UnmountBelow(const std::string& dir) {
    if (dir.empty()) {
      return;
    }
    std::ifstream mounts("/proc/mounts");
    std::vector<std::string> below;
    for (std::string line; std::getline(mounts, line);) {
      std::vector<std::string> fields = absl::StrSplit(line, ' ');
      if (fields.size() > 1 && fields[1].rfind(dir + "/", 0) == 0) {
        below.push_back(fields[1]);
      }
    }
    std::sort(below.rbegin(), below.rend());  // deepest first
    for (const std::string& path : below) {
      umount2(path.c_str(), MNT_DETACH);
    }
  }

  std::string dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

}  // namespace prevu::reconciler
