// The `prevu` command: serve, proxy, check and version. Wires every module together.
#include <cstdio>
#include <iostream>
#include <string_view>

#include "controller/config/check.h"
#include "controller/service.h"
#include "controller/version.h"
#include "proxy/standalone.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

int Usage() {
  std::fputs(
      "usage: prevu serve [--config FILE] [--log-level LEVEL]\n"
      "       prevu proxy --listen ADDR [--threads N] --route HOST=ADDR:PORT ...\n"
      "       prevu check [FILE]\n"
      "       prevu version\n",
      stderr);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    return Usage();
  }
  std::string_view command = argv[1];
  if (command == "version" || command == "--version") {
    std::printf("%s\n", prevu::controller::VersionText().c_str());
    return kExitOk;
  }
  if (command == "check") {
    if (argc > 3) {
      return Usage();
    }
    return prevu::controller::RunCheck(argc == 3 ? argv[2] : "./.prevu.toml", std::cout, std::cerr);
  }
  if (command == "serve") {
    return prevu::controller::RunServe(argc - 2, argv + 2);
  }
  if (command == "proxy") {
    return prevu::proxy::RunStandaloneProxy(argc - 1, argv + 1);
  }
  return Usage();
}
