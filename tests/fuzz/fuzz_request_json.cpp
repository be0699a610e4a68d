// Request body -> parameters: the bounded JSON parser, the OpenAI field checks and
// the chat message normaliser, exactly as the chat and completions handlers run them.
#include "fuzz_util.h"
#include "serve/openai/chat_messages.h"
#include "serve/http/request_limits.h"
#include "serve/openai/request_params.h"

using namespace qvl;
using namespace qvl::serve;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body = fuzz::as_string(data, size);
  fuzz::expect_clean([&] {
    const auto j = parse_bounded_json<nlohmann::json>(body);
    const ServerLimits limits;
    fuzz::expect_clean([&] { parse_request_params(j, true, limits); });
    fuzz::expect_clean([&] { parse_request_params(j, false, limits); });
    const auto o = parse_bounded_json<nlohmann::ordered_json>(body);
    fuzz::expect_clean([&] { parse_messages(o); });
    fuzz::expect_clean([&] { template_extras(o, true); });
  });
  return 0;
}
