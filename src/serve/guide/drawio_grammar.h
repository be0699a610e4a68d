// The draw.io subset /v1/generate/drawio decodes under (serve layer, guide
// endpoints), and the pass after decoding that keeps cross-references valid.
// A context-free grammar cannot make an edge name a vertex that exists, so the
// grammar fixes the layout (one cell per three lines, vertex ids v1..v99 before
// edges e1..e99) and repair_drawio() drops what it cannot guarantee: a vertex
// whose id repeats an earlier one, an edge whose id repeats, or whose source or
// target names no vertex. docs/GUIDE_ENDPOINTS.md describes both.
#pragma once
#include <string>

namespace qvl::serve {

std::string drawio_gbnf();

struct DrawioRepair {
  std::string xml;
  int dropped_vertices = 0, dropped_edges = 0;
};

// xml: a complete document of drawio_gbnf() (anything else comes back unchanged).
DrawioRepair repair_drawio(const std::string& xml);

}  // namespace qvl::serve
