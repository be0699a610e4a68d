// The guide endpoints' grammars and the draw.io repair: hand-written documents
// (the random-weight models of the e2e tests rarely write vertices, so the
// reference rules are checked here on documents that have them).
#include <gtest/gtest.h>

#include "grammar/compiled_grammar.h"
#include "grammar/front_ends.h"
#include "serve/guide/drawio_grammar.h"
#include "serve/guide/html_grammar.h"

namespace qvl::serve {
namespace {

bool accepts(const std::string& gbnf, const std::string& text) {
  grammar::CompiledGrammar g(grammar::parse_gbnf(gbnf));
  const auto s = g.step(g.initial(), text);
  return s != grammar::CompiledGrammar::kDead && g.accepts(s);
}

const std::string kHead =
    "<mxfile host=\"qvl\">\n<diagram id=\"d1\" name=\"Page-1\">\n<mxGraphModel>\n<root>\n<mxCell id=\"0\"/>\n"
    "<mxCell id=\"1\" parent=\"0\"/>\n";
const std::string kTail = "</root>\n</mxGraphModel>\n</diagram>\n</mxfile>";

std::string vertex(int id, const std::string& label) {
  return "<mxCell id=\"v" + std::to_string(id) + "\" value=\"" + label +
         "\" style=\"rounded=1;html=1;\" vertex=\"1\" parent=\"1\">\n"
         "<mxGeometry x=\"10\" y=\"-20\" width=\"120\" height=\"60\" as=\"geometry\"/>\n</mxCell>\n";
}
std::string edge(int id, int from, int to) {
  return "<mxCell id=\"e" + std::to_string(id) + "\" value=\"\" style=\"\" edge=\"1\" parent=\"1\" source=\"v" +
         std::to_string(from) + "\" target=\"v" + std::to_string(to) +
         "\">\n<mxGeometry relative=\"1\" as=\"geometry\"/>\n</mxCell>\n";
}

TEST(DrawioGrammar, AcceptsTheLayoutAndRefusesBrokenXml) {
  EXPECT_TRUE(accepts(drawio_gbnf(), kHead + kTail));
  EXPECT_TRUE(accepts(drawio_gbnf(), kHead + vertex(1, "Start &amp; go") + vertex(2, "End") + edge(1, 1, 2) + kTail));
  EXPECT_FALSE(accepts(drawio_gbnf(), kHead + vertex(1, "a \"quoted\" label") + kTail));
  EXPECT_FALSE(accepts(drawio_gbnf(), kHead + vertex(1, "a < b") + kTail));
  EXPECT_FALSE(accepts(drawio_gbnf(), kHead + edge(1, 1, 2) + vertex(1, "after an edge") + kTail));
}

TEST(DrawioRepair, DropsDanglingEdgesAndRepeatedIds) {
  const std::string doc = kHead + vertex(1, "a") + vertex(2, "b") + vertex(1, "again") + edge(1, 1, 2) +
                          edge(2, 2, 7) + edge(1, 2, 1) + edge(3, 9, 1) + kTail;
  const DrawioRepair r = repair_drawio(doc);
  EXPECT_EQ(r.dropped_vertices, 1);
  EXPECT_EQ(r.dropped_edges, 3);  // e2 -> v7, the second e1, e3 from v9
  EXPECT_EQ(r.xml, kHead + vertex(1, "a") + vertex(2, "b") + edge(1, 1, 2) + kTail);
  EXPECT_TRUE(accepts(drawio_gbnf(), r.xml));
  const DrawioRepair clean = repair_drawio(kHead + vertex(3, "x") + edge(4, 3, 3) + kTail);
  EXPECT_EQ(clean.dropped_vertices + clean.dropped_edges, 0);
  EXPECT_EQ(clean.xml, kHead + vertex(3, "x") + edge(4, 3, 3) + kTail);
}

TEST(HtmlGrammar, ClosedElementsValidCssNoScriptUnlessAsked) {
  const std::string ok =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Hi</title>\n<style>\n"
      "body { margin: 0; color: #333; }\n.a > p:hover, #x { width: calc(100% - 10px); }\n"
      "@media (max-width: 600px) { .a { display: none; } }\n</style>\n</head>\n<body>\n"
      "<div><p>Hello &amp; <b>bye</b></p><ul><li>x</li></ul><hr><table><tr><td>1</td></tr></table></div>\n"
      "</body>\n</html>";
  EXPECT_TRUE(accepts(html_gbnf(false), ok));
  auto body = [](const std::string& b) {
    return "<!DOCTYPE html>\n<html>\n<head>\n</head>\n<body>\n" + b + "</body>\n</html>";
  };
  EXPECT_TRUE(accepts(html_gbnf(false), body("")));
  EXPECT_FALSE(accepts(html_gbnf(false), body("<div><p>x</div></p>")));   // closed out of order
  EXPECT_FALSE(accepts(html_gbnf(false), body("<p><div></div></p>")));    // a block inside a paragraph
  EXPECT_FALSE(accepts(html_gbnf(false), body("<div class=x></div>")));   // unquoted attribute value
  EXPECT_FALSE(accepts(html_gbnf(false), body("<script>go()</script>")));
  EXPECT_TRUE(accepts(html_gbnf(true), body("<script>go()</script>")));
  auto style = [](const std::string& css) {
    return "<!DOCTYPE html>\n<html>\n<head>\n<style>\n" + css + "</style>\n</head>\n<body>\n</body>\n</html>";
  };
  EXPECT_FALSE(accepts(html_gbnf(false), style("a { color: red }")));     // declaration without ';'
  EXPECT_FALSE(accepts(html_gbnf(false), style("a { color: red; ")));     // unbalanced block
  EXPECT_FALSE(accepts(html_gbnf(false), style("a { color red; }")));     // no ':'
}

}  // namespace
}  // namespace qvl::serve
