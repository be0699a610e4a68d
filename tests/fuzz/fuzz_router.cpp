// Router rules on user text: the first line is a user-supplied RE2 rule (as a
// --router file holds), the rest the prompt routed by it and by the built-in rules.
#include "fuzz_util.h"
#include "serve/modes/router.h"

using namespace qvl;
using namespace qvl::serve;

static const Router* defaults;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  defaults = new Router(Router::defaults());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string s = fuzz::as_string(data, size);
  const size_t nl = s.find('\n');
  const std::string rule = nl == std::string::npos ? s : s.substr(0, nl);
  const std::string text = nl == std::string::npos ? "" : s.substr(nl + 1);
  fuzz::expect_clean([&] {
    defaults->route({text, size % 2 == 1, ""});
    nlohmann::json cfg = {{"rules", {{{"name", "fuzz"}, {"mode", "thinking"}, {"regex", {rule}}}}}};
    const Router r = Router::from_json(cfg);
    r.route({text, false, ""});
  });
  return 0;
}
