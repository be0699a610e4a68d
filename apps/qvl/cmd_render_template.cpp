// `qvl render-template`: renders a chat template with a JSON conversation the way
// transformers' apply_chat_template would, and prints exactly the result (no trailing
// newline added). `--batch` renders many small {template, context} cases in one run.
// Test entry point for tests/input/chat_template*.test.mjs.
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

nlohmann::ordered_json parse_file(const std::string& path) {
  try {
    return nlohmann::ordered_json::parse(read_all(path));
  } catch (const nlohmann::json::exception& e) {
    QVL_FAIL("malformed JSON in ", path, ": ", e.what());
  }
}

// [{template, context}, ...] -> [{output} | {error}, ...] with contexts used as-is.
int render_batch(const std::string& path) {
  nlohmann::ordered_json cases = parse_file(path), results = nlohmann::ordered_json::array();
  QVL_CHECK(cases.is_array(), path, ": expected an array of {template, context}");
  for (const auto& c : cases) {
    nlohmann::ordered_json r = nlohmann::ordered_json::object();
    try {
      QVL_CHECK(c.is_object() && c.contains("template") && c["template"].is_string(), "case needs a template string");
      nlohmann::ordered_json ctx = c.contains("context") ? c["context"] : nlohmann::ordered_json::object();
      r["output"] = qvl::ChatTemplate(c["template"].get<std::string>()).render(ctx);
    } catch (const qvl::Error& e) {
      r["error"] = e.what();
    }
    results.push_back(std::move(r));
  }
  std::string out = results.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int cmd_render_template(const std::vector<std::string>& argv) {
  qvl::app::Args args(argv, {"template", "context", "hf-dir", "batch"}, {"help"});
  if (args.has("help")) {
    std::fprintf(stderr,
                 "usage: qvl render-template (--template FILE | --hf-dir DIR) --context FILE.json\n"
                 "       qvl render-template --batch CASES.json\n"
                 "  FILE.json: {messages, tools?, add_generation_prompt?, enable_thinking?, ...}\n");
    return 0;
  }
  if (args.has("batch")) return render_batch(args.get("batch"));
  std::string source;
  if (args.has("hf-dir")) {
    source = qvl::find_chat_template_in_hf_dir(args.get("hf-dir"));
    QVL_CHECK(!source.empty(), "no chat template found in ", args.get("hf-dir"));
  } else {
    source = read_all(args.require("template"));
  }
  std::string out = qvl::ChatTemplate(source).apply(parse_file(args.require("context")));
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

QVL_COMMAND("render-template", "render a chat template with a JSON conversation (testing)", cmd_render_template);
