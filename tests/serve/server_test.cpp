// The whole serve layer over real HTTP (cpp-httplib client) against a scripted
// fake Generator: loading 503, reasoning split, streamed == whole, keep-alives,
// disconnect cancellation, queue-full 429, engine failure 500, what the engine
// receives per mode.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "serve/http/http_server.h"
#include "serve_test_util.h"

namespace qvl::serve {
namespace {

using nlohmann::json;

// A hybrid ChatML template: enable_thinking=false pre-fills an empty think block.
const char* kHybrid =
    "{%- for m in messages %}{{- '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}"
    "{%- endif %}";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tok_ = std::make_unique<Tokenizer>(test::make_tokenizer(&v_));
    gen_ = std::make_unique<test::FakeGenerator>();
    gen_->tokenizer = tok_.get();
    gen_->script = {v_.think, v_.hello, v_.world, v_.end_think, v_.nl2, v_.hello, v_.dot, v_.im_end};
    auto cp = std::make_shared<Checkpoint>();
    cp->path = "fake";
    cp->tokenizer = tok_.get();
    cp->generator = gen_.get();
    cp->template_source = kHybrid;
    prepare_checkpoint(*cp);
    auto d = std::make_shared<Deployment>();
    d->spec.name = "fake";
    add_mode_aliases(d->spec);
    d->single = cp;
    ctx_.opt.port = 0;
    ctx_.opt.keepalive_s = 0.05;
    ctx_.router = std::make_shared<Router>(Router::defaults());
    ctx_.registry.add(d);
    http_ = std::make_unique<HttpServer>(ctx_);
    port_ = http_->bind();
    thread_ = std::thread([this] { http_->listen(); });
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  void TearDown() override {
    http_->stop();
    thread_.join();
  }
  httplib::Result post(const json& body, const httplib::Headers& h = {}) {
    return cli_->Post("/v1/chat/completions", h, body.dump(), "application/json");
  }
  json chat_body(const std::string& mode, bool stream = false) {
    return {{"model", "fake"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"reasoning_mode", mode},
            {"stream", stream}, {"max_tokens", 32}};
  }
  // Concatenated SSE deltas of a streamed chat body.
  static std::pair<std::string, std::string> concat(const std::string& sse) {
    std::string reasoning, content;
    size_t pos = 0;
    while ((pos = sse.find("data: ", pos)) != std::string::npos) {
      const size_t end = sse.find("\n\n", pos);
      const std::string data = sse.substr(pos + 6, end - pos - 6);
      pos = end;
      if (data == "[DONE]") break;
      const json j = json::parse(data);
      for (const auto& c : j["choices"]) {
        reasoning += c["delta"].value("reasoning_content", "");
        content += c["delta"].value("content", "");
      }
    }
    return {reasoning, content};
  }

  test::Vocab v_;
  std::unique_ptr<Tokenizer> tok_;
  std::unique_ptr<test::FakeGenerator> gen_;
  ServerContext ctx_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<httplib::Client> cli_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(ServerTest, LoadingThenReady) {
  auto h = cli_->Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 503);
  auto r = post(chat_body("instruct"));
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "model_loading");
  ctx_.ready = true;
  EXPECT_EQ(cli_->Get("/health")->status, 200);
}

TEST_F(ServerTest, ThinkingSplitAndUsage) {
  ctx_.ready = true;
  auto r = post(chat_body("thinking"));
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  const json& m = j["choices"][0]["message"];
  EXPECT_EQ(m["reasoning_content"], "Hello world");
  EXPECT_EQ(m["reasoning"], "Hello world");
  EXPECT_EQ(m["content"], "Hello.");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["usage"]["completion_tokens"], 7);
  EXPECT_EQ(j["usage"]["completion_tokens_details"]["reasoning_tokens"], 4);
  EXPECT_EQ(j["reasoning_mode"]["mode"], "thinking");
  EXPECT_EQ(r->get_header_value("X-Reasoning-Mode-Used"), "thinking; source=body; field=reasoning_mode");
  // the engine got the thinking profile and a budget
  EXPECT_FLOAT_EQ(gen_->last.sampling.temperature, 0.6f);
  EXPECT_GE(gen_->last.thinking.budget, 0);
  EXPECT_FALSE(gen_->last.thinking.starts_open);  // hybrid: the model opens <think> itself
}

TEST_F(ServerTest, InstructPromptClosesThinkAndHasNoBudget) {
  ctx_.ready = true;
  gen_->script = {v_.hello, v_.im_end};
  auto r = post(chat_body("instruct"));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["choices"][0]["message"]["content"], "Hello");
  EXPECT_TRUE(json::parse(r->body)["choices"][0]["message"]["reasoning_content"].is_null());
  EXPECT_EQ(gen_->last.thinking.budget, -1);
  EXPECT_NE(tok_->decode(gen_->last.prompt.tokens).find("<think>\n\n</think>"), std::string::npos);
}

TEST_F(ServerTest, StreamEqualsWholeWithKeepAlive) {
  ctx_.ready = true;
  const json whole = json::parse(post(chat_body("thinking"))->body);
  gen_->first_delay_ms = 300;  // a "long prefill": keep-alive comments (every 50 ms here) must flow
  auto r = post(chat_body("thinking", true));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_NE(r->body.find(": keep-alive\n\n"), std::string::npos);
  const auto [reasoning, content] = concat(r->body);
  EXPECT_EQ(reasoning, whole["choices"][0]["message"]["reasoning_content"]);
  EXPECT_EQ(content, whole["choices"][0]["message"]["content"]);
  EXPECT_NE(r->body.find("data: [DONE]\n\n"), std::string::npos);
  EXPECT_NE(r->body.find("\"finish_reason\":\"stop\""), std::string::npos);
}

TEST_F(ServerTest, DisconnectCancels) {
  ctx_.ready = true;
  gen_->script.assign(500, v_.hello);
  gen_->delay_ms = 5;
  int chunks = 0;
  // A client that gives up after the first chunks:
  httplib::Client c2("127.0.0.1", port_);
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  json b = chat_body("instruct", true);
  b["max_tokens"] = 500;
  req.body = b.dump();
  req.set_header("Content-Type", "application/json");
  const int before = gen_->cancelled.load();
  req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return ++chunks < 3; };
  c2.send(req);
  for (int i = 0; i < 100 && gen_->cancelled.load() == before; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GT(gen_->cancelled.load(), before) << "generation not cancelled after the client left";
}

TEST_F(ServerTest, QueueFullAndEngineErrors) {
  ctx_.ready = true;
  gen_->refuse = true;
  auto r = post(chat_body("instruct"));
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "queue_full");
  gen_->refuse = false;
  gen_->fail = true;
  r = post(chat_body("instruct"));
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(json::parse(r->body)["error"]["type"], "server_error");
  gen_->fail = false;
  EXPECT_EQ(post(chat_body("instruct"))->status, 200);
}

TEST_F(ServerTest, MetricsCountRequestsByModeAndStatus) {
  ctx_.ready = true;
  post(chat_body("thinking"));
  post(chat_body("instruct"));
  post(json{{"messages", 5}});
  const std::string m = cli_->Get("/metrics")->body;
  EXPECT_NE(m.find("qvl_requests_total{endpoint=\"/v1/chat/completions\",mode=\"thinking\",status=\"200\"} 1"),
            std::string::npos) << m;
  EXPECT_NE(m.find("qvl_requests_total{endpoint=\"/v1/chat/completions\",mode=\"none\",status=\"400\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("qvl_reasoning_tokens_total{mode=\"thinking\"} 4"), std::string::npos);
  EXPECT_NE(m.find("qvl_time_to_first_token_seconds_count{mode=\"thinking\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace qvl::serve
