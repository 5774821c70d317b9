// A small stand-in for libFuzzer, which GCC lacks: replays the seed corpus, then runs a fixed
// number of deterministic mutations of it through the target. There is no coverage feedback; the
// sanitizers and the targets' own checks find the bugs, and the fixed seed makes any failure
// repeat. Usage: TARGET [--runs N] [--seed S] [--dict FILE] CORPUS_DIR_OR_FILE...
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Present under ASan and UBSan: called when a sanitizer stops the process.
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

namespace {

using Bytes = std::string;
constexpr size_t kMaxLen = 1 << 16;  // mutants stay small enough to run thousands per second

// The input being run, written by SaveCurrent to g_crash_path when the process dies on it.
const Bytes* g_current = nullptr;
char g_crash_path[256] = "crash.bin";

// Writes `size` bytes, ignoring failure: there is nothing better to do while dying.
void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n <= 0) {
      return;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void SaveCurrent() {
  // Only async-signal-safe calls: this runs in a signal handler or a sanitizer's death path.
  int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0 && g_current != nullptr) {
    WriteAll(fd, g_current->data(), g_current->size());
    close(fd);
  }
  static const char kNote[] = "fuzz_driver: the failing input is in ";
  WriteAll(2, kNote, sizeof(kNote) - 1);
  WriteAll(2, g_crash_path, strlen(g_crash_path));
  WriteAll(2, "\n", 1);
}

void OnFatalSignal(int signal_number) {
  SaveCurrent();
  ::signal(signal_number, SIG_DFL);
  raise(signal_number);
}

void Run(const Bytes& input) {
  g_current = &input;
  // A copy of exactly the input's size, so ASan sees any read past its end.
  std::vector<uint8_t> copy(input.begin(), input.end());
  LLVMFuzzerTestOneInput(copy.data(), copy.size());
}

// A libFuzzer dictionary: one "token" a line, with \\, \" and \xNN escapes; # starts a comment.
std::vector<Bytes> ReadDictionary(const std::string& path) {
  std::vector<Bytes> tokens;
  std::ifstream file(path);
  for (std::string line; std::getline(file, line);) {
    size_t first = line.find('"');
    size_t last = line.rfind('"');
    if (line.empty() || line[0] == '#' || first == std::string::npos || last <= first) {
      continue;
    }
    Bytes token;
    for (size_t i = first + 1; i < last; ++i) {
      if (line[i] == '\\' && i + 1 < last && line[i + 1] == 'x' && i + 3 < last) {
        token.push_back(static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16)));
        i += 3;
      } else if (line[i] == '\\' && i + 1 < last) {
        token.push_back(line[++i]);
      } else {
        token.push_back(line[i]);
      }
    }
    tokens.push_back(token);
  }
  return tokens;
}

// Every file named, and every file in every directory named, in a stable order.
std::vector<Bytes> ReadCorpus(const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const std::string& path : paths) {
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) {
          files.push_back(entry.path());
        }
      }
    } else if (std::filesystem::is_regular_file(path)) {
      files.push_back(path);
    } else {
      std::fprintf(stderr, "fuzz_driver: no corpus at %s\n", path.c_str());
      std::exit(2);
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<Bytes> corpus;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    corpus.push_back(text.str());
  }
  return corpus;
}

class Mutator {
 public:
  Mutator(uint64_t seed, const std::vector<Bytes>& corpus, const std::vector<Bytes>& dictionary)
      : random_(seed), corpus_(corpus), dictionary_(dictionary) {}

  // A seed changed by one to five mutations, each of them cheap and local.
  Bytes Next() {
    Bytes data = corpus_[Below(corpus_.size())];
    for (size_t n = 1 + Below(5); n > 0; --n) {
      MutateOnce(&data);
    }
    if (data.size() > kMaxLen) {
      data.resize(kMaxLen);
    }
    return data;
  }

 private:
  size_t Below(size_t n) { return n == 0 ? 0 : random_() % n; }
  char AnyByte() { return static_cast<char>(random_()); }

  void MutateOnce(Bytes* data) {
    size_t at = Below(data->size() + 1);  // a position, possibly the end
    switch (Below(7)) {
      case 0:  // flip one bit
        if (at < data->size()) {
          (*data)[at] ^= static_cast<char>(1 << Below(8));
        }
        break;
      case 1:  // insert a byte
        data->insert(at, 1, AnyByte());
        break;
      case 2:  // delete a run
        data->erase(at, 1 + Below(16));
        break;
      case 3:  // replace a byte
        if (at < data->size()) {
          (*data)[at] = AnyByte();
        }
        break;
      case 4: {  // copy a run of the input elsewhere into it
        Bytes chunk = data->substr(Below(data->size() + 1), 1 + Below(64));
        data->insert(Below(data->size() + 1), chunk);
        break;
      }
      case 5: {  // splice: this input's head, another's tail
        const Bytes& other = corpus_[Below(corpus_.size())];
        *data = data->substr(0, at) + other.substr(Below(other.size() + 1));
        break;
      }
      default:  // insert a token a parser gives meaning to
        if (!dictionary_.empty()) {
          data->insert(at, dictionary_[Below(dictionary_.size())]);
        }
        break;
    }
  }

  std::mt19937_64 random_;
  const std::vector<Bytes>& corpus_;
  const std::vector<Bytes>& dictionary_;
};

}  // namespace

int main(int argc, char** argv) {
  long runs = 20000;
  uint64_t seed = 1;
  std::vector<Bytes> dictionary;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--runs" || arg == "--seed" || arg == "--dict") && i + 1 < argc) {
      std::string value = argv[++i];
      if (arg == "--runs") {
        runs = std::stol(value);
      } else if (arg == "--seed") {
        seed = std::stoull(value);
      } else {
        dictionary = ReadDictionary(value);
      }
    } else {
      paths.push_back(arg);
    }
  }
  std::vector<Bytes> corpus = ReadCorpus(paths);
  if (corpus.empty()) {
    std::fprintf(stderr, "usage: %s [--runs N] [--seed S] [--dict FILE] CORPUS...\n", argv[0]);
    return 2;  // a test with no seeds would pass without testing anything
  }

  std::string crash_path = "crash-" + std::filesystem::path(argv[0]).filename().string() + ".bin";
  std::snprintf(g_crash_path, sizeof(g_crash_path), "%s", crash_path.c_str());
  // Sanitizers report memory faults themselves and then call the death callback; traps (a
  // broken invariant) and aborts reach the signal handlers.
  for (int signal_number : {SIGABRT, SIGILL}) {
    ::signal(signal_number, OnFatalSignal);
  }
  if (__sanitizer_set_death_callback != nullptr) {
    __sanitizer_set_death_callback(SaveCurrent);
  } else {
    for (int signal_number : {SIGSEGV, SIGBUS, SIGFPE}) {
      ::signal(signal_number, OnFatalSignal);
    }
  }

  auto start = std::chrono::steady_clock::now();
  for (const Bytes& input : corpus) {
    Run(input);
  }
  Mutator mutator(seed, corpus, dictionary);
  for (long i = 0; i < runs; ++i) {
    Bytes input = mutator.Next();
    Run(input);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "fuzz_driver: %zu corpus inputs and %ld mutations (seed %llu, %zu tokens) in %.2f s\n",
      corpus.size(), runs, static_cast<unsigned long long>(seed), dictionary.size(), seconds);
  return 0;
}
