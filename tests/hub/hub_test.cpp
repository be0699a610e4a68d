// Hub client units: model reference parsing, repository id / file checks, the
// cache layout (blobs, relative snapshot links, refs) and URL helpers. The HTTP
// side runs end to end against a fake hub in tests/e2e/pull.test.mjs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "hub/hub_cache.h"
#include "hub/hub_http.h"
#include "hub/model_ref.h"

namespace qvl::hub {
namespace {
namespace fs = std::filesystem;

TEST(ModelRef, ParsesRepoFileAndRepoAndLeavesPathsAlone) {
  auto r = parse_model_ref("Qwen/Qwen3-VL-4B-Instruct-GGUF:Qwen3VL-4B-Instruct-Q8_0.gguf");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->repo, "Qwen/Qwen3-VL-4B-Instruct-GGUF");
  EXPECT_EQ(r->file, "Qwen3VL-4B-Instruct-Q8_0.gguf");
  r = parse_model_ref("Qwen/Qwen3-VL-4B-Instruct");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->file, "");
  EXPECT_FALSE(parse_model_ref("/models/x.gguf"));     // absolute path
  EXPECT_FALSE(parse_model_ref("./x/y"));              // relative path
  EXPECT_FALSE(parse_model_ref("model.gguf"));         // a bare file name
  EXPECT_FALSE(parse_model_ref("models/model.gguf"));  // a missing local file, not a repo
  EXPECT_FALSE(parse_model_ref("a/b/c"));              // three parts: a path
  EXPECT_THROW(parse_model_ref("org/name:../../etc/passwd"), Error);
  EXPECT_THROW(parse_model_ref("org/name:"), Error);
}

TEST(ModelRef, AnExistingLocalPathIsNeverARepo) {
  const fs::path d = fs::temp_directory_path() / "qvl-hub-test-local";
  fs::create_directories(d / "org");
  std::ofstream(d / "org" / "name") << "x";
  const fs::path old = fs::current_path();
  fs::current_path(d);
  EXPECT_FALSE(parse_model_ref("org/name"));
  fs::current_path(old);
  fs::remove_all(d);
}

TEST(HubCache, RepoIdAndFileChecks) {
  EXPECT_NO_THROW(check_repo_id("org/name-1.5_b"));
  EXPECT_NO_THROW(check_repo_id("gpt2"));
  for (const char* bad : {"", "a/b/c", "../x", "org/..", "org/", "/x", "a b/c", "org/na$me"})
    EXPECT_THROW(check_repo_id(bad), Error) << bad;
  EXPECT_NO_THROW(check_repo_file("sub/dir/model-00001-of-00002.safetensors"));
  for (const char* bad : {"", "/abs", "a/../b", "a//b", "..", "x/."})
    EXPECT_THROW(check_repo_file(bad), Error) << bad;
}

TEST(HubCache, LayoutMatchesHuggingFaceTools) {
  const fs::path root = fs::temp_directory_path() / "qvl-hub-test-cache";
  fs::remove_all(root);
  HubCache c(root.string(), "Org/Name");
  EXPECT_EQ(c.repo_dir(), (root / "models--Org--Name").string());
  const std::string etag(64, 'a'), commit(40, 'c');
  fs::create_directories(fs::path(c.blob_path(etag)).parent_path());
  std::ofstream(c.blob_path(etag)) << "bytes";
  EXPECT_FALSE(c.find("main", "sub/f.gguf"));
  c.link_snapshot(commit, "sub/f.gguf", etag);
  c.write_ref("main", commit);
  EXPECT_EQ(fs::read_symlink(c.snapshot_path(commit, "sub/f.gguf")).string(), "../../../blobs/" + etag);
  EXPECT_EQ(c.read_ref("main").value_or(""), commit);
  ASSERT_TRUE(c.find("main", "sub/f.gguf"));
  EXPECT_EQ(*c.find("main", "sub/f.gguf"), c.snapshot_path(commit, "sub/f.gguf"));
  EXPECT_TRUE(c.find(commit, "sub/f.gguf"));  // a commit needs no ref
  fs::remove(c.blob_path(etag));
  EXPECT_FALSE(c.find("main", "sub/f.gguf"));  // a dangling link is not a hit
  fs::remove_all(root);
}

TEST(HubHttp, OriginsAndRedirectTargets) {
  EXPECT_EQ(url_origin("https://HF.co:443/a/b?x"), "https://hf.co:443");
  EXPECT_EQ(url_origin("/relative"), "");
  EXPECT_EQ(resolve_url("http://h:1/a/b/c?q", "https://cdn/x"), "https://cdn/x");
  EXPECT_EQ(resolve_url("http://h:1/a/b/c?q", "/other/y"), "http://h:1/other/y");
  EXPECT_EQ(resolve_url("http://h:1/a/b/c?q", "d"), "http://h:1/a/b/d");
}

}  // namespace
}  // namespace qvl::hub
