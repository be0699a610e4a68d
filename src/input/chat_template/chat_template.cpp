// ChatTemplate (see chat_template.h): lex + parse once, interpret per render; and the
// lookup of a template inside a Hugging Face model directory.
#include "input/chat_template/chat_template.h"

#include <fstream>
#include <sstream>

#include "base/error.h"
#include "input/chat_template/jinja_ast.h"
#include "input/chat_template/jinja_interpreter.h"
#include "input/chat_template/jinja_lexer.h"

namespace qvl {

struct ChatTemplate::Impl {
  std::string source;
  jinja::NodePtr program;
};

ChatTemplate::ChatTemplate(const std::string& source) : impl_(std::make_unique<Impl>()) {
  impl_->source = source;
  std::string pre = jinja::preprocess(source);
  impl_->program = jinja::parse(jinja::tokenize(source), pre);
}

ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

const std::string& ChatTemplate::source() const { return impl_->source; }

std::string ChatTemplate::render(const nlohmann::ordered_json& context) const {
  if (!context.is_object()) QVL_FAIL("chat template: context must be a JSON object");
  jinja::Value ctx = jinja::from_json(context);
  jinja::Interpreter interp;
  return interp.run(*impl_->program, ctx);
}

std::string ChatTemplate::apply(const nlohmann::ordered_json& conversation) const {
  if (!conversation.is_object()) QVL_FAIL("chat template: conversation must be a JSON object");
  if (!conversation.contains("messages")) QVL_FAIL("chat template: conversation has no 'messages'");
  nlohmann::ordered_json ctx = conversation;
  if (!ctx.contains("tools")) ctx["tools"] = nullptr;
  if (!ctx.contains("documents")) ctx["documents"] = nullptr;
  if (!ctx.contains("add_generation_prompt")) ctx["add_generation_prompt"] = false;
  return render(ctx);
}

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

nlohmann::json parse_json_file(const std::string& path, const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    QVL_FAIL("malformed JSON in ", path, ": ", e.what());
  }
}

std::string template_field(const std::string& path, const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("chat_template")) return "";
  const auto& t = j["chat_template"];
  if (t.is_string()) return t.get<std::string>();
  if (t.is_null()) return "";
  if (t.is_array()) {
    std::string names;
    for (const auto& e : t) {
      if (!e.is_object() || !e.contains("name") || !e.contains("template") || !e["name"].is_string() ||
          !e["template"].is_string()) {
        QVL_FAIL(path, ": chat_template list entries must be {name, template} strings");
      }
      if (e["name"] == "default") return e["template"].get<std::string>();
      names += (names.empty() ? "" : ", ") + e["name"].get<std::string>();
    }
    QVL_FAIL(path, ": chat_template list has no 'default' entry (has: ", names, ")");
  }
  QVL_FAIL(path, ": chat_template must be a string or a list of {name, template}");
}

}  // namespace

std::string find_chat_template_in_hf_dir(const std::string& dir) {
  std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  std::string text;
  if (read_file(base + "chat_template.jinja", text)) return text;
  if (read_file(base + "chat_template.json", text)) {
    std::string t = template_field(base + "chat_template.json", parse_json_file(base + "chat_template.json", text));
    if (!t.empty()) return t;
  }
  if (read_file(base + "tokenizer_config.json", text)) {
    return template_field(base + "tokenizer_config.json", parse_json_file(base + "tokenizer_config.json", text));
  }
  return "";
}

}  // namespace qvl
