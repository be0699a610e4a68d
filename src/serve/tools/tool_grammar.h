// The grammar that constrains tool calls (serve layer), in Qwen3's wire format:
//   <tool_call>\n{"name": "<tool>", "arguments": <JSON per the tool's parameters>}\n</tool_call>
// - required / named tool: the answer is one call, or (parallel_tool_calls) calls
//   separated by newlines, and nothing else.
// - auto: free text that never contains "<tool_call>", optionally followed by
//   calls. The free-text part is a small automaton over the bytes matched of the
//   trigger so far, so the trigger cannot appear except where the call grammar
//   takes over: from the moment "<tool_call>" is written, the schema applies
//   (what XGrammar calls a structural tag, here one grammar instead of a switch).
// Each tool's parameters schema goes through the grammar layer's JSON Schema
// front end on its own (its $refs resolve against it) and is spliced in.
#pragma once
#include <memory>
#include <string>

#include "grammar/compiled_grammar.h"
#include "grammar/ir.h"
#include "serve/tools/tool_request.h"

namespace qvl::serve {

inline constexpr const char* kToolCallOpen = "<tool_call>";
inline constexpr const char* kToolCallClose = "</tool_call>";

// The grammar for an active (auto / required / named) tool request. Throws
// ApiError 400 naming tools[i].function.parameters when a schema cannot be compiled.
grammar::Grammar tool_call_grammar(const ToolRequest& tr, int max_json_ws);
std::shared_ptr<grammar::CompiledGrammar> compile_tool_grammar(const ToolRequest& tr, int max_json_ws);

// Copies grammar g's rules into b; returns the element that matches g's root.
grammar::Element splice_grammar(grammar::GrammarBuilder& b, const grammar::Grammar& g, const std::string& prefix);

}  // namespace qvl::serve
