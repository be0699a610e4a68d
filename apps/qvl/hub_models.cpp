#include "apps/qvl/hub_models.h"

#include "base/log.h"
#include "hub/model_ref.h"

namespace qvl::app {

void PullProgress::operator()(const std::string& file, int64_t done, int64_t total) {
  if (!bar_ || file != file_) {
    finish();
    file_ = file;
    bar_ = std::make_unique<ProgressBar>(file, total, true);
  }
  if (total > 0) bar_->set_total(total);
  bar_->update(done);
}

void PullProgress::finish() {
  if (bar_) bar_->finish();
  bar_.reset();
}

hub::HubOptions hub_options(const Args& a, std::shared_ptr<PullProgress> progress) {
  hub::HubOptions opt = hub::hub_options_from_env();
  if (a.has("endpoint")) opt.endpoint = a.get("endpoint");
  if (a.has("offline")) opt.offline = true;
  if (progress) opt.progress = [progress](const std::string& f, int64_t d, int64_t t) { (*progress)(f, d, t); };
  return opt;
}

void resolve_hub_models(serve::ServeConfig& cfg, const hub::HubOptions& opt) {
  auto resolve = [&](std::string& path) {
    if (path.empty()) return;
    const std::string local = hub::resolve_model_path(path, opt);
    if (local != path) log_info(path, " -> ", local);
    path = local;
  };
  for (auto& d : cfg.models)
    for (auto* c : {&d.single, &d.instruct, &d.thinking})
      if (*c) {
        resolve((*c)->path);
        resolve((*c)->mmproj);
      }
}

}  // namespace qvl::app
