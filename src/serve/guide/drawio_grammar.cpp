// The draw.io grammar and its reference repair.
#include "serve/guide/drawio_grammar.h"

#include <set>
#include <sstream>
#include <vector>

namespace qvl::serve {

std::string drawio_gbnf() {
  return R"G(root ::= "<mxfile host=\"qvl\">\n<diagram id=\"d1\" name=\"Page-1\">\n<mxGraphModel>\n<root>\n<mxCell id=\"0\"/>\n<mxCell id=\"1\" parent=\"0\"/>\n" vertex* edge* "</root>\n</mxGraphModel>\n</diagram>\n</mxfile>"
vertex ::= "<mxCell id=\"v" num-id "\" value=\"" label "\" style=\"" style "\" vertex=\"1\" parent=\"1\">\n<mxGeometry x=\"" coord "\" y=\"" coord "\" width=\"" size "\" height=\"" size "\" as=\"geometry\"/>\n</mxCell>\n"
edge ::= "<mxCell id=\"e" num-id "\" value=\"" label "\" style=\"" style "\" edge=\"1\" parent=\"1\" source=\"v" num-id "\" target=\"v" num-id "\">\n<mxGeometry relative=\"1\" as=\"geometry\"/>\n</mxCell>\n"
num-id ::= [1-9] [0-9]?
label ::= ( [^"<>&\x00-\x1f] | "&" ( "amp" | "lt" | "gt" | "quot" | "#10" ) ";" )*
style ::= ( [a-zA-Z]+ ( "=" [a-zA-Z0-9#.]+ )? ";" )*
coord ::= "-"? [0-9]{1,4}
size ::= [1-9] [0-9]{0,3}
)G";
}

namespace {

// The value of attribute `name` in a line of the grammar's fixed layout.
std::string attr(const std::string& line, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const size_t at = line.find(key);
  if (at == std::string::npos) return "";
  const size_t begin = at + key.size();
  return line.substr(begin, line.find('"', begin) - begin);
}

}  // namespace

DrawioRepair repair_drawio(const std::string& xml) {
  std::vector<std::string> lines;
  std::istringstream in(xml);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  DrawioRepair out;
  std::set<std::string> vertices, edges;
  std::string kept;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    const bool vertex = l.rfind("<mxCell id=\"v", 0) == 0, edge = l.rfind("<mxCell id=\"e", 0) == 0;
    if ((vertex || edge) && i + 2 < lines.size()) {
      const std::string id = attr(l, "id");
      bool keep;
      if (vertex) {
        keep = vertices.insert(id).second;
        out.dropped_vertices += !keep;
      } else {
        keep = vertices.count(attr(l, "source")) && vertices.count(attr(l, "target")) && edges.insert(id).second;
        out.dropped_edges += !keep;
      }
      if (keep) kept += l + "\n" + lines[i + 1] + "\n" + lines[i + 2] + "\n";
      i += 2;  // the cell's geometry and closing lines
      continue;
    }
    kept += l;
    if (i + 1 < lines.size()) kept += "\n";
  }
  out.xml = kept;
  return out;
}

}  // namespace qvl::serve
