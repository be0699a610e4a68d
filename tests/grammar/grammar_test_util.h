// Test helper: does a grammar accept a whole string (and is a string a viable prefix)?
#pragma once
#include <string_view>

#include "grammar/compiled_grammar.h"

namespace qvl::grammar::testing {

inline bool full_match(const Grammar& g, std::string_view s) {
  CompiledGrammar cg(g);
  auto st = cg.step(cg.initial(), s);
  return st != CompiledGrammar::kDead && cg.accepts(st);
}

inline bool viable_prefix(const Grammar& g, std::string_view s) {
  CompiledGrammar cg(g);
  return cg.step(cg.initial(), s) != CompiledGrammar::kDead;
}

}  // namespace qvl::grammar::testing
