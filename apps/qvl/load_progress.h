// load_model() with a progress bar over the decoder layers it reads and repacks
// (drawn only under --progress / a terminal: base/progress.h).
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "base/progress.h"
#include "model/model.h"

namespace qvl::app {

inline std::unique_ptr<Model> load_model_with_progress(const std::string& path, ModelOptions options = {}) {
  ProgressBar bar("loading " + std::filesystem::path(path).filename().string(), 0, false);
  options.progress = bar.callback();
  auto m = load_model(path, options);
  bar.finish();
  return m;
}

}  // namespace qvl::app
