// `qvl pull`: fetch model files from a Hugging Face-style hub into the shared hub
// cache (src/hub). Prints each file's local path on stdout, one per line, so a
// script can use it; progress and messages go to stderr.
#include <cstdio>
#include <memory>

#include "apps/qvl/args.h"
#include "apps/qvl/command.h"
#include "base/error.h"
#include "base/progress.h"
#include "apps/qvl/hub_models.h"

namespace qvl::app {
namespace {

const char* kPullUsage = R"(usage: qvl pull REPO FILE... | REPO:FILE... | REPO [options]
  REPO FILE...       files of one repository (e.g. a GGUF and its mmproj)
  REPO:FILE          one file; several may be given
  REPO               the repository as an HF model directory (config, tokenizer, safetensors)
  --revision REV     branch, tag or commit (default main)
  --endpoint URL     the hub (default $HF_ENDPOINT, else https://huggingface.co)
  --cache-dir DIR    the hub cache (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)
  --offline          only look in the cache (also HF_HUB_OFFLINE=1)
  --retries N        resume attempts after an interrupted transfer (default 3)
  --progress MODE    auto (bars when stderr is a terminal), always, never
A token in HF_TOKEN is sent as a bearer token to the hub's own host only.
Interrupted downloads resume from blobs/<etag>.incomplete on the next run.)";

int cmd_pull(const std::vector<std::string>& argv) {
  for (const auto& s : argv)
    if (s == "--help" || s == "-h") {
      std::puts(kPullUsage);
      return 0;
    }
  Args a(argv, {"revision", "endpoint", "cache-dir", "retries"}, {"offline"});
  auto progress = std::make_shared<PullProgress>();
  hub::HubOptions opt = hub_options(a, progress);
  if (a.has("cache-dir")) opt.cache_dir = a.get("cache-dir");
  opt.revision = a.get("revision", "main");
  opt.retries = a.get_int("retries", 3);
  QVL_CHECK(opt.retries >= 0, "--retries must be >= 0");
  const auto& pos = a.positional();
  QVL_CHECK(!pos.empty(), std::string("nothing to pull\n") + kPullUsage);
  std::vector<std::pair<std::string, std::string>> jobs;  // repo, file ("" = directory)
  if (pos[0].find(':') == std::string::npos && pos.size() > 1) {
    for (size_t i = 1; i < pos.size(); ++i) jobs.emplace_back(pos[0], pos[i]);
  } else {
    for (const auto& p : pos) {
      const auto colon = p.find(':');
      jobs.emplace_back(p.substr(0, colon), colon == std::string::npos ? "" : p.substr(colon + 1));
    }
  }
  for (const auto& [repo, file] : jobs) {
    const std::string path =
        file.empty() ? hub::hub_download_model_dir(repo, opt) : hub::hub_download(repo, file, opt);
    progress->finish();
    std::printf("%s\n", path.c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

QVL_COMMAND("pull", "download model files from a Hugging Face-style hub into the local cache", cmd_pull);

}  // namespace qvl::app
