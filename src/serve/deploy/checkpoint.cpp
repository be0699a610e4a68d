// Checkpoint preparation (template probing, special ids) and the model registry.
#include "serve/deploy/checkpoint.h"

#include "base/error.h"
#include <algorithm>

#include "base/log.h"

namespace qvl::serve {

// Used when a checkpoint ships no template: plain ChatML, the Qwen format.
static const char* kChatMl =
    "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

static int32_t token_id(const Tokenizer& tok, const char* s) { return tok.find_token(s); }

std::string render_chat(const Checkpoint& cp, const nlohmann::ordered_json& messages,
                        const nlohmann::ordered_json& extra) {
  nlohmann::ordered_json ctx = extra.is_object() ? extra : nlohmann::ordered_json::object();
  ctx["messages"] = messages;
  ctx["add_generation_prompt"] = true;
  ctx["bos_token"] = cp.bos_token;
  ctx["eos_token"] = cp.eos_token;
  return cp.chat_template->render(ctx);
}

void prepare_checkpoint(Checkpoint& cp) {
  QVL_CHECK(cp.tokenizer && cp.generator, "checkpoint ", cp.path, " is missing its tokenizer or engine");
  const Tokenizer& tok = *cp.tokenizer;
  cp.chat_template = std::make_shared<ChatTemplate>(cp.template_source.empty() ? kChatMl : cp.template_source);
  for (int32_t id = 0; id < tok.vocab_size(); ++id) cp.max_token_bytes = std::max(cp.max_token_bytes, tok.token_bytes(id).size());
  cp.think_start = token_id(tok, "<think>");
  cp.think_end = token_id(tok, "</think>");
  for (const char* s : {"<|im_end|>", "<|endoftext|>"}) {
    const int32_t id = token_id(tok, s);
    if (id >= 0) cp.stop_ids.push_back(id);
  }
  const int32_t eos = tok.data().eos_id;
  if (eos >= 0 && std::find(cp.stop_ids.begin(), cp.stop_ids.end(), eos) == cp.stop_ids.end()) cp.stop_ids.push_back(eos);
  if (eos >= 0) cp.eos_token = tok.token_bytes(eos);
  if (tok.data().bos_id >= 0) cp.bos_token = tok.token_bytes(tok.data().bos_id);
  // Probe: does enable_thinking change the prompt, and does the prompt open <think>?
  const nlohmann::json msgs = nlohmann::json::array({{{"role", "user"}, {"content", "hi"}}});
  const std::string on = render_chat(cp, msgs, {{"enable_thinking", true}});
  const std::string off = render_chat(cp, msgs, {{"enable_thinking", false}});
  cp.hybrid = on != off;
  auto opens = [](const std::string& p) {
    const size_t open = p.rfind("<think>");
    return open != std::string::npos && p.find("</think>", open) == std::string::npos;
  };
  cp.opens_think = opens(on);
  // Probe: does a list of parts (an image and a text) come out with both?
  // Text-only templates throw on a list, or drop what is not text.
  const nlohmann::json parts = nlohmann::json::array(
      {{{"role", "user"}, {"content", {{{"type", "image"}}, {{"type", "text"}, {"text", "qvl-list-probe"}}}}}});
  try {
    const std::string p = render_chat(cp, parts, {{"enable_thinking", false}});
    cp.list_content = p.find("qvl-list-probe") != std::string::npos && p.find("<|image_pad|>") != std::string::npos;
  } catch (const std::exception&) {
    cp.list_content = false;
  }
  log_info("checkpoint ", cp.path, ": template ", cp.hybrid ? "hybrid (enable_thinking)" : "fixed-mode",
           cp.opens_think ? ", prompt opens <think>" : "",
           cp.list_content ? "" : ", text-only (content parts are joined)");
}

const Checkpoint& Deployment::for_mode(Mode* mode, std::string* note) const {
  if (instruct && thinking) return *mode == Mode::kThinking ? *thinking : *instruct;
  const Checkpoint& cp = *single;
  if (!cp.hybrid) {
    // A lone instruct or thinking checkpoint can only run its own mode.
    const Mode fixed = cp.opens_think ? Mode::kThinking : Mode::kInstruct;
    if (fixed != *mode) {
      *note = std::string("checkpoint supports only ") + mode_name(fixed) + " mode";
      *mode = fixed;
    }
  }
  return cp;
}

bool Deployment::has_vision() const {
  for (const auto* c : {single.get(), instruct.get(), thinking.get()})
    if (c && c->vision) return true;
  return false;
}

void ModelRegistry::add(std::shared_ptr<Deployment> d) {
  std::lock_guard<std::mutex> lk(mu_);
  deployments_.push_back(std::move(d));
}

std::optional<ModelRegistry::Found> ModelRegistry::find(const std::string& name) const {
  std::lock_guard<std::mutex> lk(mu_);
  if (deployments_.empty()) return std::nullopt;
  if (name.empty()) return Found{deployments_.front(), std::nullopt, deployments_.front()->spec.name};
  for (const auto& d : deployments_) {
    if (d->spec.name == name) return Found{d, std::nullopt, name};
    auto it = d->spec.aliases.find(name);
    if (it != d->spec.aliases.end()) return Found{d, it->second, name};
  }
  return std::nullopt;
}

std::vector<std::shared_ptr<Deployment>> ModelRegistry::all() const {
  std::lock_guard<std::mutex> lk(mu_);
  return deployments_;
}

std::vector<Generator*> ModelRegistry::generators() const {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<Generator*> g;
  for (const auto& d : deployments_)
    for (const auto* c : {d->single.get(), d->instruct.get(), d->thinking.get()})
      if (c) g.push_back(c->generator);
  return g;
}

void load_deployments(const ServeConfig& cfg, const CheckpointLoader& loader, ModelRegistry& out) {
  for (const auto& spec : cfg.models) {
    auto d = std::make_shared<Deployment>();
    d->spec = spec;
    auto load = [&](const CheckpointSpec& cs) {
      log_info("loading ", cs.path, cs.mmproj.empty() ? "" : " with mmproj " + cs.mmproj);
      auto cp = loader(cs);
      QVL_CHECK(cp, "loading ", cs.path, " returned nothing");
      prepare_checkpoint(*cp);
      return cp;
    };
    if (spec.single) d->single = load(*spec.single);
    else {
      d->instruct = load(*spec.instruct);
      d->thinking = load(*spec.thinking);
    }
    out.add(std::move(d));
  }
}

}  // namespace qvl::serve
