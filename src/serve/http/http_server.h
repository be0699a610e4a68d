// The HTTP front: binds cpp-httplib routes to the endpoint handlers, with API-key
// checks, CORS, JSON error bodies for every 4xx/5xx (including httplib's own
// 404 and 413), and a handler guard so a bad request never takes the server down.
#pragma once
#include <memory>

#include "serve/deploy/server_context.h"

namespace httplib {
class Server;
}

namespace qvl::serve {

class HttpServer {
 public:
  explicit HttpServer(ServerContext& ctx);
  ~HttpServer();
  int bind();    // returns the bound port; throws qvl::Error if it cannot bind
  void listen();  // blocks until stop()
  void stop();

 private:
  ServerContext& ctx_;
  std::unique_ptr<httplib::Server> svr_;
};

}  // namespace qvl::serve
