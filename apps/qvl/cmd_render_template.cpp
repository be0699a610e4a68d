// `qvl render-template`: renders a chat template with a JSON conversation the way
// transformers' apply_chat_template would, and prints exactly the result (no trailing
// newline added). Test entry point for tests/input/chat_template.test.mjs.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "apps/qvl/args.h"
#include "apps/qvl/command.h"
#include "base/error.h"
#include "input/chat_template/chat_template.h"

namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  QVL_CHECK(f, "cannot open ", path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int cmd_render_template(const std::vector<std::string>& argv) {
  qvl::app::Args args(argv, {"template", "context", "hf-dir"}, {"help"});
  if (args.has("help")) {
    std::fprintf(stderr,
                 "usage: qvl render-template (--template FILE | --hf-dir DIR) --context FILE.json\n"
                 "  FILE.json: {messages, tools?, add_generation_prompt?, enable_thinking?, ...}\n");
    return 0;
  }
  std::string source;
  if (args.has("hf-dir")) {
    source = qvl::find_chat_template_in_hf_dir(args.get("hf-dir"));
    QVL_CHECK(!source.empty(), "no chat template found in ", args.get("hf-dir"));
  } else {
    source = read_all(args.require("template"));
  }
  std::string ctx_path = args.require("context");
  nlohmann::ordered_json ctx;
  try {
    ctx = nlohmann::ordered_json::parse(read_all(ctx_path));
  } catch (const nlohmann::json::exception& e) {
    QVL_FAIL("malformed JSON in ", ctx_path, ": ", e.what());
  }
  std::string out = qvl::ChatTemplate(source).apply(ctx);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

QVL_COMMAND("render-template", "render a chat template with a JSON conversation (testing)", cmd_render_template);
