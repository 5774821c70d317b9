// See build_output.h.
#include "reconciler/docker/build_output.h"

#include "absl/strings/str_cat.h"
#include "controller/base/strings.h"
#include "nlohmann/json.hpp"

namespace prevu::reconciler::docker {
namespace {

std::string StringField(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) {
    return "";
  }
  return it->get<std::string>();
}

}  // namespace

void BuildOutput::Consume(absl::string_view json_line) {
  nlohmann::json line = nlohmann::json::parse(ToStd(json_line), nullptr, false);
  if (!line.is_object()) {
    Log(absl::StrCat(json_line, "\n"));
    return;
  }

  // Docker sends both `errorDetail.message` and the older `error`; they carry the same words.
  std::string error;
  auto detail = line.find("errorDetail");
  if (detail != line.end() && detail->is_object()) {
    error = StringField(*detail, "message");
  }
  if (error.empty()) {
    error = StringField(line, "error");
  }
  if (!error.empty()) {
    error_ = error;
    Log(absl::StrCat("ERROR: ", error, "\n"));
    return;
  }

  auto aux = line.find("aux");
  if (aux != line.end() && aux->is_object() && aux->contains("ID")) {
    image_id_ = StringField(*aux, "ID");
  }
  Log(StringField(line, "stream"));
  std::string status = StringField(line, "status");
  if (!status.empty()) {
    Log(absl::StrCat(status, "\n"));
  }
}

absl::Status BuildOutput::Finish() {
  text_.Flush([&](absl::string_view l) {
    if (log_) {
      log_(l);
    }
  });
  if (!error_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("docker build failed: ", error_));
  }
  if (image_id_.empty()) {
    return absl::UnknownError("docker build ended without reporting an image id");
  }
  return absl::OkStatus();
}

void BuildOutput::Log(absl::string_view text) {
  if (text.empty()) {
    return;
  }
  text_.Feed(text, [&](absl::string_view l) {
    if (log_) {
      log_(l);
    }
  });
}

}  // namespace prevu::reconciler::docker
