#include "hub/model_ref.h"

#include <filesystem>

#include "base/error.h"
#include "hub/hub_cache.h"

namespace qvl::hub {

std::optional<ModelRef> parse_model_ref(const std::string& s) {
  std::error_code ec;
  if (s.empty() || std::filesystem::exists(s, ec)) return std::nullopt;
  if (s.front() == '/' || s.front() == '.' || s.front() == '~') return std::nullopt;
  ModelRef r;
  const auto colon = s.find(':');
  r.repo = s.substr(0, colon);
  if (colon != std::string::npos) r.file = s.substr(colon + 1);
  if (r.repo.find('/') == std::string::npos) return std::nullopt;  // ORG/NAME only: a bare word is a path
  try {
    check_repo_id(r.repo);
    if (colon != std::string::npos) check_repo_file(r.file);
  } catch (const Error&) {
    if (colon == std::string::npos) return std::nullopt;  // an odd relative path, not a repo
    throw;
  }
  // "dir/model.gguf" that does not exist is a missing local file, not a repository.
  if (colon == std::string::npos && r.repo.find('.') != std::string::npos) return std::nullopt;
  return r;
}

std::string resolve_model_path(const std::string& s, const HubOptions& opt) {
  const auto ref = parse_model_ref(s);
  if (!ref) return s;
  return ref->file.empty() ? hub_download_model_dir(ref->repo, opt) : hub_download(ref->repo, ref->file, opt);
}

}  // namespace qvl::hub
