// multipart/form-data bodies (serve layer, guide endpoints): the parts of an
// upload such as `requests.post(url, files={"image": ...}, data={...})` sends.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace qvl::serve {

struct FormPart {
  std::string name, filename, content_type, data;
};

constexpr size_t kMaxFormParts = 32;

// Throws ApiError 400 for a missing boundary, broken framing or more than
// kMaxFormParts parts. content_type: the request's Content-Type header.
std::vector<FormPart> parse_multipart_form(std::string_view content_type, std::string_view body);

bool is_multipart_form(std::string_view content_type);

}  // namespace qvl::serve
