// `prevu proxy` as its own small program, so the benchmark and the standalone tests can run the
// data plane without the rest of Prevu.
#include "proxy/standalone.h"

int main(int argc, char** argv) { return prevu::proxy::RunStandaloneProxy(argc - 1, argv + 1); }
