// tool_call_grammar: the envelope around each tool's compiled parameters schema,
// and the trigger-excluding free text of auto mode.
#include "serve/tools/tool_grammar.h"

#include <string_view>

#include "grammar/front_ends.h"
#include "serve/http/api_error.h"

namespace qvl::serve {

using grammar::Element;
using grammar::Grammar;
using grammar::GrammarBuilder;
using grammar::Seq;

Element splice_grammar(GrammarBuilder& b, const Grammar& g, const std::string& prefix) {
  std::vector<uint32_t> ids(g.rules.size());
  for (size_t i = 0; i < g.rules.size(); ++i) ids[i] = b.declare(prefix + g.rules[i].name);
  for (size_t i = 0; i < g.rules.size(); ++i)
    for (const Seq& alt : g.rules[i].alts) {
      Seq s;
      s.reserve(alt.size());
      for (const Element& e : alt)
        s.push_back(e.kind == Element::Kind::kBytes ? b.bytes(g.sets[e.id]) : b.ref(ids[e.id]));
      b.add_alt(ids[i], std::move(s));
    }
  return b.ref(ids[g.root]);
}

namespace {

Seq cat(std::initializer_list<Seq> parts) {
  Seq out;
  for (const Seq& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Text that never contains `trigger` (whose only self-overlap is its first
// byte, true of "<tool_call>"): rule k means "the last k bytes are the
// trigger's first k"; reaching k = size is impossible. Every rule may end.
Seq free_text_without(GrammarBuilder& b, std::string_view trigger) {
  const size_t n = trigger.size();
  std::vector<uint32_t> st(n);
  for (size_t k = 0; k < n; ++k) st[k] = b.declare("free_" + std::to_string(k));
  const uint8_t first = static_cast<uint8_t>(trigger[0]);
  for (size_t k = 0; k < n; ++k) {
    b.add_alt(st[k], {});
    grammar::ByteSet other;  // bytes that restart the match from nothing
    other.set_range(0, 255);
    other.w[first >> 6] &= ~(uint64_t{1} << (first & 63));
    if (k > 0) {
      const uint8_t next = static_cast<uint8_t>(trigger[k]);
      other.w[next >> 6] &= ~(uint64_t{1} << (next & 63));
      if (k + 1 < n) b.add_alt(st[k], {b.byte_range(next, next), b.ref(st[k + 1])});
    }
    b.add_alt(st[k], {b.bytes(other), b.ref(st[0])});
    b.add_alt(st[k], {b.byte_range(first, first), b.ref(st[1])});
  }
  return {b.ref(st[0])};
}

}  // namespace

Grammar tool_call_grammar(const ToolRequest& tr, int max_json_ws) {
  GrammarBuilder b;
  grammar::JsonSchemaOptions opt;
  opt.max_ws = max_json_ws;
  // One alternative per allowed tool: {"name": "<tool>", "arguments": <schema>}.
  std::vector<Seq> calls;
  const Seq sp = b.repeat({b.byte_range(' ', ' ')}, 0, 1);  // Qwen writes ", " and ": "
  for (size_t i = 0; i < tr.tools.size(); ++i) {
    const ToolSpec& t = tr.tools[i];
    if (tr.choice == ToolRequest::Choice::kNamed && t.name != tr.named) continue;
    const std::string param = "tools[" + std::to_string(i) + "].function.parameters";
    Grammar args;
    try {
      args = grammar::compile_json_schema(t.parameters, opt);
    } catch (const Error& e) {
      throw ApiError(400, "'" + param + "': " + e.what(), param, "invalid_grammar");
    }
    const std::string name_json = nlohmann::json(t.name).dump();
    calls.push_back(cat({b.literal("{\"name\":"), sp, b.literal(name_json), b.literal(","), sp,
                         b.literal("\"arguments\":"), sp, Seq{splice_grammar(b, args, "t" + std::to_string(i) + "_")},
                         b.literal("}")}));
  }
  const Seq call = b.group(std::move(calls), "call");
  const Seq one = cat({b.literal(kToolCallOpen), b.literal("\n"), call, b.literal("\n"), b.literal(kToolCallClose)});
  Seq block = one;
  if (tr.parallel) block = cat({one, b.repeat(cat({b.literal("\n"), one}), 0, -1, "more_calls")});
  const uint32_t root = b.declare("root");
  if (tr.forced()) {
    // Up to two newlines may come first (a model's habit after </think>).
    b.add_alt(root, cat({b.repeat({b.byte_range('\n', '\n')}, 0, 2), block}));
  } else {
    const Seq text = free_text_without(b, kToolCallOpen);
    b.add_alt(root, text);
    b.add_alt(root, cat({text, block}));
  }
  return b.finish(root);
}

std::shared_ptr<grammar::CompiledGrammar> compile_tool_grammar(const ToolRequest& tr, int max_json_ws) {
  Grammar g = tool_call_grammar(tr, max_json_ws);
  try {
    return std::make_shared<grammar::CompiledGrammar>(g);
  } catch (const Error& e) {
    throw ApiError(400, std::string("'tools': ") + e.what(), "tools", "invalid_grammar");
  }
}

}  // namespace qvl::serve
