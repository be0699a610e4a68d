// multipart/form-data parsing (RFC 7578): parts between "--boundary" lines, each
// with its own headers; only Content-Disposition and Content-Type are read.
#include "serve/guide/multipart_form.h"

#include <algorithm>
#include <cctype>

#include "serve/http/api_error.h"

namespace qvl::serve {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

ApiError bad_form(const std::string& why) { return ApiError(400, "malformed multipart body: " + why, "", "invalid_request"); }

// The value of `key=` in a header's parameters (quoted or not), "" if absent.
std::string header_param(std::string_view header, std::string_view key) {
  const std::string low = lower(header);
  size_t at = 0;
  while ((at = low.find(std::string(key) + "=", at)) != std::string::npos) {
    const bool starts = at == 0 || low[at - 1] == ';' || low[at - 1] == ' ' || low[at - 1] == '\t';
    at += key.size() + 1;
    if (!starts) continue;
    if (at < header.size() && header[at] == '"') {
      const size_t end = header.find('"', at + 1);
      if (end == std::string::npos) throw bad_form("unterminated quoted parameter");
      return std::string(header.substr(at + 1, end - at - 1));
    }
    size_t end = at;
    while (end < header.size() && header[end] != ';' && header[end] != ' ') ++end;
    return std::string(header.substr(at, end - at));
  }
  return "";
}

}  // namespace

bool is_multipart_form(std::string_view content_type) {
  return lower(content_type.substr(0, std::min<size_t>(content_type.size(), 19))) == "multipart/form-data";
}

std::vector<FormPart> parse_multipart_form(std::string_view content_type, std::string_view body) {
  const std::string boundary = header_param(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) throw bad_form("no boundary in Content-Type");
  const std::string delim = "--" + boundary;
  std::vector<FormPart> parts;
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos) throw bad_form("the boundary never occurs");
  for (;;) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") throw bad_form("a boundary line is not followed by CRLF");
    pos += 2;
    const size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) throw bad_form("a part has no end of headers");
    FormPart part;
    std::string_view heads = body.substr(pos, head_end - pos);
    while (!heads.empty()) {
      const size_t eol = std::min(heads.find("\r\n"), heads.size());
      const std::string_view line = heads.substr(0, eol);
      heads.remove_prefix(std::min(heads.size(), eol + 2));
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) throw bad_form("a part header has no ':'");
      const std::string name = lower(line.substr(0, colon));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      if (name == "content-disposition") {
        part.name = header_param(value, "name");
        part.filename = header_param(value, "filename");
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    const size_t data_begin = head_end + 4;
    const size_t next = body.find("\r\n" + delim, data_begin);
    if (next == std::string_view::npos) throw bad_form("a part is not closed by the boundary");
    part.data = std::string(body.substr(data_begin, next - data_begin));
    if (part.name.empty()) throw bad_form("a part has no name");
    if (parts.size() >= kMaxFormParts) throw bad_form("more than " + std::to_string(kMaxFormParts) + " parts");
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

}  // namespace qvl::serve
