// Byte-level BPE tokenizer for the Qwen2/Qwen3 vocabulary (input layer).
// Built from plain data so the model layer can feed it GGUF metadata, or loaded
// from a Hugging Face tokenizer.json. Thread-safe for concurrent const use.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qvl {

// Token types as in GGUF tokenizer.ggml.token_type.
enum class TokenType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct TokenizerData {
  std::vector<std::string> tokens;      // id -> piece, in byte-level (GPT-2 unicode) form as stored in files
  std::vector<TokenType> token_types;   // same length as tokens
  std::vector<std::string> merges;      // "left right", by rank (index 0 = highest priority)
  std::string pre = "qwen2";            // pre-tokenizer id (tokenizer.ggml.pre); only "qwen2" is supported
  bool normalize_nfc = true;            // HF Qwen2/3 tokenizer.json normalises NFC; llama.cpp never does
  int32_t eos_id = -1, bos_id = -1, pad_id = -1;
};

class Tokenizer {
 public:
  explicit Tokenizer(const TokenizerData& data);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // tokenizer.json (+ tokenizer_config.json beside it for added-token flags).
  static Tokenizer from_hf_json(const std::string& tokenizer_json_path);
  // The same file read into plain data (model layer copies it into GGUF files).
  // Added tokens that are special or look like <|...|> become kControl, the other
  // added tokens kUserDefined, exactly as llama.cpp's convert_hf_to_gguf.py does.
  static TokenizerData data_from_hf_json(const std::string& tokenizer_json_path);

  // Special/added-token strings in `text` become their ids (Hugging Face behaviour);
  // with parse_special false only kUserDefined ones do, as in llama.cpp. No BOS is
  // ever added. Invalid UTF-8 first becomes U+FFFD per maximal ill-formed subpart.
  std::vector<int32_t> encode(std::string_view text, bool parse_special = true) const;
  // Raw bytes of the ids concatenated (may end mid-UTF-8); skip_special drops control tokens.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const;
  std::string token_bytes(int32_t id) const;        // the raw bytes a token stands for
  int32_t find_token(std::string_view bytes) const;  // id whose raw bytes equal `bytes`, or -1
  int32_t vocab_size() const;
  bool is_control(int32_t id) const;
  const TokenizerData& data() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Streams text from ids without ever emitting half a UTF-8 character: bytes of an
// incomplete sequence are held back until it completes (or flush()).
class IncrementalDecoder {
 public:
  explicit IncrementalDecoder(const Tokenizer& tok, bool skip_special = false);
  std::string push(int32_t id);  // text that is now complete
  std::string flush();           // whatever is held back (invalid bytes replaced by U+FFFD)

 private:
  const Tokenizer& tok_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace qvl
