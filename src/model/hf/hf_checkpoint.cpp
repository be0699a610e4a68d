// HfCheckpoint (model layer): a Hugging Face model directory with config.json and
// either model.safetensors or shards listed in model.safetensors.index.json.
// Checks the index against the shards; does not interpret config.json.
#include <filesystem>
#include <fstream>
#include <set>

#include "base/error.h"
#include "model/hf/safetensors.h"

namespace qvl {
namespace {

nlohmann::json read_json_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  QVL_CHECK(in, p.string(), ": cannot open");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  QVL_CHECK(!j.is_discarded(), p.string(), ": not valid JSON");
  QVL_CHECK(j.is_object(), p.string(), ": not a JSON object");
  return j;
}

// A shard name from the index must stay inside the checkpoint directory.
bool plain_file_name(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos &&
         s.find('\\') == std::string::npos && s.find('\0') == std::string::npos;
}

}  // namespace

HfCheckpoint::HfCheckpoint(const std::string& dir) : dir_(dir) {
  namespace fs = std::filesystem;
  const fs::path root(dir);
  std::error_code ec;
  QVL_CHECK(fs::is_directory(root, ec), dir, ": not a directory");
  const fs::path config = root / "config.json";
  QVL_CHECK(fs::exists(config, ec), dir, ": no config.json");
  config_ = read_json_file(config);

  const fs::path index_path = root / "model.safetensors.index.json";
  std::map<std::string, std::string> weight_map;  // tensor -> shard file
  std::set<std::string> shards;
  if (fs::exists(index_path, ec)) {
    const nlohmann::json index = read_json_file(index_path);
    QVL_CHECK(index.contains("weight_map") && index["weight_map"].is_object(), index_path.string(),
              ": missing weight_map object");
    for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
      QVL_CHECK(it.value().is_string(), index_path.string(), ": weight_map entry '", it.key(), "' is not a string");
      const std::string shard = it.value().get<std::string>();
      QVL_CHECK(plain_file_name(shard), index_path.string(), ": shard name '", shard, "' for '", it.key(),
                "' is not a plain file name");
      weight_map[it.key()] = shard;
      shards.insert(shard);
    }
    QVL_CHECK(!shards.empty(), index_path.string(), ": weight_map is empty");
  } else if (fs::exists(root / "model.safetensors", ec)) {
    shards.insert("model.safetensors");
  } else {
    QVL_FAIL(dir, ": no model.safetensors or model.safetensors.index.json");
  }

  std::map<std::string, std::string> owner;  // tensor -> shard it was found in
  for (const std::string& shard : shards) {
    files_.push_back(std::make_unique<SafetensorsFile>((root / shard).string()));
    for (const Tensor& t : files_.back()->tensors()) {
      auto [it, fresh] = owner.emplace(t.name, shard);
      QVL_CHECK(fresh, dir, ": tensor '", t.name, "' appears in both ", it->second, " and ", shard);
      index_[t.name] = &t;
    }
  }
  for (const auto& [name, shard] : weight_map) {
    auto it = owner.find(name);
    QVL_CHECK(it != owner.end() && it->second == shard, index_path.string(), ": weight_map puts '", name, "' in ",
              shard, " but that shard does not hold it");
  }
}

const Tensor* HfCheckpoint::find_tensor(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

std::vector<std::string> HfCheckpoint::tensor_names() const {
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto& [name, t] : index_) out.push_back(name);
  return out;
}

}  // namespace qvl
