// `qvl tokenize`: text -> token ids (or back) with a model's own tokenizer, for
// scripts and the tokenizer corpus test. Loads only the vocabulary, never weights.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "apps/qvl/args.h"
#include "apps/qvl/command.h"
#include "base/error.h"
#include "input/chat_template/chat_template.h"
#include "input/tokenizer/tokenizer.h"
#include "model/gguf/gguf.h"
#include "model/tokenizer_gguf.h"

namespace qvl::app {
namespace {

constexpr const char* kUsage =
    "usage: qvl tokenize --model PATH [TEXT]\n"
    "  PATH: a .gguf file, a tokenizer.json, or a Hugging Face model directory.\n"
    "  Prints the ids of TEXT (or of all of stdin, byte for byte) on one line.\n"
    "  Special-token strings become their ids; no BOS is added.\n"
    "options:\n"
    "  --decode         TEXT/stdin holds ids (spaces or commas); print their bytes\n"
    "  --no-special     only user-defined added tokens are matched, not control tokens\n"
    "  --chat FILE      print the prompt the model's chat template renders from FILE:\n"
    "                   a JSON message array, or a context object (messages, tools,\n"
    "                   enable_thinking, ...); add_generation_prompt defaults to true\n"
    "  --jsonl          batch: each stdin line is a JSON string -> an id array line,\n"
    "                   {\"hex\": \"..\"} (raw bytes) -> an id array line,\n"
    "                   or an id array -> {\"hex\": \"..\"} of the decoded bytes\n";

std::string read_all_stdin() {
  std::ios::sync_with_stdio(false);
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

struct Loaded {
  Tokenizer tok;
  std::string chat_template;  // "" when the model files carry none
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  QVL_CHECK(f, "cannot open ", p.string());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// tokenizer_config.json's chat_template (a string, or named templates: "default"
// wins), else a chat_template.jinja file beside it.
std::string hf_chat_template(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "tokenizer_config.json")) {
    nlohmann::json cfg = nlohmann::json::parse(read_file(dir / "tokenizer_config.json"), nullptr, false);
    if (cfg.is_object() && cfg.contains("chat_template")) {
      const nlohmann::json& t = cfg["chat_template"];
      if (t.is_string()) return t.get<std::string>();
      if (t.is_array())
        for (const auto& e : t)
          if (e.value("name", "") == "default") return e.value("template", "");
    }
  }
  if (std::filesystem::exists(dir / "chat_template.jinja")) return read_file(dir / "chat_template.jinja");
  return "";
}

Loaded load_model_tokenizer(const std::string& path) {
  namespace fs = std::filesystem;
  QVL_CHECK(fs::exists(path), "no such file or directory: ", path);
  fs::path json_path = fs::is_directory(path) ? fs::path(path) / "tokenizer.json" : fs::path(path);
  if (json_path.extension() == ".json") {
    return {Tokenizer::from_hf_json(json_path.string()), hf_chat_template(json_path.parent_path())};
  }
  GgufFile f(path);
  const GgufValue* tmpl = f.find("tokenizer.chat_template");
  return {Tokenizer(tokenizer_data_from_gguf(f)), tmpl ? tmpl->as_string() : ""};
}

std::string render_chat(const Loaded& m, const std::string& file) {
  QVL_CHECK(!m.chat_template.empty(), "the model files carry no chat template");
  // Ordered, so templates that dump JSON (tools, arguments) keep the file's key order.
  nlohmann::ordered_json ctx = nlohmann::ordered_json::parse(read_file(file), nullptr, false);
  QVL_CHECK(!ctx.is_discarded(), file, ": not valid JSON");
  if (ctx.is_array()) ctx = nlohmann::ordered_json{{"messages", ctx}};
  QVL_CHECK(ctx.is_object() && ctx.contains("messages"), file, ": expected a message array or an object with \"messages\"");
  if (!ctx.contains("add_generation_prompt")) ctx["add_generation_prompt"] = true;
  const TokenizerData& d = m.tok.data();
  if (!ctx.contains("eos_token") && d.eos_id >= 0) ctx["eos_token"] = m.tok.token_bytes(d.eos_id);
  if (!ctx.contains("bos_token") && d.bos_id >= 0) ctx["bos_token"] = m.tok.token_bytes(d.bos_id);
  return ChatTemplate(m.chat_template).render(ctx);
}

std::vector<int32_t> parse_ids(const std::string& s) {
  std::vector<int32_t> ids;
  std::string cleaned = s;
  for (char& c : cleaned)
    if (c == ',' || c == '[' || c == ']') c = ' ';
  std::istringstream in(cleaned);
  std::string word;
  while (in >> word) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    QVL_CHECK(used == word.size() && v >= INT32_MIN && v <= INT32_MAX, "not a token id: '", word, "'");
    ids.push_back(static_cast<int32_t>(v));
  }
  return ids;
}

std::string ids_line(const std::vector<int32_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ' ';
    out += std::to_string(ids[i]);
  }
  return out;
}

std::string to_hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string from_hex(const std::string& hex) {
  QVL_CHECK(hex.size() % 2 == 0, "hex string has odd length");
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    QVL_FAIL("bad hex digit '", c, "'");
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) out += static_cast<char>(nib(hex[i]) * 16 + nib(hex[i + 1]));
  return out;
}

// One JSON value per line in, one per line out; a bad line stops with its number.
int run_jsonl(const Tokenizer& tok, bool parse_special) {
  std::ios::sync_with_stdio(false);
  std::string line, out;
  size_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (line.empty()) continue;
    nlohmann::json v;
    try {
      v = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      QVL_FAIL("stdin line ", line_no, ": not JSON (", e.what(), ")");
    }
    if (v.is_string() || (v.is_object() && v.contains("hex"))) {
      std::string text = v.is_string() ? v.get<std::string>() : from_hex(v["hex"].get<std::string>());
      out += nlohmann::json(tok.encode(text, parse_special)).dump();
    } else if (v.is_array()) {
      out += nlohmann::json{{"hex", to_hex(tok.decode(v.get<std::vector<int32_t>>()))}}.dump();
    } else {
      QVL_FAIL("stdin line ", line_no, ": expected a string, {\"hex\": ..} or an id array");
    }
    out += '\n';
    if (out.size() > (1 << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int cmd_tokenize(const std::vector<std::string>& argv) {
  Args args(argv, {"model", "chat"}, {"decode", "jsonl", "no-special", "help"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  QVL_CHECK(args.has("model"), "--model PATH is required (qvl tokenize --help)");
  QVL_CHECK(args.positional().size() <= 1, "at most one TEXT argument (quote it)");
  Loaded model = load_model_tokenizer(args.get("model"));
  const Tokenizer& tok = model.tok;
  const bool parse_special = !args.has("no-special");
  if (args.has("chat")) {
    std::string prompt = render_chat(model, args.get("chat"));
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);
    return 0;
  }
  if (args.has("jsonl")) return run_jsonl(tok, parse_special);
  std::string input = args.positional().empty() ? read_all_stdin() : args.positional()[0];
  if (args.has("decode")) {
    std::string bytes = tok.decode(parse_ids(input));
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    return 0;
  }
  std::string line = ids_line(tok.encode(input, parse_special)) + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  return 0;
}

}  // namespace

QVL_COMMAND("tokenize", "text to token ids and back with a model's tokenizer", cmd_tokenize);

}  // namespace qvl::app
