#include "hub/hub_client.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/error.h"
#include "base/log.h"
#include "base/sha256.h"
#include "hub/hub_cache.h"
#include "hub/hub_http.h"

namespace qvl::hub {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxRedirects = 8;

std::string env_or(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : def;
}

bool env_true(const char* name) {
  const std::string v = env_or(name, "");
  return v == "1" || v == "true" || v == "TRUE" || v == "yes" || v == "ON" || v == "on";
}

// Path segments are sent as they are: check_repo_file allowed only characters
// that need no escaping except ' ', '+', '=' and ','.
std::string escape_path(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == ' ') out += "%20";
    else if (c == '+') out += "%2B";
    else if (c == '=') out += "%3D";
    else if (c == ',') out += "%2C";
    else out += c;
  }
  return out;
}

// ETags come quoted and maybe weak (W/"..."): the bare value names the blob.
std::string normalize_etag(std::string e) {
  if (e.rfind("W/", 0) == 0) e.erase(0, 2);
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return e;
}

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string hex(const Sha256Digest& d) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  QVL_CHECK(in.good(), "cannot read " + path);
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) h.add(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return hex(h.finish());
}

// One line for a failed hub answer, naming what the user can change.
[[noreturn]] void hub_error(const HttpResult& r, const std::string& repo, const std::string& file,
                            const std::string& revision, const std::string& url) {
  const std::string code = r.headers.count("x-error-code") ? r.headers.at("x-error-code") : "";
  const std::string what = file.empty() ? repo : repo + ":" + file;
  if (r.status == 401)
    throw Error(what + ": 401 Unauthorized from the hub: the repository is private or gated; set HF_TOKEN to a token "
                       "that may read it (" + url + ")");
  if (r.status == 403)
    throw Error(what + ": 403 Forbidden: this token may not read the repository (gated: accept its terms first) (" +
                url + ")");
  if (r.status == 404) {
    if (code == "RepoNotFound") throw Error(what + ": 404: no repository " + repo + " (" + url + ")");
    if (code == "RevisionNotFound") throw Error(what + ": 404: no revision " + revision + " in " + repo);
    throw Error(what + ": 404 Not Found: no such file at revision " + revision + " (" + url + ")");
  }
  throw Error(what + ": the hub answered HTTP " + std::to_string(r.status) + " for " + url);
}

struct FileMeta {
  std::string commit, etag, download_url;
  int64_t size = -1;
};

// HEAD the resolve URL, following same-origin relative redirects (a renamed
// repository) but stopping at one to another host: that is the CDN the bytes
// come from, and the hub's own 302 carries the metadata.
FileMeta head_file(const std::string& repo, const std::string& file, const HubOptions& opt) {
  std::string url = opt.endpoint + "/" + repo + "/resolve/" + escape_path(opt.revision) + "/" + escape_path(file);
  const std::string origin = url_origin(opt.endpoint);
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    HttpRequest req;
    req.method = "HEAD";
    req.url = url;
    req.connect_timeout_s = opt.connect_timeout_s;
    if (url_origin(url) == origin) req.bearer = opt.token;
    const HttpResult r = http_exchange(req);
    if (r.curl_code != 0) throw Error("cannot reach the hub at " + opt.endpoint + ": " + r.curl_error);
    const bool redirect = r.status >= 300 && r.status < 400 && r.headers.count("location");
    const std::string next = redirect ? resolve_url(url, r.headers.at("location")) : "";
    if (redirect && url_origin(next) == url_origin(url) && !r.headers.count("x-repo-commit")) {
      url = next;
      continue;
    }
    if (!redirect && r.status != 200) hub_error(r, repo, file, opt.revision, url);
    FileMeta m;
    auto h = [&](const char* k) { return r.headers.count(k) ? r.headers.at(k) : std::string(); };
    m.commit = h("x-repo-commit");
    m.etag = normalize_etag(!h("x-linked-etag").empty() ? h("x-linked-etag") : h("etag"));
    const std::string size = !h("x-linked-size").empty() ? h("x-linked-size") : h("content-length");
    if (!size.empty()) m.size = std::strtoll(size.c_str(), nullptr, 10);
    m.download_url = redirect ? next : url;
    QVL_CHECK(!m.commit.empty(), repo + ":" + file + ": the hub sent no X-Repo-Commit header (is " + opt.endpoint +
                                     " a Hugging Face-style hub?)");
    // The commit names a cache directory: letters and digits only (a git hash).
    bool commit_ok = m.commit.size() <= 64;
    for (char c : m.commit) commit_ok = commit_ok && std::isalnum(static_cast<unsigned char>(c));
    QVL_CHECK(commit_ok, repo + ":" + file + ": the hub sent an unusable X-Repo-Commit");
    QVL_CHECK(!m.etag.empty() && m.etag.find('/') == std::string::npos && m.etag != "." && m.etag != "..",
              repo + ":" + file + ": the hub sent no usable ETag");
    return m;
  }
  throw Error(repo + ":" + file + ": more than " + std::to_string(kMaxRedirects) + " redirects");
}

// Exclusive lock on a file beside the blob, so two pulls of one file (replicas'
// init containers on a shared volume) do not write the same .incomplete file.
class BlobLock {
 public:
  explicit BlobLock(const std::string& path) : fd_(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644)) {
    QVL_CHECK(fd_ >= 0, "cannot create " + path);
    ::flock(fd_, LOCK_EX);
  }
  ~BlobLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

// GETs META's bytes into PART (appending from its current size with a Range),
// following redirects and sending the token only to the endpoint's origin.
// Returns false on an interrupted transfer (PART keeps what arrived).
bool fetch_into(const std::string& repo, const std::string& file, const FileMeta& meta, const std::string& part,
                const HubOptions& opt, std::string& why) {
  std::error_code ec;
  int64_t have = fs::exists(part, ec) ? static_cast<int64_t>(fs::file_size(part, ec)) : 0;
  if (meta.size >= 0 && have == meta.size) return true;  // complete already: verify below
  if (meta.size >= 0 && have > meta.size) {
    fs::remove(part, ec);  // longer than the file: not ours to resume
    have = 0;
  }
  std::string url = meta.download_url;
  const std::string origin = url_origin(opt.endpoint);
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    FILE* f = std::fopen(part.c_str(), have > 0 ? "ab" : "wb");
    QVL_CHECK(f, "cannot write " + part);
    HttpRequest req;
    req.url = url;
    req.connect_timeout_s = opt.connect_timeout_s;
    if (url_origin(url) == origin) req.bearer = opt.token;
    if (have > 0) req.range_from = have;
    req.sink = f;
    const int64_t base = have;
    if (opt.progress) {
      opt.progress(file, base, meta.size > 0 ? meta.size : 0);
      req.on_data = [&](int64_t n) { opt.progress(file, base + n, meta.size > 0 ? meta.size : 0); };
    }
    HttpResult r = http_exchange(req);
    std::fclose(f);
    if (r.status >= 300 && r.status < 400 && r.headers.count("location")) {
      url = resolve_url(url, r.headers.at("location"));
      continue;
    }
    if (r.status == 200 && have > 0) {
      // The server ignored the Range and sent the whole file after what we had.
      // Start over rather than keep a spliced file.
      fs::remove(part, ec);
      why = "the server ignored the Range request; starting over";
      return false;
    }
    if (r.status == 416) {
      fs::remove(part, ec);  // our partial file does not fit the file any more
      why = "the server refused the resume range; starting over";
      return false;
    }
    if (r.status != 200 && r.status != 206) {
      if (r.curl_code != 0 && r.status == 0) {
        why = r.curl_error;
        return false;
      }
      hub_error(r, repo, file, opt.revision, url);
    }
    if (r.status == 206) {
      // The bytes must continue where the partial file ends, or the file is spliced.
      const std::string cr = r.headers.count("content-range") ? r.headers.at("content-range") : "";
      if (cr.rfind("bytes " + std::to_string(base) + "-", 0) != 0) {
        fs::remove(part, ec);
        why = "the server answered the resume with another range (" + cr + "); starting over";
        return false;
      }
    }
    if (r.curl_code != 0) {
      why = r.curl_error + " after " + std::to_string(base + r.sink_bytes) + " bytes";
      return false;
    }
    return true;
  }
  throw Error(repo + ":" + file + ": more than " + std::to_string(kMaxRedirects) + " redirects");
}

}  // namespace

HubOptions hub_options_from_env() {
  HubOptions o;
  o.endpoint = env_or("HF_ENDPOINT", "https://huggingface.co");
  o.cache_dir = default_cache_dir();
  o.token = env_or("HF_TOKEN", env_or("HUGGING_FACE_HUB_TOKEN", ""));
  o.offline = env_true("HF_HUB_OFFLINE");
  return o;
}

std::string hub_download(const std::string& repo, const std::string& file, const HubOptions& in) {
  check_repo_id(repo);
  check_repo_file(file);
  check_repo_file(in.revision);  // it names refs/<revision>: no "..", not absolute
  HubOptions opt = in;
  while (!opt.endpoint.empty() && opt.endpoint.back() == '/') opt.endpoint.pop_back();
  const HubCache cache(opt.cache_dir, repo);
  if (opt.offline) {
    if (auto p = cache.find(opt.revision, file)) return *p;
    throw Error(repo + ":" + file + " is not in the cache (" + cache.repo_dir() +
                ") and offline mode (HF_HUB_OFFLINE / --offline) forbids downloading it");
  }
  FileMeta meta;
  try {
    meta = head_file(repo, file, opt);
  } catch (const Error& e) {
    // The hub is unreachable (not: it said no): a cached copy still serves.
    if (std::string(e.what()).rfind("cannot reach", 0) == 0)
      if (auto p = cache.find(opt.revision, file)) {
        log_warn(e.what(), "; using the cached ", *p);
        return *p;
      }
    throw;
  }
  const std::string blob = cache.blob_path(meta.etag);
  fs::create_directories(fs::path(blob).parent_path());
  std::error_code ec;
  if (!fs::exists(blob, ec)) {
    BlobLock lock(blob + ".lock");
    if (!fs::exists(blob, ec)) {  // another process may have finished it while we waited
      const std::string part = blob + ".incomplete";
      std::string why;
      for (int attempt = 0;; ++attempt) {
        if (fetch_into(repo, file, meta, part, opt, why)) break;
        if (attempt >= opt.retries)
          throw Error(repo + ":" + file + ": download interrupted (" + why + "); " +
                      (fs::exists(part, ec) ? "run again to resume from " + part : "run again"));
        log_warn(repo, ":", file, ": ", why, "; retrying (", attempt + 1, "/", opt.retries, ")");
        std::this_thread::sleep_for(std::chrono::milliseconds(250 * (attempt + 1)));
      }
      const int64_t got = static_cast<int64_t>(fs::file_size(part, ec));
      if (meta.size >= 0 && got != meta.size) {
        fs::remove(part, ec);
        throw Error(repo + ":" + file + ": got " + std::to_string(got) + " bytes, the hub said " +
                    std::to_string(meta.size) + "; the partial file was removed, run again");
      }
      // LFS files: the ETag is the content's SHA-256. (Small git files carry a git
      // blob id instead, which hashes a header too; their size is checked above.)
      if (is_sha256_hex(meta.etag)) {
        const std::string sum = file_sha256(part);
        if (sum != meta.etag) {
          fs::remove(part, ec);
          throw Error(repo + ":" + file + ": checksum mismatch: SHA-256 " + sum + ", the hub says " + meta.etag +
                      "; the corrupt download was removed, run again");
        }
      }
      fs::rename(part, blob);
    }
  }
  cache.link_snapshot(meta.commit, file, meta.etag);
  cache.write_ref(opt.revision, meta.commit);
  return cache.snapshot_path(meta.commit, file);
}

std::vector<std::string> hub_list_files(const std::string& repo, const HubOptions& in) {
  check_repo_id(repo);
  std::string endpoint = in.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  const std::string url = endpoint + "/api/models/" + repo + "/revision/" + escape_path(in.revision);
  HttpRequest req;
  req.url = url;
  req.bearer = in.token;
  req.connect_timeout_s = in.connect_timeout_s;
  const HttpResult r = http_exchange(req);
  if (r.curl_code != 0) throw Error("cannot reach the hub at " + endpoint + ": " + r.curl_error);
  if (r.status != 200) hub_error(r, repo, "", in.revision, url);
  std::vector<std::string> files;
  try {
    const auto j = nlohmann::json::parse(r.body);
    for (const auto& s : j.at("siblings")) files.push_back(s.at("rfilename").get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    throw Error(repo + ": the hub's file list is not the JSON expected (" + std::string(e.what()) + ")");
  }
  return files;
}

std::string hub_download_model_dir(const std::string& repo, const HubOptions& opt) {
  auto wanted = [](const std::string& f) {
    auto ends = [&](const char* s) { return f.size() >= std::strlen(s) && f.compare(f.size() - std::strlen(s), std::string::npos, s) == 0; };
    return f.find('/') == std::string::npos &&
           (ends(".json") || ends(".safetensors") || ends(".jinja") || ends(".txt") || ends(".model"));
  };
  if (opt.offline) {
    const HubCache cache(opt.cache_dir, repo);
    const std::string commit = cache.read_ref(opt.revision).value_or(opt.revision);
    std::error_code ec;
    const std::string dir = cache.snapshot_dir(commit);
    QVL_CHECK(fs::exists(dir + "/config.json", ec),
              repo + " is not in the cache (" + cache.repo_dir() + ") and offline mode forbids downloading it");
    return dir;
  }
  std::string dir;
  int n = 0;
  for (const auto& f : hub_list_files(repo, opt))
    if (wanted(f)) {
      dir = fs::path(hub_download(repo, f, opt)).parent_path().string();
      ++n;
    }
  QVL_CHECK(n > 0, repo + ": the repository has no config, tokenizer or safetensors files");
  return dir;
}

}  // namespace qvl::hub
