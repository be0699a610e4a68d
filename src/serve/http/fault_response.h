// Which side a failed request's exception blames, and the response for it. Client
// faults are ApiError (4xx, thrown where the request is validated: parsers, the
// vision hook's decoders, the handlers). Anything else escaping a handler, a bare
// qvl::Error included, is an internal fault: 500 with a request id that is also
// in the log line, so an operator can match a user's report to its cause without
// the client seeing internals. Never 4xx for our own bug, never 500 for bad input.
#pragma once
#include <exception>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace qvl::serve {

// Answers res for the exception e, thrown while handling req.
void answer_fault(const httplib::Request& req, httplib::Response& res, std::exception_ptr e);

}  // namespace qvl::serve
