// The HTML grammar. Elements are spelled one alternative per tag name, since a
// context-free rule cannot match a closing tag to any opening one. Flow content
// (div, section, ...) may hold flow and phrasing; phrasing elements (p, span,
// h1, a, li text ...) hold phrasing only, so the parser's implied end tags (a
// <div> inside a <p> closes the p) never fire and the source tree is the DOM tree.
#include "serve/guide/html_grammar.h"

namespace qvl::serve {
namespace {

std::string element(const std::string& tag, const std::string& content) {
  return "\"<" + tag + "\" attrs \">\" " + content + " \"</" + tag + ">\"";
}

std::string alternatives(std::initializer_list<const char*> tags, const std::string& content) {
  std::string out;
  for (const char* t : tags) out += (out.empty() ? "" : " | ") + element(t, content);
  return out;
}

}  // namespace

std::string html_gbnf(bool allow_script) {
  std::string g = R"G(root ::= "<!DOCTYPE html>\n<html" attrs ">\n<head>\n" head-item* "</head>\n<body" attrs ">\n" flow* "</body>\n</html>"
head-item ::= "<meta" attrs ">\n" | "<title>" text? "</title>\n" | "<style>\n" css "</style>\n"
attrs ::= attr*
attr ::= " " attr-name ( "=\"" attr-char* "\"" )?
attr-name ::= [a-z] [a-z0-9-]{0,20}
attr-char ::= [^"<&\x00-\x1f] | entity
text ::= ( [^<>&\x00-\x08\x0b-\x1f] | entity )+
entity ::= "&" ( "amp" | "lt" | "gt" | "quot" | "apos" | "nbsp" | "copy" | "#" [0-9]{1,5} ) ";"
void ::= "<br" attrs ">" | "<img" attrs ">" | "<input" attrs ">"
phrasing ::= text-char | void | inline
text-char ::= [^<>&\x00-\x08\x0b-\x1f] | entity
flow ::= phrasing | block | "\n"
)G";
  g += "inline ::= " + alternatives({"span", "strong", "em", "b", "i", "small", "code", "label"}, "phrasing*") +
       " | " + alternatives({"a", "button"}, "text-char*") + "\n";  // never nested in each other
  g += "block ::= " + alternatives({"div", "section", "header", "footer", "nav", "main", "article", "aside"}, "flow*") +
       " | " + alternatives({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre"}, "phrasing*") +
       " | " + element("ul", "list-item*") + " | " + element("ol", "list-item*") + " | " + element("table", "row*") + " | \"<hr\" attrs \">\"" +
       (allow_script ? " | \"<script\" attrs \">\" [^<]* \"</script>\"" : "") + "\n";
  g += "list-item ::= " + element("li", "flow*") + " | \"\\n\"\n";
  g += "row ::= " + element("tr", "cell*") + " | \"\\n\"\n";
  g += "cell ::= " + element("td", "flow*") + " | " + element("th", "phrasing*") + "\n";
  g += R"G(css ::= ws ( css-rule ws )*
css-rule ::= selectors ws "{" ws declarations "}" | "@media" media-query ws "{" ws ( style-rule ws )* "}"
style-rule ::= selectors ws "{" ws declarations "}"
media-query ::= " " ( "screen" | "print" | "all" | "(" ws property ws ":" ws css-value ws ")" ) ( " and (" ws property ws ":" ws css-value ws ")" )*
selectors ::= selector ( ws "," ws selector )*
selector ::= compound ( combinator compound )*
combinator ::= " " | ws [>+~] ws
compound ::= ( ident | "*" ) simple* | simple+
simple ::= "." ident | "#" ident | ":" ":"? ident | "[" ident "]"
declarations ::= ( declaration ws )*
declaration ::= property ws ":" ws css-value ( " !important" )? ws ";"
property ::= "--"? ident
css-value ::= component ( ( " " | ws "," ws ) component )*
component ::= number unit? | "#" [0-9a-fA-F]{3,8} | ident | ident "(" ws arguments ws ")" | "\"" [^"\\\n<]* "\""
arguments ::= component ( ( " " | ws "," ws | " " [-+*/] " " ) component )*
unit ::= "px" | "em" | "rem" | "%" | "vh" | "vw" | "s" | "ms" | "deg" | "fr" | "pt"
number ::= "-"? ( [0-9]+ ( "." [0-9]+ )? | "." [0-9]+ )
ident ::= "-"? [a-zA-Z_] [a-zA-Z0-9_-]*
ws ::= [ \n\t]*
)G";
  return g;
}

}  // namespace qvl::serve
