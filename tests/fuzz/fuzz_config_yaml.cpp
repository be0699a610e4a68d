// Deployment / router / profile YAML (operator files, but parsed by the same code
// a request never reaches): YAML -> JSON, then the deployment and router readers.
#include "fuzz_util.h"
#include "serve/deploy/config_file.h"
#include "serve/deploy/deployment.h"
#include "serve/modes/router.h"

using namespace qvl;
using namespace qvl::serve;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::as_string(data, size);
  fuzz::expect_clean([&] {
    const nlohmann::json j = parse_yaml(text);
    fuzz::expect_clean([&] { parse_serve_config(j, "/nonexistent"); });
    fuzz::expect_clean([&] { Router::from_json(j); });
  });
  return 0;
}
