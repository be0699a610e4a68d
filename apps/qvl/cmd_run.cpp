// `qvl run`: generate from one prompt (or a JSONL file of prompts) on the command
// line through the batching engine. stdout carries only the output (text, ids or
// JSON lines); everything else goes to stderr. No HTTP, no reasoning-mode routing.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/qvl/args.h"
#include "apps/qvl/command.h"
#include "apps/qvl/load_progress.h"
#include "base/error.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "engine/engine.h"
#include "input/chat_template/chat_template.h"
#include "model/model.h"
#include "input/image/video.h"
#include "input/video/video_file.h"
#include "model/vision/vision_prompt.h"

namespace qvl::app {
namespace {

const char* kRunUsage = R"(usage: qvl run --model PATH (--prompt TEXT | --prompt-file PATH | --prompts-jsonl PATH) [options]
  -n N                  tokens to generate (default 128)
  --chat                wrap the prompt as one user message with the model's chat template
  --temperature T       0 = greedy (default 0)
  --top-k K --top-p P --min-p M
  --repeat-penalty R --repeat-last-n N --presence-penalty P --frequency-penalty F
  --seed S --stop STR (repeatable) --ignore-eos
  --threads T --ctx N
  --ids                 print generated token ids (space separated) instead of text
  --logprobs K          print one JSON line per generated token: id, logprob, top-K
  --prompts-jsonl PATH  one JSON object per line, {"prompt": TEXT} or {"tokens": [ids]};
                        all run batched, one JSON result line per prompt in input order
  --batch N             sequences decoded together with --prompts-jsonl (default 8)
  --mmproj PATH --image FILE (repeatable)   vision: each <|vision_start|><|image_pad|><|vision_end|>
                        in the prompt takes the next image (--chat adds one placeholder per image)
  --image-min-pixels N --image-max-pixels N  resize budget (default 65536..16777216, HF's)
  --vision-compat hf|llama  llama: llama.cpp mtmd's budget and numerics, for parity runs
                        (implies --numerics ggml-scalar)
  --numerics default|ggml-scalar  text decoder arithmetic: default follows ggml's SIMD builds
                        orders (node-llama-cpp); ggml-scalar its baseline x86-64 build (llama.node), slow
  --video-frames F1,F2,...  (repeatable) one video as its frames; <|vision_start|><|video_pad|><|vision_end|>
  --video-fps F         frame rate of that list (default 2); frames are sampled at 2 fps as HF does
  --video FILE          (repeatable) one video file (MP4, MKV, WebM, AVI, ...), decoded with FFmpeg and
                        sampled at 2 fps (4..768 frames); placeholders take --video-frames lists first
The prompt is raw text: no template unless --chat, special-token strings become
special tokens, no BOS is added.)";

// argv with "-n N" spelled "--n N" (Args only knows --long flags).
std::vector<std::string> normalise(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  for (const auto& a : argv) out.push_back(a == "-n" ? "--n" : a == "-h" ? "--help" : a);
  return out;
}

SamplingParams sampling_from(const Args& a) {
  SamplingParams s;
  s.temperature = static_cast<float>(a.get_double("temperature", 0.0));
  s.top_k = a.get_int("top-k", 0);
  s.top_p = static_cast<float>(a.get_double("top-p", 1.0));
  s.min_p = static_cast<float>(a.get_double("min-p", 0.0));
  s.repetition_penalty = static_cast<float>(a.get_double("repeat-penalty", 1.0));
  s.penalty_last_n = a.get_int("repeat-last-n", 64);
  s.presence_penalty = static_cast<float>(a.get_double("presence-penalty", 0.0));
  s.frequency_penalty = static_cast<float>(a.get_double("frequency-penalty", 0.0));
  const std::string seed = a.get("seed", "0");
  char* end = nullptr;
  s.seed = std::strtoull(seed.c_str(), &end, 10);
  QVL_CHECK(!seed.empty() && *end == 0, "--seed expects a non-negative integer, got '", seed, "'");
  s.n_logprobs = a.get_int("logprobs", 0);
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  QVL_CHECK(f.good(), path, ": cannot open");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Raw text (or the chat-wrapped text) to prompt tokens. Vision inputs would add
// positions and embedding spans here.
PromptInput text_prompt(const Model& m, const std::string& text, bool chat) {
  PromptInput p;
  std::string s = text;
  if (chat) {
    QVL_CHECK(!m.chat_template_source().empty(), "--chat: the model has no chat template");
    ChatTemplate tpl(m.chat_template_source());
    nlohmann::json ctx;
    ctx["messages"] = nlohmann::json::array({{{"role", "user"}, {"content", text}}});
    ctx["add_generation_prompt"] = true;
    s = tpl.render(ctx);
  }
  p.tokens = m.tokenizer().encode(s, /*parse_special=*/true);
  QVL_CHECK(!p.tokens.empty(), "the prompt is empty");
  return p;
}

std::vector<int32_t> eos_tokens(const Tokenizer& tok) {
  std::vector<int32_t> ids;
  auto add = [&](int32_t id) {
    if (id >= 0 && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  };
  add(tok.data().eos_id);
  add(tok.find_token("<|im_end|>"));
  add(tok.find_token("<|endoftext|>"));
  return ids;
}

const char* finish_name(FinishReason f) {
  switch (f) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
    case FinishReason::kError: return "error";
  }
  return "?";
}

nlohmann::json top_json(const std::vector<TokenLogprob>& top) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& t : top) a.push_back({{"id", t.id}, {"logprob", t.logprob}});
  return a;
}

// ---- vision (--mmproj / --image / --video-frames), maintained by the vision engineer ----
// Encodes each image / video, expands its placeholder to the right pads (and a
// video's timestamp text), computes MRoPE positions and attaches the features as
// embedding spans.
PromptInput attach_vision(const Model& m, const PromptInput& text, const Args& a) {
  QVL_CHECK(a.has("mmproj"), "--image / --video-frames / --video need --mmproj");
  auto vm = load_vision_model(a.get("mmproj"));
  QVL_CHECK(vm->config().out_hidden_size == m.config().hidden_size, "mmproj output width ",
            vm->config().out_hidden_size, " does not match the text model's hidden size ", m.config().hidden_size);
  PixelBudget budget;
  // llama.cpp's mtmd numerics and budget (docs/decisions/vision-llama-parity.md).
  const std::string compat = a.get("vision-compat", "hf");
  QVL_CHECK(compat == "hf" || compat == "llama", "--vision-compat expects hf or llama, got '", compat, "'");
  if (compat == "llama") {
    vm->options() = llama_cpp_vision_options();
    budget = llama_cpp_budget();
  }
  vm->prepare(default_pool());
  budget.min_pixels = a.get_int("image-min-pixels", static_cast<int>(budget.min_pixels));
  budget.max_pixels = a.get_int("image-max-pixels", static_cast<int>(budget.max_pixels));
  QVL_CHECK(budget.min_pixels > 0 && budget.min_pixels <= budget.max_pixels, "bad --image-min/max-pixels");
  std::vector<std::shared_ptr<const VisionOutput>> images;
  for (const std::string& f : a.get_all("image")) {
    images.push_back(encode_image(*vm, load_image_file(f), budget, default_pool()));
    // Same summary as llama.cpp's MTMD_DEBUG_EMBEDDINGS "Stats:" line (parity tests compare them).
    if (std::getenv("QVL_DEBUG_EMBEDDINGS")) log_info("run: image embeddings ", llama_embedding_stats(*images.back()));
  }
  std::vector<VideoInput> videos;
  const double video_fps = a.get_double("video-fps", 2.0);
  for (const std::string& list : a.get_all("video-frames")) {
    std::vector<std::string> files;
    for (size_t at = 0; at <= list.size();) {
      const size_t comma = std::min(list.find(',', at), list.size());
      if (comma > at) files.push_back(list.substr(at, comma - at));
      at = comma + 1;
    }
    const std::vector<int64_t> idx = sample_frame_indices(static_cast<int64_t>(files.size()), video_fps);
    std::vector<Image> frames;
    for (int64_t i : idx) frames.push_back(load_image_file(files[static_cast<size_t>(i)]));
    VideoInput v;
    v.features = encode_video(*vm, frames, default_video_budget(), default_pool());
    v.timestamps = video_timestamps(idx, video_fps, static_cast<int>(vm->config().temporal_patch_size));
    videos.push_back(std::move(v));
  }
  for (const std::string& file : a.get_all("video")) {
    // Frames come back already resized to the clip's target, so only small ones are held.
    VideoDecodeOptions vo;
    vo.resize_budget = default_video_budget();
    vo.preprocess = vm->preprocess_options(*vo.resize_budget);
    const DecodedVideo dv = decode_video_file(file, vo);
    log_info("run: ", file, ": ", dv.info.codec, " ", dv.info.width, "x", dv.info.height, ", ", dv.info.total_frames,
             " frames at ", dv.info.fps, " fps; ", dv.indices.size(), " sampled");
    VideoInput v;
    v.features = std::make_shared<const VisionOutput>(vm->encode(patchify_resized_video(dv.frames, vo.preprocess),
                                                                 default_pool()));
    v.timestamps = video_timestamps(dv.indices, dv.info.fps, static_cast<int>(vm->config().temporal_patch_size));
    videos.push_back(std::move(v));
  }
  VisionTokenIds ids;
  ids.vision_start = m.tokenizer().find_token("<|vision_start|>");
  ids.vision_end = m.tokenizer().find_token("<|vision_end|>");
  ids.image_pad = m.tokenizer().find_token("<|image_pad|>");
  ids.video_pad = m.tokenizer().find_token("<|video_pad|>");
  QVL_CHECK(ids.vision_start >= 0 && ids.image_pad >= 0, "the tokenizer has no <|vision_start|> / <|image_pad|>");
  const TextTokenizer tokenize = [&](const std::string& s) { return m.tokenizer().encode(s, false); };
  const VisionPrompt vp = expand_vision_pads(text.tokens, images, videos, tokenize, ids);
  PromptInput p;
  p.tokens = vp.tokens;
  p.positions = vp.positions;
  int64_t n_visual = 0;
  for (const VisionSpan& s : vp.spans) {
    const int64_t h = s.features->hidden, r0 = s.row_offset * h, r1 = (s.row_offset + s.n_tokens) * h;
    EmbeddingSpan e;
    e.start = s.start;
    e.n_tokens = static_cast<int32_t>(s.n_tokens);
    e.main.assign(s.features->main.begin() + r0, s.features->main.begin() + r1);
    for (const auto& d : s.features->deepstack) e.deepstack.emplace_back(d.begin() + r0, d.begin() + r1);
    p.embeddings.push_back(std::move(e));
    n_visual += s.n_tokens;
  }
  log_info("run: ", images.size(), " image(s), ", videos.size(), " video(s), ", n_visual, " image tokens");
  return p;
}

// With --chat, one placeholder per image goes in front of the user text.
std::string image_placeholders(const Args& a) {
  std::string s;
  for (size_t i = 0; i < a.get_all("image").size(); ++i) s += "<|vision_start|><|image_pad|><|vision_end|>";
  const size_t n_videos = a.get_all("video-frames").size() + a.get_all("video").size();
  for (size_t i = 0; i < n_videos; ++i) s += "<|vision_start|><|video_pad|><|vision_end|>";
  return s;
}
// ---- end vision ----------------------------------------------------------------

struct Common {
  std::unique_ptr<Model> model;
  GenerationRequest base;  // sampling, limits and stops; no prompt, no callbacks
  int n = 128;
};

Common load_common(const Args& a) {
  Common c;
  if (a.has("threads")) set_default_threads(a.get_int("threads", 1));
  c.n = a.get_int("n", 128);
  QVL_CHECK(c.n >= 1, "-n must be >= 1");
  // --vision-compat llama mirrors llama.node's whole build, text decoder included.
  ModelOptions mo;
  mo.numerics = parse_numerics(a.get("numerics", a.get("vision-compat", "hf") == "llama" ? "ggml-scalar" : "default"));
  c.model = load_model_with_progress(a.require("model"), mo);
  c.base.sampling = sampling_from(a);
  c.base.max_tokens = c.n;
  c.base.stop_strings = a.get_all("stop");
  if (!a.has("ignore-eos")) c.base.stop_tokens = eos_tokens(c.model->tokenizer());
  return c;
}

int run_single(const Args& a) {
  Common c = load_common(a);
  QVL_CHECK(a.has("prompt") != a.has("prompt-file"), "give exactly one of --prompt and --prompt-file");
  const std::string text = a.has("prompt") ? a.get("prompt") : read_file(a.get("prompt-file"));
  GenerationRequest req = c.base;
  req.prompt = text_prompt(*c.model, a.has("chat") ? image_placeholders(a) + text : text, a.has("chat"));
  if (a.has("image") || a.has("video-frames") || a.has("video")) req.prompt = attach_vision(*c.model, req.prompt, a);
  const int n_prompt = static_cast<int>(req.prompt.tokens.size());

  EngineOptions opt;
  opt.max_running = 1;
  opt.context_length = a.get_int("ctx", n_prompt + c.n + 1);
  Engine engine(*c.model, opt);

  const bool ids = a.has("ids"), logprobs = a.has("logprobs");
  bool first = true;
  req.on_token = [&](const TokenEvent& ev) {
    if (logprobs) {
      nlohmann::json j = {{"id", ev.token}, {"logprob", ev.logprob}, {"top", top_json(ev.top)}};
      std::fputs((j.dump() + "\n").c_str(), stdout);
    } else if (ids) {
      std::printf("%s%d", first ? "" : " ", ev.token);
    } else {
      std::fwrite(ev.text.data(), 1, ev.text.size(), stdout);
    }
    first = false;
    std::fflush(stdout);
    return true;
  };
  std::promise<GenerationResult> done;
  req.on_done = [&](const GenerationResult& r) { done.set_value(r); };
  engine.submit(std::move(req));
  const GenerationResult r = done.get_future().get();
  if (ids && !logprobs) std::printf("\n");
  std::fflush(stdout);
  const double pre = r.prefill_ms > 0 ? n_prompt * 1000.0 / r.prefill_ms : 0;
  const double dec = r.decode_ms > 0 && r.completion_tokens > 1 ? (r.completion_tokens - 1) * 1000.0 / r.decode_ms : 0;
  log_info("run: prompt ", n_prompt, " tokens, generated ", r.completion_tokens, " (finish: ", finish_name(r.finish),
           "), prefill ", pre, " tok/s, decode ", dec, " tok/s, threads ", default_threads());
  QVL_CHECK(r.finish != FinishReason::kError, "generation failed: ", r.error);
  return 0;
}

int run_jsonl(const Args& a) {
  Common c = load_common(a);
  std::vector<PromptInput> prompts;
  std::istringstream lines(read_file(a.get("prompts-jsonl")));
  std::string line;
  for (int ln = 1; std::getline(lines, line); ++ln) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      QVL_FAIL(a.get("prompts-jsonl"), ":", ln, ": not JSON: ", e.what());
    }
    if (j.contains("tokens")) {
      PromptInput p;
      p.tokens = j["tokens"].get<std::vector<int32_t>>();
      prompts.push_back(std::move(p));
    } else {
      QVL_CHECK(j.contains("prompt") && j["prompt"].is_string(), a.get("prompts-jsonl"), ":", ln,
                ": expected {\"prompt\": TEXT} or {\"tokens\": [ids]}");
      prompts.push_back(text_prompt(*c.model, j["prompt"].get<std::string>(), a.has("chat")));
    }
  }
  QVL_CHECK(!prompts.empty(), a.get("prompts-jsonl"), ": no prompts");
  size_t longest = 0;
  for (const auto& p : prompts) longest = std::max(longest, p.tokens.size());

  EngineOptions opt;
  opt.max_running = a.get_int("batch", 8);
  opt.max_queue = static_cast<int>(prompts.size());
  opt.context_length = a.get_int("ctx", static_cast<int>(longest) + c.n + 1);
  opt.kv_tokens = static_cast<int64_t>(opt.context_length + KvCache::kBlockTokens) * opt.max_running;
  Engine engine(*c.model, opt);

  struct Out {
    std::vector<int32_t> ids;
    std::vector<TokenLogprob> first_top;
    float first_logprob = 0;
    std::string text;
    GenerationResult result;
  };
  std::vector<Out> outs(prompts.size());
  std::vector<std::future<void>> waits;
  for (size_t i = 0; i < prompts.size(); ++i) {
    GenerationRequest req = c.base;
    req.prompt = std::move(prompts[i]);
    Out& o = outs[i];
    req.on_token = [&o](const TokenEvent& ev) {
      if (o.ids.empty()) {
        o.first_top = ev.top;
        o.first_logprob = ev.logprob;
      }
      o.ids.push_back(ev.token);
      o.text += ev.text;
      return true;
    };
    auto done = std::make_shared<std::promise<void>>();
    waits.push_back(done->get_future());
    req.on_done = [&o, done](const GenerationResult& r) {
      o.result = r;
      done->set_value();
    };
    engine.submit(std::move(req));
  }
  for (auto& w : waits) w.wait();
  for (size_t i = 0; i < outs.size(); ++i) {
    const Out& o = outs[i];
    QVL_CHECK(o.result.finish != FinishReason::kError, "prompt ", i, ": generation failed: ", o.result.error);
    nlohmann::json j = {{"index", i},
                        {"n_prompt", o.result.prompt_tokens},
                        {"tokens", o.ids},
                        {"text", o.text},
                        {"finish", finish_name(o.result.finish)},
                        {"first_logprob", o.first_logprob},
                        {"top_logprobs", top_json(o.first_top)}};
    std::fputs((j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n").c_str(), stdout);
  }
  const EngineStats st = engine.stats();
  log_info("run: ", outs.size(), " prompts in ", st.steps, " forward passes (up to ", st.max_batch_seqs,
           " sequences per pass)");
  return 0;
}

int cmd_run(const std::vector<std::string>& argv) {
  const Args a(normalise(argv),
               {"model", "prompt", "prompt-file", "prompts-jsonl", "n", "temperature", "top-k", "top-p", "min-p",
                "repeat-penalty", "repeat-last-n", "presence-penalty", "frequency-penalty", "seed", "stop", "threads",
                "logprobs", "ctx", "batch", "mmproj", "image", "image-min-pixels", "image-max-pixels", "vision-compat", "video-frames", "video-fps",
                "video", "numerics"},
               {"chat", "ids", "ignore-eos", "help"});
  if (a.has("help")) {
    std::fprintf(stderr, "%s\n", kRunUsage);
    return 0;
  }
  QVL_CHECK(a.positional().empty(), "unexpected argument '", a.positional().front(), "' (see qvl run --help)");
  return a.has("prompts-jsonl") ? run_jsonl(a) : run_single(a);
}

}  // namespace

QVL_COMMAND("run", "generate from a prompt on the command line", cmd_run);

}  // namespace qvl::app
