// The hub cache layout Hugging Face's own tools use, so files `qvl pull` fetched
// are found by them and the other way round:
//   $HF_HOME/hub/models--ORG--NAME/blobs/<etag>            the bytes, named by ETag
//   $HF_HOME/hub/models--ORG--NAME/snapshots/<commit>/FILE relative symlink to the blob
//   $HF_HOME/hub/models--ORG--NAME/refs/<revision>         the commit a branch/tag named
#pragma once
#include <optional>
#include <string>

namespace qvl::hub {

// $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
std::string default_cache_dir();

class HubCache {
 public:
  HubCache(std::string cache_dir, std::string repo);
  const std::string& repo_dir() const { return repo_dir_; }
  std::string blob_path(const std::string& etag) const;
  std::string snapshot_path(const std::string& commit, const std::string& file) const;
  std::string snapshot_dir(const std::string& commit) const;
  // refs/<revision>, if recorded.
  std::optional<std::string> read_ref(const std::string& revision) const;
  void write_ref(const std::string& revision, const std::string& commit) const;
  // snapshots/<commit>/<file> -> ../../blobs/<etag> (relative, as HF writes it).
  void link_snapshot(const std::string& commit, const std::string& file, const std::string& etag) const;
  // The cached path of FILE at REVISION (a branch, tag or commit), if it is there.
  std::optional<std::string> find(const std::string& revision, const std::string& file) const;

 private:
  std::string repo_dir_;
};

// "org/name": one or two path-safe parts; rejects "..", empty parts, odd characters.
void check_repo_id(const std::string& repo);
// A repository file path: relative, no "..", no empty parts.
void check_repo_file(const std::string& file);

}  // namespace qvl::hub
