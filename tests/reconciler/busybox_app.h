// What the Docker integration tests build and ask: an image FROM scratch that serves /www on
// port 8080 with the static busybox, and one plain HTTP/1.0 request to it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace prevu::reconciler {

// A Dockerfile for a context holding `busybox` and a `www` directory.
inline constexpr char kBusyboxServeDockerfile[] =
    "FROM scratch\n"
    "COPY busybox /bin/busybox\n"
    "COPY www /www\n"
    "CMD [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n";

// Sends one HTTP/1.0 GET of /index.html to 127.0.0.1:port; the whole answer, "" when nothing
// answered.
inline std::string HttpGetIndex(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    std::string request = "GET /index.html HTTP/1.0\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t got;
      while ((got = read(fd, buffer, sizeof buffer)) > 0) {
        answer.append(buffer, got);
      }
    }
  }
  close(fd);
  return answer;
}

}  // namespace prevu::reconciler
