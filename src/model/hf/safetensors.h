// Hugging Face checkpoints (model layer): one or many *.safetensors files
// (model.safetensors.index.json for shards) mapped zero-copy, plus config.json.
// BF16 / F16 / F32 tensors; any other dtype is a one-line error naming the tensor.
// Tensor data must sit at a multiple of its element size (real writers ensure it).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/mapped_file.h"
#include "runtime/tensor.h"

namespace qvl {

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);  // throws qvl::Error
  const std::vector<Tensor>& tensors() const { return tensors_; }
  const nlohmann::json& metadata() const { return metadata_; }  // "__metadata__" or {}

 private:
  MappedFile file_;
  std::vector<Tensor> tensors_;
  nlohmann::json metadata_;
};

class HfCheckpoint {
 public:
  explicit HfCheckpoint(const std::string& dir);  // throws qvl::Error
  const std::string& dir() const { return dir_; }
  const nlohmann::json& config() const { return config_; }  // config.json
  const Tensor* find_tensor(const std::string& name) const;
  std::vector<std::string> tensor_names() const;

 private:
  std::string dir_;
  nlohmann::json config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const Tensor*> index_;
};

// Writes one safetensors file (used by make-test-model and tests). Tensors are laid
// out widest dtype first (stable), so every tensor is aligned without padding.
void write_safetensors(const std::string& path, const std::vector<Tensor>& tensors,
                       const nlohmann::json& metadata = nlohmann::json::object());

}  // namespace qvl
