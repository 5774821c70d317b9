// What the end-to-end tests drive: the real `prevu` binary in a child process, a real git
// repository made from examples/, a real HTTP client on loopback and the real Docker CLI.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace prevu::e2e {

// A port that was free a moment ago (bound to 127.0.0.1:0 and released).
int FreePort();

// Runs `command` with /bin/sh; returns its exit status and stdout+stderr.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::string& command);

// Replaces the file's contents.
void WriteFile(const std::string& path, const std::string& text);

// A fresh temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A bare repository (the "forge") and a work tree that pushes to it. The request's head is
// published where the forge would keep it: refs/pull/N/head or refs/merge-requests/N/head.
class GitRemote {
 public:
  // Copies `example` (a folder of examples/) into a work tree, commits it on branch `branch`.
  GitRemote(const std::string& root, const std::string& example, const std::string& branch);

  // Writes `content` to `file` in the work tree, commits, pushes the branch and `request_ref`.
  // Returns the new head SHA.
  std::string Commit(const std::string& file, const std::string& content,
                     const std::string& request_ref);
  std::string head() const;
  std::string clone_url() const { return "file://" + bare_; }

 private:
  std::string work_;
  std::string bare_;
  std::string branch_;
};

struct HttpResult {
  int status = 0;  // 0 when the request failed at the socket level
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;
};

// One request on a new connection to 127.0.0.1:`port`, with `Connection: close`; 5 s timeout.
HttpResult Http(int port, const std::string& method, const std::string& host,
                const std::string& target,
                const std::vector<std::pair<std::string, std::string>>& headers = {},
                const std::string& body = "");

// One GET over HTTPS to 127.0.0.1:`port`, sending `host` as the server name and trusting only
// the PEM certificates in `ca_file`; the certificate must be valid for `host`. A failed handshake
// or verification leaves status 0 and says why in `error`.
HttpResult Https(int port, const std::string& host, const std::string& target,
                 const std::string& ca_file);

// A helper program (Pebble, say) in a child process, its output in `log_path`. `env` is added to
// the environment. Ended with SIGTERM on destruction.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

 private:
  pid_t pid_ = -1;
};

// A signed GitHub `pull_request` delivery and a GitLab `Merge Request Hook` delivery, built
// with the fields each forge sends (see tests/fixtures/webhooks for whole real payloads).
struct RequestEvent {
  std::string repo;  // "prevu/hello" or "platform/tools/hello"
  int number = 1;
  std::string action;  // GitHub: opened, synchronize, closed; GitLab: open, update, close
  std::string head_sha;
  std::string head_ref;
  std::string clone_url;
};
HttpResult SendGitHub(int api_port, const std::string& secret, const RequestEvent& event);
HttpResult SendGitLab(int api_port, const std::string& token, const RequestEvent& event);

// `prevu serve --config <dir>/prevu.toml` in a child process, with stderr in <dir>/prevu.log.
class PrevuProcess {
 public:
  // `config` is the text of prevu.toml; `env` is added to the child's environment.
  PrevuProcess(std::string dir, std::string config, std::map<std::string, std::string> env);
  ~PrevuProcess();  // SIGKILL if still running

  // Starts the child and waits until `api_port` answers /healthz.
  absl::Status Start(int api_port);
  void Signal(int signal);
  // Waits for the child to exit; returns its exit status, or -1 after `timeout`.
  int Wait(std::chrono::milliseconds timeout);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string log() const;
  const std::string& config_path() const { return config_path_; }

 private:
  std::string dir_;
  std::string config_path_;
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
};

// Docker objects carrying `prevu.key=<key>`: containers (all states), networks, images.
struct DockerObjects {
  std::vector<std::string> containers;
  std::vector<std::string> networks;
  std::vector<std::string> images;
  bool empty() const { return containers.empty() && networks.empty() && images.empty(); }
};
DockerObjects ListByKey(const std::string& key);
// Removes whatever a test left with this key (test hygiene, not part of what is tested).
void RemoveByKey(const std::string& key);

// Polls `condition` every 50 ms until it holds or `timeout` passes.
template <typename F>
bool WaitFor(F condition, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) {
      return true;
    }
    struct timespec pause = {0, 50'000'000};
    nanosleep(&pause, nullptr);
  }
  return condition();
}

}  // namespace prevu::e2e
