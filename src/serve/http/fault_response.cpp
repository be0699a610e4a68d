// answer_fault: see fault_response.h.
#include "serve/http/fault_response.h"

#include <httplib.h>

#include <new>

#include "base/log.h"
#include "serve/deploy/server_context.h"
#include "serve/http/api_error.h"
#include "serve/openai/completion_runner.h"

namespace qvl::serve {

namespace {

void internal_error(const httplib::Request& req, httplib::Response& res, const char* what) {
  const std::string id = new_request_id("req-");
  log_error("internal error [", id, "] on ", req.method, " ", req.path, ": ", what);
  res.set_header("X-Request-Id", id);
  send_json(res, 500, error_body(500, "internal server error (request id " + id + ")", "", "internal_error"));
}

}  // namespace

void answer_fault(const httplib::Request& req, httplib::Response& res, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const ApiError& a) {
    send_json(res, a.status(), error_body(a));
  } catch (const std::bad_alloc&) {
    internal_error(req, res, "out of memory");
  } catch (const std::exception& x) {  // qvl::Error too: validation throws ApiError
    internal_error(req, res, x.what());
  } catch (...) {
    internal_error(req, res, "unknown exception");
  }
}

}  // namespace qvl::serve
