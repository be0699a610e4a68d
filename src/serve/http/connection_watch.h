// Notices that the client of an in-flight HTTP request has hung up, so its
// generation can be cancelled at once (cpp-httplib 0.11 exposes no socket to
// handlers). Finds the request's socket by its address pair and polls it for
// a peer shutdown (POLLRDHUP). Linux-only; if the socket cannot be found it
// reports "open" and streaming writes still catch the disconnect.
#pragma once
#include <string>

namespace qvl::serve {

class ConnectionWatch {
 public:
  ConnectionWatch(const std::string& local_addr, int local_port, const std::string& remote_addr, int remote_port);
  bool closed() const;  // cheap: one poll() with zero timeout
  bool found() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace qvl::serve
