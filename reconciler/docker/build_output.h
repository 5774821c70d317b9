// Follows the JSON lines a build answers with: `stream` text for the log, `aux.ID` for the image
// it made, and `errorDetail` / `error` when it failed (the build's HTTP status is 200 even then).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "reconciler/docker/line_splitter.h"
#include "reconciler/runtime.h"

namespace prevu::reconciler::docker {

class BuildOutput {
 public:
  // `log` receives each line of build output; it may be empty.
  explicit BuildOutput(LogSink log) : log_(std::move(log)) {}

  // Consumes one line of the answer (one JSON object). Lines that are not JSON are logged as text.
  void Consume(absl::string_view json_line);

  // Ends the stream: the image id, or the build's error. An answer with neither is an error too.
  absl::Status Finish();

  const std::string& image_id() const { return image_id_; }

 private:
  void Log(absl::string_view text);

  LogSink log_;
  LineSplitter text_;  // `stream` fields are pieces of text, not always whole lines
  std::string image_id_;
  std::string error_;
};

}  // namespace prevu::reconciler::docker
