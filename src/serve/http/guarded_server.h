// cpp-httplib's Server with its connection loop replaced (the loop is a private
// virtual, the request parser a protected member we call as is): every request's
// head (request line + headers) is read through a GuardedStream that refuses past
// a size cap and a deadline. cpp-httplib 0.11 bounds each header line but not
// their number, so a client could stream hundreds of MB of headers into memory
// (issue 11); now the head is at most kHeadBytes and must arrive within the read
// time-out, and a refused head is answered 431 / 408 by the error handler.
#pragma once
#include <httplib.h>

#include <cstddef>

namespace qvl::serve {

class GuardedServer : public httplib::Server {
 public:
  static constexpr size_t kHeadBytes = 64 << 10;

  // Why the current thread's last request head was refused: 0, 431 or 408.
  static int head_refusal();
  // Called while answering a request whose body was left unread: the connection
  // then ends after the response, with a lingering close (the rest of the body is
  // read and dropped, within limits) so the client can finish sending and read
  // the answer instead of getting a reset.
  static void close_after_response();

 private:
  bool process_and_close_socket(socket_t sock) override;
};

}  // namespace qvl::serve
