// The connection loop and socket stream behind GuardedServer (see guarded_server.h).
#include "serve/http/guarded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace qvl::serve {

namespace {

thread_local int tl_head_refusal = 0;
thread_local bool tl_close = false;
using Clock = std::chrono::steady_clock;

int ms_of(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

bool wait_for(socket_t s, short events, int ms) {
  pollfd p{s, events, 0};
  int r;
  do r = ::poll(&p, 1, ms);
  while (r < 0 && errno == EINTR);
  return r > 0 && (p.revents & (events | POLLHUP | POLLERR));
}

constexpr size_t kLingerBytes = 64u << 20;  // dropped at most, after a refused body
constexpr int kLingerMs = 2000;

// Half-closes, then reads and drops what the client still sends (bounded), so a
// response sent before the body was read reaches the client rather than a reset.
void linger(socket_t s) {
  ::shutdown(s, SHUT_WR);
  char buf[16384];
  size_t dropped = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLingerMs);
  while (dropped < kLingerBytes) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_for(s, POLLIN, static_cast<int>(left.count()))) break;
    const ssize_t n = ::recv(s, buf, sizeof buf, 0);
    if (n <= 0) break;
    dropped += static_cast<size_t>(n);
  }
}

void ip_and_port(const sockaddr_storage& a, std::string& ip, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof buf);
    port = ntohs(v4.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &v6.sin6_addr, buf, sizeof buf);
    port = ntohs(v6.sin6_port);
  }
  ip = buf;
}

// One connection's socket, buffered (cpp-httplib reads request lines a byte at a
// time), with the head of each request bounded in bytes and time. The head ends
// at the first empty line; what follows (the body) is bounded by the handlers.
class GuardedStream : public httplib::Stream {
 public:
  GuardedStream(socket_t s, int read_ms, int write_ms) : sock_(s), read_ms_(read_ms), write_ms_(write_ms) {}

  void begin_request() {
    in_head_ = true;
    head_bytes_ = 0;
    tail_ = 0;
    head_deadline_ = Clock::now() + std::chrono::milliseconds(read_ms_);
  }

  bool is_readable() const override { return pos_ < len_ || wait_for(sock_, POLLIN, read_wait_ms()); }
  bool is_writable() const override { return wait_for(sock_, POLLOUT, write_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ == len_) {
      if (!wait_for(sock_, POLLIN, read_wait_ms())) {
        if (in_head_ && head_bytes_ > 0) tl_head_refusal = 408;  // a head begun, then too slow
        return -1;
      }
      ssize_t n;
      do n = ::recv(sock_, buf_, sizeof buf_, 0);
      while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      pos_ = 0;
      len_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, len_ - pos_);
    if (in_head_) {
      // Deliver at most up to the end of the head, so the cap counts head bytes only.
      for (size_t i = 0; i < n; ++i) {
        tail_ = (tail_ << 8) | static_cast<uint8_t>(buf_[pos_ + i]);
        if (++head_bytes_ > GuardedServer::kHeadBytes) {
          tl_head_refusal = 431;
          return -1;
        }
        if (tail_ == 0x0d0a0d0au) {  // CRLF CRLF: cpp-httplib accepts no other head ending
          in_head_ = false;
          n = i + 1;
          break;
        }
      }
    }
    std::memcpy(ptr, buf_ + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t l = sizeof a;
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&a), &l) == 0) ip_and_port(a, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t l = sizeof a;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&a), &l) == 0) ip_and_port(a, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  // While reading a head, never wait past its deadline.
  int read_wait_ms() const {
    if (!in_head_) return read_ms_;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(head_deadline_ - Clock::now()).count();
    return static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(left, read_ms_)));
  }

  socket_t sock_;
  int read_ms_, write_ms_;
  char buf_[4096];
  size_t pos_ = 0, len_ = 0;
  bool in_head_ = true;
  size_t head_bytes_ = 0;
  uint32_t tail_ = 0;
  Clock::time_point head_deadline_;
};

}  // namespace

int GuardedServer::head_refusal() { return tl_head_refusal; }
void GuardedServer::close_after_response() { tl_close = true; }

// Keep-alive loop: up to keep_alive_max_count_ requests per connection, each
// waiting at most keep_alive_timeout_sec_ to start, while the server runs. A
// stream per request, as cpp-httplib does: bytes a refused request left unread in
// the previous stream's buffer are dropped, not parsed as the next request.
bool GuardedServer::process_and_close_socket(socket_t sock) {
  bool ret = false;
  for (size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    if (!wait_for(sock, POLLIN, static_cast<int>(keep_alive_timeout_sec_ * 1000))) break;
    GuardedStream strm(sock, ms_of(read_timeout_sec_, read_timeout_usec_), ms_of(write_timeout_sec_, write_timeout_usec_));
    tl_head_refusal = 0;
    tl_close = false;
    strm.begin_request();
    bool connection_closed = false;
    ret = process_request(strm, left == 1, connection_closed, nullptr);
    if (tl_close || tl_head_refusal) linger(sock);
    if (!ret || connection_closed || tl_close || tl_head_refusal) break;
  }
  tl_head_refusal = 0;
  tl_close = false;
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ret;
}

}  // namespace qvl::serve
