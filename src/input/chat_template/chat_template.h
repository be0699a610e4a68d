// Runs a model's own Jinja chat template (the subset HF chat templates use) with
// Hugging Face's whitespace semantics. Context is JSON: messages, tools,
// add_generation_prompt, enable_thinking, bos_token, ... Unsupported syntax or a
// raise_exception() in the template throw qvl::Error with a clear message.
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

  std::string render(const nlohmann::json& context) const;
  const std::string& source() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qvl
