// The seam between the HTTP server and what it serves: a function from a request value to a
// response value, so that everything above the wire is testable without sockets.
#pragma once

#include "api/http_request.h"
#include "api/http_response.h"

namespace prevu::api {

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;

  // Answers one complete request. Called on any of the server's threads, concurrently for
  // different connections; it may block (a store write syncs to disk) but must not throw.
  virtual HttpResponse Handle(const HttpRequest& request) = 0;

  // Told about a request the server answered itself before reading it whole (413 body too
  // large, 431 headers too large, 400 malformed), for counting and logging. `request` holds what
  // was parsed of the head, possibly nothing, and never a body. Same threading as Handle().
  virtual void OnRefused(const HttpRequest& request, const HttpResponse& response) {
    (void)request;
    (void)response;
  }
};

}  // namespace prevu::api
