// See docker_client.h. Each call is one HTTP/1.1 exchange on its own Unix socket connection and
// its own io_context: the asynchronous operations are driven one at a time by Exchange::Await,
// which is where deadlines and cancellation close the socket.
#include "reconciler/docker/docker_client.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "controller/base/asio.h"
#include "controller/base/strings.h"
#include "reconciler/docker/build_output.h"
#include "reconciler/docker/docker_error.h"
#include "reconciler/docker/line_splitter.h"
#include "reconciler/docker/log_demuxer.h"

namespace prevu::reconciler::docker {
namespace {

using Socket = asio::local::stream_protocol::socket;

constexpr size_t kMaxCollected = size_t{64} << 20;  // a listing of thousands of objects fits
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kMaxJsonLine = size_t{1} << 20;
constexpr auto kPollInterval = std::chrono::milliseconds(50);

http::verb VerbOf(Method method) {
  switch (method) {
    case Method::kGet:
      return http::verb::get;
    case Method::kPost:
      return http::verb::post;
    case Method::kDelete:
      return http::verb::delete_;
  }
  return http::verb::get;
}

// One request and its answer on a fresh connection.
class Exchange {
 public:
  Exchange(const std::string& socket_path, absl::Time deadline, const CancelToken* cancel)
      : socket_path_(socket_path), deadline_(deadline), cancel_(cancel) {
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
  }

  absl::Status Connect() {
    asio::local::stream_protocol::endpoint endpoint(socket_path_);
    absl::Status status =
        Await("connect", [&](auto handler) { socket_.async_connect(endpoint, handler); });
    if (!status.ok() && status.code() == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError(absl::StrCat(
          "cannot connect to the Docker daemon at ", socket_path_, ": ", status.message(),
          "; is dockerd running, and may Prevu use its socket? ([docker] socket)"));
    }
    return status;
  }

  absl::Status Write(http::request<http::string_body>& request) {
    request.prepare_payload();
    return Await("send request",
                 [&](auto handler) { http::async_write(socket_, request, handler); });
  }

  // Sends the header, then each piece from `source` as one chunk (RFC 9112 section 7.1).
  absl::Status WriteChunked(http::request<http::empty_body>& request, const BodySource& source) {
    request.chunked(true);
    http::request_serializer<http::empty_body> serializer(request);
    absl::Status status = Await("send request", [&](auto handler) {
      http::async_write_header(socket_, serializer, handler);
    });
    if (!status.ok()) {
      return status;
    }

    status = source([&](absl::string_view piece) {
      if (piece.empty()) {
        return absl::OkStatus();
      }
      return Await("send request body", [&](auto handler) {
        asio::async_write(socket_, http::make_chunk(asio::const_buffer(piece.data(), piece.size())),
                          handler);
      });
    });
    if (!status.ok()) {
      return status;
    }
    return Await("send request body", [&](auto handler) {
      asio::async_write(socket_, http::make_chunk_last(), handler);
    });
  }

  absl::StatusOr<int> ReadHeader() {
    absl::Status status = Await("read answer", [&](auto handler) {
      http::async_read_header(socket_, buffer_, parser_, handler);
    });
    if (!status.ok()) {
      return status;
    }
    return parser_.get().result_int();
  }

  // Hands the body to `sink` in pieces of at most kReadChunk bytes, as they arrive.
  absl::Status ReadBody(const ChunkSink& sink) {
    std::array<char, kReadChunk> chunk;
    while (!parser_.is_done()) {
      parser_.get().body().data = chunk.data();
      parser_.get().body().size = chunk.size();
      absl::Status status = Await("read answer", [&](auto handler) {
        http::async_read_some(socket_, buffer_, parser_, handler);
      });
      if (!status.ok()) {
        return status;
      }

      size_t size = chunk.size() - parser_.get().body().size;
      if (size > 0) {
        status = sink(absl::string_view(chunk.data(), size));
        if (!status.ok()) {
          return status;
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  // Starts one asynchronous operation and runs the io_context until it completes, closing the
  // socket (which completes it with operation_aborted) on the deadline or on cancellation.
  template <typename Start>
  absl::Status Await(absl::string_view what, Start&& start) {
    bool done = false;
    beast::error_code result;
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });

    absl::Status stopped;
    ioc_.restart();
    while (!done) {
      if (stopped.ok()) {
        stopped = CheckStop(what);
        if (!stopped.ok()) {
          beast::error_code ignored;
          socket_.close(ignored);
        }
      }
      ioc_.run_one_for(kPollInterval);
    }

    if (!stopped.ok()) {
      return stopped;
    }
    // A full buffer_body is how a streamed read hands over a piece; it is not a failure.
    if (result && result != http::error::need_buffer) {
      return absl::UnavailableError(absl::StrCat(what, ": ", result.message()));
    }
    return absl::OkStatus();
  }

  absl::Status CheckStop(absl::string_view what) const {
    if (cancel_ != nullptr && cancel_->cancelled()) {
      return absl::CancelledError(absl::StrCat("cancelled during ", what));
    }
    if (absl::Now() >= deadline_) {
      return absl::DeadlineExceededError(
          absl::StrCat("the Docker daemon did not finish in time (", what, ")"));
    }
    return absl::OkStatus();
  }

  const std::string& socket_path_;
  const absl::Time deadline_;
  const CancelToken* const cancel_;
  asio::io_context ioc_{1};
  Socket socket_{ioc_};
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
};

std::string Target(absl::string_view version, const DockerRequest& request) {
  std::string target = version.empty() ? request.path : absl::StrCat("/v", version, request.path);
  char separator = '?';
  for (const auto& [key, value] : request.query) {
    absl::StrAppend(&target, absl::string_view(&separator, 1), key, "=", QueryEscape(value));
    separator = '&';
  }
  return target;
}

absl::Status SendRequest(Exchange& exchange, const DockerRequest& request,
                         const std::string& target) {
  if (request.body_source) {
    http::request<http::empty_body> head(VerbOf(request.method), ToStd(target), 11);
    head.set(http::field::host, "docker");
    head.set(http::field::content_type, request.content_type);
    return exchange.WriteChunked(head, request.body_source);
  }

  http::request<http::string_body> full(VerbOf(request.method), ToStd(target), 11);
  full.set(http::field::host, "docker");
  if (!request.body.empty()) {
    full.set(http::field::content_type, request.content_type);
    full.body() = request.body;
  }
  return exchange.Write(full);
}

// Runs one exchange. With `stream`, a 2xx body goes to it as it arrives; any other body is
// collected into the answer.
absl::StatusOr<DockerResponse> Transfer(const std::string& socket_path, absl::string_view version,
                                        const DockerRequest& request, absl::Duration timeout,
                                        const ChunkSink* stream) {
  Exchange exchange(socket_path, absl::Now() + timeout, request.cancel);
  absl::Status status = exchange.Connect();
  if (!status.ok()) {
    return status;
  }

  // The daemon may answer and close early (a bad parameter) while the body is still being sent;
  // its answer is then the better error, so it is read before giving up.
  absl::Status sent = SendRequest(exchange, request, Target(version, request));
  if (!sent.ok() && sent.code() != absl::StatusCode::kUnavailable) {
    return sent;
  }
  absl::StatusOr<int> code = exchange.ReadHeader();
  if (!code.ok()) {
    return sent.ok() ? code.status() : sent;
  }

  DockerResponse response;
  response.status = *code;
  bool streaming = stream != nullptr && *code / 100 == 2;
  status = exchange.ReadBody([&](absl::string_view chunk) {
    if (streaming) {
      return (*stream)(chunk);
    }
    if (response.body.size() + chunk.size() > kMaxCollected) {
      return absl::ResourceExhaustedError("the Docker daemon's answer is larger than 64 MiB");
    }
    response.body.append(chunk.data(), chunk.size());
    return absl::OkStatus();
  });
  if (!status.ok()) {
    return status;
  }
  return response;
}

absl::StatusOr<nlohmann::json> ParseJson(const DockerResponse& response, absl::string_view what) {
  nlohmann::json parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) {
    return absl::InternalError(
        absl::StrCat(what, ": the Docker daemon answered with invalid JSON"));
  }
  return parsed;
}

// Ids, names and image references go into the request path; anything that could end or escape
// the path is refused rather than sent.
absl::Status CheckPathPart(absl::string_view part, absl::string_view what) {
  bool bad = part.empty() || part.find_first_of("?#% \t\r\n") != absl::string_view::npos ||
             part.find("..") != absl::string_view::npos;
  if (bad) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": invalid Docker object name \"", absl::CHexEscape(part), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ParseApiMinor(absl::string_view version) {
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(version, '.');
  int major = 0;
  int minor = 0;
  if (!absl::SimpleAtoi(parts.first, &major) || !absl::SimpleAtoi(parts.second, &minor) ||
      major != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("the Docker daemon reports an unknown API version \"", version, "\""));
  }
  return minor;
}

// A string field of an answer object, or "" (never a json exception).
std::string FieldOf(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) {
    return "";
  }
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string FormatUnixTime(absl::Time t) {
  int64_t nanos = absl::ToUnixNanos(t);
  return absl::StrFormat("%d.%09d", nanos / 1'000'000'000, nanos % 1'000'000'000);
}

}  // namespace

std::string EncodeFilters(const Filters& filters) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [key, values] : filters) {
    json[key] = values;
  }
  return json.dump();
}

std::string QueryEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

DockerClient::DockerClient(Options options) : options_(std::move(options)) {}

absl::StatusOr<std::string> DockerClient::ApiVersion() {
  absl::MutexLock lock(&mu_);
  if (!api_version_.empty()) {
    return api_version_;
  }

  DockerRequest ping{.path = "/_ping"};
  absl::StatusOr<DockerResponse> pong =
      Transfer(options_.socket_path, "", ping, options_.timeout, nullptr);
  if (!pong.ok()) {
    return pong.status();
  }
  if (pong->status != 200) {
    return DockerError(pong->status, pong->body, "docker ping");
  }

  DockerRequest version{.path = "/version"};
  absl::StatusOr<DockerResponse> answer =
      Transfer(options_.socket_path, "", version, options_.timeout, nullptr);
  if (!answer.ok()) {
    return answer.status();
  }
  absl::StatusOr<nlohmann::json> info = ParseJson(*answer, "docker version");
  if (!info.ok()) {
    return info.status();
  }
  absl::StatusOr<int> minor = ParseApiMinor(FieldOf(*info, "ApiVersion"));
  if (!minor.ok()) {
    return minor.status();
  }
  if (*minor < kMinApiMinor) {
    return absl::FailedPreconditionError(absl::StrCat("the Docker daemon speaks Engine API 1.",
                                                      *minor, "; Prevu needs 1.", kMinApiMinor,
                                                      " or newer (Docker 20.10 or later)"));
  }
  api_version_ = absl::StrCat("1.", std::min(*minor, kMaxApiMinor));
  return api_version_;
}

absl::StatusOr<DockerResponse> DockerClient::Send(const DockerRequest& request) {
  absl::StatusOr<std::string> version = ApiVersion();
  if (!version.ok()) {
    return version.status();
  }
  absl::Duration timeout =
      request.timeout == absl::ZeroDuration() ? options_.timeout : request.timeout;
  return Transfer(options_.socket_path, *version, request, timeout, nullptr);
}

absl::Status DockerClient::Stream(const DockerRequest& request, const ChunkSink& sink) {
  absl::StatusOr<std::string> version = ApiVersion();
  if (!version.ok()) {
    return version.status();
  }
  absl::Duration timeout =
      request.timeout == absl::ZeroDuration() ? options_.timeout : request.timeout;
  absl::StatusOr<DockerResponse> response =
      Transfer(options_.socket_path, *version, request, timeout, &sink);
  if (!response.ok()) {
    return response.status();
  }
  if (response->status / 100 != 2) {
    return DockerError(response->status, response->body, absl::StrCat("docker ", request.path));
  }
  return absl::OkStatus();
}

absl::Status DockerClient::Expect(const DockerRequest& request, absl::string_view what) {
  absl::StatusOr<DockerResponse> response = Send(request);
  if (!response.ok()) {
    return response.status();
  }
  // 304 is Docker's "already in that state" (a started container started again).
  if (response->status / 100 != 2 && response->status != 304) {
    return DockerError(response->status, response->body, what);
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> DockerClient::GetJson(const std::string& path,
                                                     const Filters& filters,
                                                     absl::string_view what) {
  DockerRequest request{.path = path};
  if (!filters.empty()) {
    request.query["filters"] = EncodeFilters(filters);
  }
  if (path == "/containers/json") {
    request.query["all"] = "1";
  }
  return SendForJson(request, 200, what);
}

absl::StatusOr<nlohmann::json> DockerClient::SendForJson(const DockerRequest& request,
                                                         int expected_status,
                                                         absl::string_view what) {
  absl::StatusOr<DockerResponse> response = Send(request);
  if (!response.ok()) {
    return response.status();
  }
  if (response->status != expected_status) {
    return DockerError(response->status, response->body, what);
  }
  return ParseJson(*response, what);
}

absl::StatusOr<std::string> DockerClient::BuildImage(
    const std::map<std::string, std::string>& query, const BodySource& context,
    const LogSink& on_line, const CancelToken& cancel) {
  DockerRequest request{.method = Method::kPost,
                        .path = "/build",
                        .query = query,
                        .body_source = context,
                        .content_type = "application/x-tar",
                        .timeout = options_.build_timeout,
                        .cancel = &cancel};
  BuildOutput output(on_line);
  LineSplitter lines(kMaxJsonLine);
  absl::Status status = Stream(request, [&](absl::string_view chunk) {
    lines.Feed(chunk, [&](absl::string_view line) { output.Consume(line); });
    return absl::OkStatus();
  });
  if (!status.ok()) {
    return status;
  }

  lines.Flush([&](absl::string_view line) { output.Consume(line); });
  status = output.Finish();
  if (!status.ok()) {
    return status;
  }
  return output.image_id();
}

absl::StatusOr<nlohmann::json> DockerClient::InspectImage(const std::string& id) {
  absl::Status valid = CheckPathPart(id, "inspect image");
  if (!valid.ok()) {
    return valid;
  }
  return GetJson(absl::StrCat("/images/", id, "/json"), {}, absl::StrCat("inspect image ", id));
}

absl::StatusOr<nlohmann::json> DockerClient::ListImages(const Filters& filters) {
  return GetJson("/images/json", filters, "list images");
}

absl::Status DockerClient::RemoveImage(const std::string& id) {
  absl::Status valid = CheckPathPart(id, "remove image");
  if (!valid.ok()) {
    return valid;
  }
  // force: an image built twice with the same result carries several tags; running containers
  // still keep it (Docker refuses with 409 then).
  DockerRequest request{
      .method = Method::kDelete, .path = absl::StrCat("/images/", id), .query = {{"force", "1"}}};
  return Expect(request, absl::StrCat("remove image ", id));
}

absl::Status DockerClient::PruneImages(const Filters& filters) {
  DockerRequest request{.method = Method::kPost,
                        .path = "/images/prune",
                        .query = {{"filters", EncodeFilters(filters)}}};
  return Expect(request, "prune images");
}

absl::StatusOr<std::string> DockerClient::CreateContainer(const std::string& name,
                                                          const nlohmann::json& config) {
  std::string what = absl::StrCat("create container ", name);
  DockerRequest request{.method = Method::kPost,
                        .path = "/containers/create",
                        .query = {{"name", name}},
                        .body = config.dump()};
  absl::StatusOr<nlohmann::json> created = SendForJson(request, 201, what);
  if (!created.ok()) {
    return created.status();
  }
  return FieldOf(*created, "Id");
}

absl::Status DockerClient::StartContainer(const std::string& id) {
  absl::Status valid = CheckPathPart(id, "start container");
  if (!valid.ok()) {
    return valid;
  }
  DockerRequest request{.method = Method::kPost,
                        .path = absl::StrCat("/containers/", id, "/start")};
  return Expect(request, absl::StrCat("start container ", id));
}

absl::Status DockerClient::StopContainer(const std::string& id, absl::Duration grace) {
  absl::Status valid = CheckPathPart(id, "stop container");
  if (!valid.ok()) {
    return valid;
  }
  DockerRequest request{.method = Method::kPost,
                        .path = absl::StrCat("/containers/", id, "/stop"),
                        .query = {{"t", absl::StrCat(absl::ToInt64Seconds(grace))}},
                        .timeout = options_.timeout + grace};
  return Expect(request, absl::StrCat("stop container ", id));
}

absl::Status DockerClient::RemoveContainer(const std::string& id) {
  absl::Status valid = CheckPathPart(id, "remove container");
  if (!valid.ok()) {
    return valid;
  }
  DockerRequest request{.method = Method::kDelete,
                        .path = absl::StrCat("/containers/", id),
                        .query = {{"force", "1"}, {"v", "1"}}};
  return Expect(request, absl::StrCat("remove container ", id));
}

absl::StatusOr<nlohmann::json> DockerClient::InspectContainer(const std::string& id) {
  absl::Status valid = CheckPathPart(id, "inspect container");
  if (!valid.ok()) {
    return valid;
  }
  return GetJson(absl::StrCat("/containers/", id, "/json"), {},
                 absl::StrCat("inspect container ", id));
}

absl::StatusOr<nlohmann::json> DockerClient::ListContainers(const Filters& filters) {
  return GetJson("/containers/json", filters, "list containers");
}

absl::Status DockerClient::ContainerLogs(const std::string& id, int tail, const LogSink& on_line) {
  absl::Status valid = CheckPathPart(id, "container logs");
  if (!valid.ok()) {
    return valid;
  }
  // Prevu's containers never have a TTY, so the answer is always multiplexed.
  DockerRequest request{
      .path = absl::StrCat("/containers/", id, "/logs"),
      .query = {{"stdout", "1"}, {"stderr", "1"}, {"tail", absl::StrCat(std::max(tail, 0))}}};
  LogDemuxer demuxer([&](int, absl::string_view line) { on_line(line); });
  absl::Status status = Stream(request, [&](absl::string_view chunk) {
    demuxer.Feed(chunk);
    return absl::OkStatus();
  });
  demuxer.Flush();
  return status;
}

absl::StatusOr<int64_t> DockerClient::WaitContainer(const std::string& id, absl::Duration timeout) {
  absl::Status valid = CheckPathPart(id, "wait for container");
  if (!valid.ok()) {
    return valid;
  }
  std::string what = absl::StrCat("wait for container ", id);
  DockerRequest request{.method = Method::kPost,
                        .path = absl::StrCat("/containers/", id, "/wait"),
                        .query = {{"condition", "not-running"}},
                        .timeout = timeout};
  absl::StatusOr<nlohmann::json> result = SendForJson(request, 200, what);
  if (!result.ok()) {
    return result.status();
  }
  auto code = result->is_object() ? result->find("StatusCode") : result->end();
  if (code == result->end() || !code->is_number_integer()) {
    return absl::InternalError(absl::StrCat(what, ": the Docker daemon gave no exit code"));
  }
  return code->get<int64_t>();
}

absl::StatusOr<std::string> DockerClient::CreateNetwork(
    const std::string& name, const std::map<std::string, std::string>& labels) {
  std::string what = absl::StrCat("create network ", name);
  nlohmann::json config = {
      {"Name", name}, {"CheckDuplicate", true}, {"Driver", "bridge"}, {"Labels", labels}};
  DockerRequest request{.method = Method::kPost, .path = "/networks/create", .body = config.dump()};
  absl::StatusOr<nlohmann::json> created = SendForJson(request, 201, what);
  if (!created.ok()) {
    return created.status();
  }
  return FieldOf(*created, "Id");
}

absl::Status DockerClient::RemoveNetwork(const std::string& id) {
  absl::Status valid = CheckPathPart(id, "remove network");
  if (!valid.ok()) {
    return valid;
  }
  DockerRequest request{.method = Method::kDelete, .path = absl::StrCat("/networks/", id)};
  return Expect(request, absl::StrCat("remove network ", id));
}

absl::StatusOr<nlohmann::json> DockerClient::ListNetworks(const Filters& filters) {
  return GetJson("/networks", filters, "list networks");
}

absl::Status DockerClient::ConnectNetwork(const std::string& network,
                                          const std::string& container) {
  absl::Status valid = CheckPathPart(network, "connect network");
  if (!valid.ok()) {
    return valid;
  }
  nlohmann::json body = {{"Container", container}};
  DockerRequest request{.method = Method::kPost,
                        .path = absl::StrCat("/networks/", network, "/connect"),
                        .body = body.dump()};
  return Expect(request, absl::StrCat("connect container ", container, " to network ", network));
}

absl::Status DockerClient::StreamEvents(const Filters& filters, absl::Time since, absl::Time until,
                                        const std::function<void(const nlohmann::json&)>& on_event,
                                        const CancelToken& cancel) {
  DockerRequest request{
      .path = "/events",
      .query = {{"filters", EncodeFilters(filters)},
                {"since", FormatUnixTime(since)},
                {"until", FormatUnixTime(until)}},
      .timeout = std::max(until - absl::Now(), absl::ZeroDuration()) + options_.timeout,
      .cancel = &cancel};
  LineSplitter lines(kMaxJsonLine);
  auto decode = [&](absl::string_view line) {
    nlohmann::json event = nlohmann::json::parse(ToStd(line), nullptr, false);
    if (event.is_object()) {
      on_event(event);
    }
  };
  absl::Status status = Stream(request, [&](absl::string_view chunk) {
    lines.Feed(chunk, decode);
    return absl::OkStatus();
  });
  lines.Flush(decode);
  return status;
}

}  // namespace prevu::reconciler::docker
