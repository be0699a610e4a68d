// Downloads files from a Hugging Face-style hub into the hub cache (hub_cache.h):
//   HEAD {endpoint}/{repo}/resolve/{revision}/{file}  -> X-Repo-Commit, ETag /
//        X-Linked-Etag (the SHA-256 of LFS files), size, maybe a 302 to a CDN
//   GET  the same URL or the redirect's target, with Range to resume a
//        blobs/<etag>.incomplete file left by an interrupted run.
// LFS files are verified against their SHA-256 before they enter the cache. The
// bearer token goes only to the endpoint's own host, never across a redirect to
// another host. Offline (HF_HUB_OFFLINE=1): only the cache is read.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace qvl::hub {

struct HubOptions {
  std::string endpoint;    // default: $HF_ENDPOINT, else https://huggingface.co
  std::string cache_dir;   // default: default_cache_dir()
  std::string token;       // default: $HF_TOKEN (sent as Authorization: Bearer)
  std::string revision = "main";
  bool offline = false;    // default: $HF_HUB_OFFLINE=1
  int retries = 3;         // further attempts after an interrupted transfer (each resumes)
  long connect_timeout_s = 20;
  // file, bytes done, bytes total (0 = unknown); from the downloading thread.
  std::function<void(const std::string& file, int64_t done, int64_t total)> progress;
};

// Defaults filled from the environment.
HubOptions hub_options_from_env();

// The local path of FILE in REPO (a snapshot path whose symlink points at the
// verified blob), downloading it unless the cache already has it.
std::string hub_download(const std::string& repo, const std::string& file, const HubOptions& opt);

// A repository's file list at opt.revision (GET {endpoint}/api/models/{repo}/revision/{rev}).
std::vector<std::string> hub_list_files(const std::string& repo, const HubOptions& opt);

// An HF model directory: every file qvl loads from one (config and tokenizer
// JSON, safetensors shards, chat templates), downloaded; returns the snapshot
// directory. Offline: the cached snapshot of opt.revision.
std::string hub_download_model_dir(const std::string& repo, const HubOptions& opt);

}  // namespace qvl::hub
