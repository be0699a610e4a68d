// Structured output requests (serve layer): the grammar a chat request asks for,
// in any of the spellings clients send: OpenAI response_format (json_object,
// json_schema), llama.cpp's grammar / json_schema, vLLM's guided_json,
// guided_regex, guided_choice, guided_grammar. Compiled here, on the HTTP thread.
#pragma once
#include <memory>

#include <nlohmann/json.hpp>

#include "grammar/matcher.h"
#include "serve/deploy/checkpoint.h"

namespace qvl::serve {

constexpr int kMaxJsonWhitespace = 20;  // bytes of JSON whitespace per gap in generated JSON

// The compiled grammar of the request body, or null when it asks for none.
// Throws ApiError 400 naming the parameter for a bad, conflicting or
// unsupported one ("unsupported: ..." in the message).
std::shared_ptr<grammar::CompiledGrammar> requested_grammar(const nlohmann::ordered_json& body);

// A fresh matcher over the checkpoint's vocabulary (its token trie is built on
// first use and kept); the checkpoint's stop tokens end a complete grammar.
std::shared_ptr<grammar::Matcher> make_matcher(const Checkpoint& cp, std::shared_ptr<grammar::CompiledGrammar> g);

}  // namespace qvl::serve
