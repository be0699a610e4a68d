// Runs a model's own Jinja chat template (the subset HF chat templates use) with
// Hugging Face's whitespace semantics. Context is JSON: messages, tools,
// add_generation_prompt, enable_thinking, bos_token, ... Unsupported syntax or a
// raise_exception() in the template throw qvl::Error with a clear message.
// Output equals @huggingface/jinja's byte for byte (tests/input/chat_template.test.mjs).
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace qvl {

class ChatTemplate {
 public:
  explicit ChatTemplate(const std::string& source);  // parses; throws on syntax errors
  ~ChatTemplate();
  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;

  // Renders with the context's keys as template variables. Object key order matters
  // (`tool | tojson` prints keys in order), so parse requests into ordered_json; a
  // plain nlohmann::json converts implicitly but arrives with its keys sorted.
  // Thread-safe: a render never mutates the parsed template.
  std::string render(const nlohmann::ordered_json& context) const;

  // transformers' apply_chat_template: `conversation` is {messages, tools?, documents?,
  // add_generation_prompt?, ...kwargs}; tools and documents default to none and
  // add_generation_prompt to false, every other key passes through (enable_thinking, ...).
  std::string apply(const nlohmann::ordered_json& conversation) const;

  const std::string& source() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The chat template of a Hugging Face model directory, looked up as transformers does:
// chat_template.jinja, else chat_template.json's "chat_template", else
// tokenizer_config.json's "chat_template" (a string, or a list of {name, template}
// from which "default" is taken). Returns "" when the directory has none; throws
// qvl::Error when a file exists but is malformed.
std::string find_chat_template_in_hf_dir(const std::string& dir);

}  // namespace qvl
