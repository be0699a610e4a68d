// App-side glue between the hub client (src/hub) and commands: hub options from
// the environment and flags, a per-file progress bar, and resolving the hub
// references (REPO:FILE) of a serve configuration to cached local paths.
#pragma once
#include <memory>
#include <string>

#include "apps/qvl/args.h"
#include "base/progress.h"
#include "hub/hub_client.h"
#include "serve/deploy/deployment.h"

namespace qvl::app {

// One bar per file, made when its first bytes arrive; finish() ends the last.
class PullProgress {
 public:
  void operator()(const std::string& file, int64_t done, int64_t total);
  void finish();

 private:
  std::unique_ptr<ProgressBar> bar_;
  std::string file_;
};

// HF_* environment, then --endpoint / --offline (when ARGS has them), with a bar.
hub::HubOptions hub_options(const Args& a, std::shared_ptr<PullProgress> progress);

// Replaces every model / mmproj path in CFG that is a hub reference with its
// cached path, downloading what is missing.
void resolve_hub_models(serve::ServeConfig& cfg, const hub::HubOptions& opt);

}  // namespace qvl::app
