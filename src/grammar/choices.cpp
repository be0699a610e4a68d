// compile_choices: an alternation of literals.
#include "grammar/front_ends.h"

namespace qvl::grammar {

Grammar compile_choices(const std::vector<std::string>& choices) {
  QVL_CHECK(!choices.empty(), "choice list is empty");
  GrammarBuilder b;
  uint32_t root = b.declare("root");
  for (const std::string& c : choices) b.add_alt(root, b.literal(c));
  return b.finish(root);
}

}  // namespace qvl::grammar
