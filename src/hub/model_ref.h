// What `qvl pull` and `qvl serve --model` accept as a model reference:
//   a local path (file or directory) that exists      -> used as is
//   ORG/NAME:FILE (also several FILEs to pull)          -> one file of a hub repository
//   ORG/NAME                                            -> the repository as an HF directory
#pragma once
#include <optional>
#include <string>

#include "hub/hub_client.h"

namespace qvl::hub {

struct ModelRef {
  std::string repo;
  std::string file;  // empty: the whole repository directory
};

// A hub reference, or nullopt for a path that exists locally or that is not of
// the ORG/NAME[:FILE] form (the caller then reports it as a missing file).
std::optional<ModelRef> parse_model_ref(const std::string& s);

// The local path for S: S itself when it is not a hub reference, else the
// cached (downloaded on first use) file or snapshot directory.
std::string resolve_model_path(const std::string& s, const HubOptions& opt);

}  // namespace qvl::hub
