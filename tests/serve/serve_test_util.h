// Test fixtures for the serve layer: a byte-level tokenizer with a few words and
// the Qwen special tokens, and a scripted fake Generator that streams tokens on
// its own threads like the real engine (honouring max_tokens, stop tokens and
// cancellation).
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "engine/generator.h"
#include "input/tokenizer/tokenizer.h"

namespace qvl::serve::test {

// GPT-2 byte -> unicode mapping, written out so ids 0..255 are the 256 bytes.
inline std::string byte_piece(int b) {
  auto printable = [](int x) { return (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255); };
  int cp = b;
  if (!printable(b)) {
    int n = 0;
    for (int x = 0; x < b; ++x)
      if (!printable(x)) ++n;
    cp = 256 + n;
  }
  std::string s;
  if (cp < 0x80) s += static_cast<char>(cp);
  else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

struct Vocab {
  int32_t hello, world, dot, nl2, think, end_think, im_start, im_end, eot;
};

inline Tokenizer make_tokenizer(Vocab* v) {
  TokenizerData d;
  for (int b = 0; b < 256; ++b) {
    d.tokens.push_back(byte_piece(b));
    d.token_types.push_back(TokenType::kNormal);
  }
  auto add = [&](const std::string& piece, TokenType t) {
    d.tokens.push_back(piece);
    d.token_types.push_back(t);
    return static_cast<int32_t>(d.tokens.size() - 1);
  };
  v->hello = add("Hello", TokenType::kNormal);
  v->world = add("\xC4\xA0world", TokenType::kNormal);  // "Ġworld" = " world"
  v->dot = add(".", TokenType::kNormal) ;
  v->nl2 = add("\xC4\x8A\xC4\x8A", TokenType::kNormal);  // "ĊĊ" = "\n\n"
  v->think = add("<think>", TokenType::kUserDefined);
  v->end_think = add("</think>", TokenType::kUserDefined);
  v->im_start = add("<|im_start|>", TokenType::kControl);
  v->im_end = add("<|im_end|>", TokenType::kControl);
  v->eot = add("<|endoftext|>", TokenType::kControl);
  d.eos_id = v->im_end;
  return Tokenizer(d);
}

// Emits `script` (cut at max_tokens / a stop token) with `delay_ms` between tokens.
class FakeGenerator : public Generator {
 public:
  std::vector<int32_t> script;
  const Tokenizer* tokenizer = nullptr;  // gives TokenEvent::text, as the engine does
  int first_delay_ms = 0, delay_ms = 0;
  bool refuse = false;      // submit() throws, as a full queue does
  bool fail = false;        // finishes with kError
  std::atomic<int> cancelled{0};
  std::mutex mu;
  GenerationRequest last;   // copy of the last request (without callbacks)

  ~FakeGenerator() override {
    for (auto& t : threads_) t.join();
  }
  uint64_t submit(GenerationRequest req) override {
    if (refuse) QVL_FAIL("queue full");
    std::lock_guard<std::mutex> lk(mu);
    last = req;
    const uint64_t id = ++next_;
    auto r = std::make_shared<GenerationRequest>(std::move(req));
    threads_.emplace_back([this, r, id] { run(*r, id); });
    return id;
  }
  void cancel(uint64_t id) override {
    std::lock_guard<std::mutex> lk(mu);
    cancel_ids_.push_back(id);
    ++cancelled;
  }
  int queue_depth() const override { return 0; }
  int running() const override { return running_; }
  int context_length() const override { return 512; }

 private:
  bool is_cancelled(uint64_t id) {
    std::lock_guard<std::mutex> lk(mu);
    for (auto c : cancel_ids_)
      if (c == id) return true;
    return false;
  }
  void run(GenerationRequest& r, uint64_t id) {
    ++running_;
    std::this_thread::sleep_for(std::chrono::milliseconds(first_delay_ms));
    GenerationResult res;
    res.prompt_tokens = static_cast<int>(r.prompt.tokens.size());
    res.finish = FinishReason::kLength;
    std::unique_ptr<IncrementalDecoder> dec;
    if (tokenizer) dec = std::make_unique<IncrementalDecoder>(*tokenizer, true);
    for (size_t i = 0; i < script.size(); ++i) {
      if (is_cancelled(id)) { res.finish = FinishReason::kCancelled; break; }
      if (static_cast<int>(i) >= r.max_tokens) break;
      const int32_t t = script[i];
      bool stop = false;
      for (int32_t s : r.stop_tokens) stop = stop || s == t;
      if (stop) { res.finish = FinishReason::kStop; break; }
      TokenEvent ev;
      ev.token = t;
      if (dec) ev.text = dec->push(t);
      ev.logprob = -0.5f;
      for (int k = 0; k < r.sampling.n_logprobs; ++k) ev.top.push_back({t, -0.5f - k});
      if (!r.on_token(ev)) { res.finish = FinishReason::kCancelled; break; }
      ++res.completion_tokens;
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    }
    if (fail) {
      res.finish = FinishReason::kError;
      res.error = "scripted failure";
    }
    --running_;
    r.on_done(res);
  }
  std::vector<std::thread> threads_;
  std::vector<uint64_t> cancel_ids_;
  uint64_t next_ = 0;
  std::atomic<int> running_{0};
};

}  // namespace qvl::serve::test
