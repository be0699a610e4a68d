#include "hub/hub_cache.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/error.h"

namespace qvl::hub {
namespace fs = std::filesystem;

std::string default_cache_dir() {
  if (const char* c = std::getenv("HF_HUB_CACHE"); c && *c) return c;
  if (const char* h = std::getenv("HF_HOME"); h && *h) return std::string(h) + "/hub";
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/huggingface/hub";
  const char* home = std::getenv("HOME");
  QVL_CHECK(home && *home, "HOME is not set; give HF_HOME for the model cache");
  return std::string(home) + "/.cache/huggingface/hub";
}

static bool safe_part(const std::string& p, bool allow_dots_inside) {
  if (p.empty() || p == "." || p == "..") return false;
  for (char c : p) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                    (allow_dots_inside && (c == '+' || c == '=' || c == ' ' || c == ','));
    if (!ok) return false;
  }
  return true;
}

void check_repo_id(const std::string& repo) {
  const auto slash = repo.find('/');
  const bool ok = slash == std::string::npos
                      ? safe_part(repo, false)
                      : repo.find('/', slash + 1) == std::string::npos && safe_part(repo.substr(0, slash), false) &&
                            safe_part(repo.substr(slash + 1), false);
  QVL_CHECK(ok && repo.size() <= 96, "'" + repo + "' is not a repository id (ORG/NAME)");
}

void check_repo_file(const std::string& file) {
  bool ok = !file.empty() && file.size() <= 1024 && file.front() != '/';
  size_t start = 0;
  while (ok && start <= file.size()) {
    const size_t end = file.find('/', start);
    ok = safe_part(file.substr(start, end == std::string::npos ? std::string::npos : end - start), true);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  QVL_CHECK(ok, "'" + file + "' is not a file path inside a repository");
}

HubCache::HubCache(std::string cache_dir, std::string repo) {
  check_repo_id(repo);
  std::string folder = "models--";
  for (char c : repo) folder += c == '/' ? std::string("--") : std::string(1, c);
  repo_dir_ = cache_dir + "/" + folder;
}

std::string HubCache::blob_path(const std::string& etag) const { return repo_dir_ + "/blobs/" + etag; }

std::string HubCache::snapshot_dir(const std::string& commit) const { return repo_dir_ + "/snapshots/" + commit; }

std::string HubCache::snapshot_path(const std::string& commit, const std::string& file) const {
  return snapshot_dir(commit) + "/" + file;
}

std::optional<std::string> HubCache::read_ref(const std::string& revision) const {
  std::ifstream in(repo_dir_ + "/refs/" + revision);
  std::string commit;
  if (!in || !std::getline(in, commit) || commit.empty()) return std::nullopt;
  return commit;
}

void HubCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return;
  const fs::path p = repo_dir_ + "/refs/" + revision;
  fs::create_directories(p.parent_path());
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << commit;
    QVL_CHECK(out.good(), "cannot write " + tmp.string());
  }
  fs::rename(tmp, p);
}

void HubCache::link_snapshot(const std::string& commit, const std::string& file, const std::string& etag) const {
  const fs::path link = snapshot_path(commit, file);
  fs::create_directories(link.parent_path());
  const fs::path target = fs::relative(blob_path(etag), link.parent_path());
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_symlink(target, link);
}

std::optional<std::string> HubCache::find(const std::string& revision, const std::string& file) const {
  std::string commit = revision;
  if (auto r = read_ref(revision)) commit = *r;
  const std::string p = snapshot_path(commit, file);
  std::error_code ec;
  if (fs::exists(p, ec)) return p;  // follows the symlink: a dangling link is not a hit
  return std::nullopt;
}

}  // namespace qvl::hub
