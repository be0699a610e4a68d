// The HTML subset /v1/generate/html decodes under (serve layer, guide
// endpoints), as GBNF: one document with doctype, html/head/body, every
// non-void element closed in order, quoted attribute values, CSS in <style>
// limited to well-formed rules and declarations. docs/GUIDE_ENDPOINTS.md lists it.
#pragma once
#include <string>

namespace qvl::serve {

// allow_script: whether <script> elements (text without '<') may appear in the body.
std::string html_gbnf(bool allow_script);

}  // namespace qvl::serve
