// Support for the end-to-end tests; see e2e_support.h.
#include "tests/e2e/e2e_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace prevu::e2e {
namespace {

std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

void MustRun(const std::string& command) {
  CommandResult result = RunCommand(command);
  if (result.exit_code != 0) {
    std::fprintf(stderr, "command failed (%d): %s\n%s\n", result.exit_code, command.c_str(),
                 result.output.c_str());
    std::abort();
  }
}

std::string HmacSha256Hex(const std::string& key, const std::string& body) {
  unsigned char digest[32];
  unsigned int size = sizeof(digest);
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &size);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

HttpResult ParseResponse(const std::string& raw) {
  HttpResult result;
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    result.error = absl::StrCat("incomplete response (", raw.size(), " bytes)");
    return result;
  }
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, head_end), "\r\n");
  std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &result.status)) {
    result.error = "bad status line: " + lines[0];
    return result;
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon != std::string::npos) {
      result.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
  }
  result.body = raw.substr(head_end + 4);
  if (result.headers.count("transfer-encoding") != 0) {
    // De-chunk: the proxy relays chunked bodies as the application sent them.
    std::string body;
    size_t at = 0;
    while (at < result.body.size()) {
      size_t line_end = result.body.find("\r\n", at);
      if (line_end == std::string::npos) {
        break;
      }
      size_t size = std::strtoul(result.body.substr(at, line_end - at).c_str(), nullptr, 16);
      if (size == 0) {
        break;
      }
      body += result.body.substr(line_end + 2, size);
      at = line_end + 2 + size + 2;
    }
    result.body = body;
  }
  return result;
}

}  // namespace

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, n);
  }
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "prevu-e2e-XXXXXX").string();
  path_ = ::mkdtemp(pattern.data());
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

GitRemote::GitRemote(const std::string& root, const std::string& example, const std::string& branch)
    : work_(root + "/work"), bare_(root + "/forge.git"), branch_(branch) {
  std::filesystem::create_directories(work_);
  std::filesystem::copy(example, work_, std::filesystem::copy_options::recursive);
  std::string git =
      absl::StrCat("git -C ", Quote(work_), " -c user.name=e2e -c user.email=e2e@localhost ");
  MustRun(absl::StrCat(git, "init -q -b ", Quote(branch_)));
  MustRun(absl::StrCat(git, "add -A"));
  MustRun(absl::StrCat(git, "commit -qm initial"));
  MustRun(absl::StrCat("git init -q --bare ", Quote(bare_)));
  MustRun(absl::StrCat(git, "remote add forge ", Quote(bare_)));
}

std::string GitRemote::Commit(const std::string& file, const std::string& content,
                              const std::string& request_ref) {
  if (!file.empty()) {
    std::filesystem::path path = std::filesystem::path(work_) / file;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::trunc) << content;
    std::string git =
        absl::StrCat("git -C ", Quote(work_), " -c user.name=e2e -c user.email=e2e@localhost ");
    MustRun(absl::StrCat(git, "add -A"));
    MustRun(absl::StrCat(git, "commit -qm ", Quote("change " + file)));
  }
  MustRun(absl::StrCat("git -C ", Quote(work_), " push -q -f forge HEAD:refs/heads/", branch_,
                       " HEAD:", request_ref));
  return head();
}

std::string GitRemote::head() const {
  CommandResult result = RunCommand(absl::StrCat("git -C ", Quote(work_), " rev-parse HEAD"));
  return std::string(absl::StripAsciiWhitespace(result.output));
}

namespace {

// A socket connected to 127.0.0.1:`port` with 5 s send and receive timeouts, or -1 with `error`.
int ConnectLoopback(int port, std::string* error) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    *error = absl::StrCat("connect to port ", port, ": ", std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string RequestText(const std::string& method, const std::string& host,
                        const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& body) {
  std::string request =
      absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: ", host,
                   "\r\nConnection: close\r\nContent-Length: ", body.size(), "\r\n");
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&request, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&request, "\r\n", body);
  return request;
}

// OpenSSL's queued errors as one line.
std::string TlsErrors() {
  std::string text;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(e, line, sizeof(line));
    absl::StrAppend(&text, text.empty() ? "" : "; ", line);
  }
  return text;
}

}  // namespace

HttpResult Http(int port, const std::string& method, const std::string& host,
                const std::string& target,
                const std::vector<std::pair<std::string, std::string>>& headers,
                const std::string& body) {
  HttpResult result;
  int fd = ConnectLoopback(port, &result.error);
  if (fd < 0) {
    return result;
  }
  std::string request = RequestText(method, host, target, headers, body);
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      result.error = absl::StrCat("send: ", std::strerror(errno));
      return result;
    }
    sent += static_cast<size_t>(n);
  }

  std::string raw;
  char buffer[16384];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0) {
      ::close(fd);
      result.error = absl::StrCat("recv: ", std::strerror(errno), " after ", raw.size(), " bytes");
      return result;
    }
    if (n == 0) {
      break;
    }
    raw.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return ParseResponse(raw);
}

HttpResult Https(int port, const std::string& host, const std::string& target,
                 const std::string& ca_file) {
  HttpResult result;
  int fd = ConnectLoopback(port, &result.error);
  if (fd < 0) {
    return result;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL* ssl = nullptr;
  std::string raw;
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    result.error = absl::StrCat("cannot load ", ca_file, ": ", TlsErrors());
  } else {
    ssl = SSL_new(ctx);
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
      long verify = SSL_get_verify_result(ssl);
      result.error =
          absl::StrCat("TLS handshake: ", TlsErrors(), verify == X509_V_OK ? "" : " (certificate: ",
                       verify == X509_V_OK ? "" : X509_verify_cert_error_string(verify),
                       verify == X509_V_OK ? "" : ")");
    } else {
      std::string request = RequestText("GET", host, target, {}, "");
      if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) <= 0) {
        result.error = "TLS write: " + TlsErrors();
      }
      char buffer[16384];
      for (int n; result.error.empty() && (n = SSL_read(ssl, buffer, sizeof(buffer))) > 0;) {
        raw.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  if (!result.error.empty()) {
    return result;
  }
  return ParseResponse(raw);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env,
                           const std::string& log_path) {
  pid_ = ::fork();
  if (pid_ == 0) {
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(log, STDERR_FILENO);
    ::dup2(log, STDOUT_FILENO);
    for (const auto& [name, value] : env) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
    std::vector<char*> args;
    for (const std::string& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

HttpResult SendGitHub(int api_port, const std::string& secret, const RequestEvent& event) {
  std::string name = event.repo.substr(event.repo.rfind('/') + 1);
  nlohmann::json repo = {{"name", name}, {"full_name", event.repo}, {"clone_url", event.clone_url}};
  nlohmann::json payload = {
      {"action", event.action},
      {"number", event.number},
      {"pull_request",
       {{"number", event.number},
        {"state", event.action == "closed" ? "closed" : "open"},
        {"title", "An end-to-end change"},
        {"user", {{"login", "e2e"}}},
        {"head", {{"ref", event.head_ref}, {"sha", event.head_sha}, {"repo", repo}}},
        {"base", {{"ref", "main"}, {"sha", std::string(40, '0')}, {"repo", repo}}},
        {"merged", false}}},
      {"repository", repo},
      {"sender", {{"login", "e2e"}}}};
  std::string body = payload.dump();
  static int delivery = 0;
  return Http(api_port, "POST", "127.0.0.1", "/hooks/github",
              {{"Content-Type", "application/json"},
               {"X-GitHub-Event", "pull_request"},
               {"X-GitHub-Delivery", absl::StrCat("e2e-", ::getpid(), "-", ++delivery)},
               {"X-Hub-Signature-256", "sha256=" + HmacSha256Hex(secret, body)}},
              body);
}

HttpResult SendGitLab(int api_port, const std::string& token, const RequestEvent& event) {
  nlohmann::json payload = {
      {"object_kind", "merge_request"},
      {"event_type", "merge_request"},
      {"user", {{"username", "e2e"}}},
      {"project", {{"path_with_namespace", event.repo}, {"git_http_url", event.clone_url}}},
      {"object_attributes",
       {{"iid", event.number},
        {"action", event.action},
        {"state", event.action == "close" ? "closed" : "opened"},
        {"title", "An end-to-end merge request"},
        {"source_branch", event.head_ref},
        {"target_branch", "main"},
        {"last_commit", {{"id", event.head_sha}}}}}};
  std::string body = payload.dump();
  static int delivery = 0;
  return Http(api_port, "POST", "127.0.0.1", "/hooks/gitlab",
              {{"Content-Type", "application/json"},
               {"X-Gitlab-Event", "Merge Request Hook"},
               {"X-Gitlab-Event-UUID", absl::StrCat("e2e-", ::getpid(), "-", ++delivery)},
               {"X-Gitlab-Token", token}},
              body);
}

PrevuProcess::PrevuProcess(std::string dir, std::string config,
                           std::map<std::string, std::string> env)
    : dir_(std::move(dir)), config_path_(dir_ + "/prevu.toml"), env_(std::move(env)) {
  WriteFile(config_path_, config);
}

PrevuProcess::~PrevuProcess() {
  if (pid_ > 0) {
    Signal(SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

absl::Status PrevuProcess::Start(int api_port) {
  std::string log_path = dir_ + "/prevu.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(log, STDERR_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::chdir(dir_.c_str());
    for (const auto& [name, value] : env_) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
    ::execl(PREVU_BINARY, "prevu", "serve", "--config", config_path_.c_str(), "--log-level",
            "debug", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool healthy = WaitFor(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          return true;
        }
        return Http(api_port, "GET", "127.0.0.1", "/healthz").status == 200;
      },
      std::chrono::seconds(20));
  if (pid_ < 0 || !healthy) {
    return absl::UnavailableError(absl::StrCat("prevu did not start; its log:\n", log()));
  }
  return absl::OkStatus();
}

void PrevuProcess::Signal(int signal) {
  if (pid_ > 0) {
    ::kill(pid_, signal);
  }
}

int PrevuProcess::Wait(std::chrono::milliseconds timeout) {
  int exit_code = -1;
  WaitFor(
      [&] {
        int status = 0;
        if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
          exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          pid_ = -1;
        }
        return pid_ < 0;
      },
      timeout);
  return exit_code;
}

std::string PrevuProcess::log() const {
  std::ifstream in(dir_ + "/prevu.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

DockerObjects ListByKey(const std::string& key) {
  std::string filter = Quote("label=prevu.key=" + key);
  auto lines = [](const std::string& command) {
    CommandResult result = RunCommand(command);
    std::vector<std::string> ids = absl::StrSplit(result.output, '\n', absl::SkipWhitespace());
    return ids;
  };
  DockerObjects objects;
  objects.containers = lines(absl::StrCat("docker ps -aq --filter ", filter));
  objects.networks = lines(absl::StrCat("docker network ls -q --filter ", filter));
  objects.images = lines(absl::StrCat("docker images -q --filter ", filter));
  return objects;
}

void RemoveByKey(const std::string& key) {
  DockerObjects objects = ListByKey(key);
  for (const std::string& id : objects.containers) {
    RunCommand("docker rm -f " + id);
  }
  for (const std::string& id : objects.networks) {
    RunCommand("docker network rm " + id);
  }
  for (const std::string& id : objects.images) {
    RunCommand("docker rmi -f " + id);
  }
}

}  // namespace prevu::e2e
