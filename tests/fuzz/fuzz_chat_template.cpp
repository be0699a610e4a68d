// Chat messages -> template rendering: a request body's messages, tools and
// chat_template_kwargs rendered with each shipped Qwen template, as the chat
// handler does (parse_messages, template_extras, then the template).
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "fuzz_util.h"
#include "input/chat_template/chat_template.h"
#include "serve/openai/chat_messages.h"
#include "serve/http/request_limits.h"

using namespace qvl;
using namespace qvl::serve;

static std::vector<std::unique_ptr<ChatTemplate>> templates;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const char* name : {"qwen3-hybrid.jinja", "qwen3-vl-instruct.jinja", "qwen3-vl-thinking.jinja"}) {
    std::ifstream f(std::string(QVL_SOURCE_DIR) + "/data/templates/" + name);
    std::stringstream ss;
    ss << f.rdbuf();
    templates.push_back(std::make_unique<ChatTemplate>(ss.str()));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body = fuzz::as_string(data, size);
  fuzz::expect_clean([&] {
    const auto o = parse_bounded_json<nlohmann::ordered_json>(body);
    const ChatInput in = parse_messages(o);
    for (bool thinking : {false, true}) {
      nlohmann::ordered_json ctx = template_extras(o, thinking);
      ctx["messages"] = in.messages;
      ctx["add_generation_prompt"] = true;
      for (const auto& t : templates) fuzz::expect_clean([&] { t->render(ctx); });
    }
  });
  return 0;
}
