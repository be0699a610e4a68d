// Chat message checks and the content-part normalisation the templates expect.
#include "serve/openai/chat_messages.h"

#include "serve/http/api_error.h"
#include "serve/http/request_limits.h"

namespace qvl::serve {

using json = nlohmann::ordered_json;

namespace {

std::string image_url_of(const json& part, const std::string& where) {
  const json* v = nullptr;
  if (part.contains("image_url")) v = &part["image_url"];
  else if (part.contains("image")) v = &part["image"];
  if (v && v->is_object() && v->contains("url")) v = &(*v)["url"];
  if (!v || !v->is_string() || v->get<std::string>().empty())
    throw bad_param(where, where + ": an image part needs image_url.url (a data: URL or http(s) URL)");
  return v->get<std::string>();
}

// Optional positive pixel count `key` of object `o` (0 when absent).
int64_t pixels_of(const json& o, const char* key, const std::string& where) {
  if (!o.is_object() || !o.contains(key) || o[key].is_null()) return 0;
  const json& v = o[key];
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > (int64_t{1} << 40))
    throw bad_param(where + "." + key, where + "." + key + " must be a positive integer (pixels)");
  return v.get<int64_t>();
}

// The budget fields of an image part: on the part, else in its image_url object,
// else the body's top-level defaults.
void read_budget(const json& part, const std::string& where, const ImageRef& dflt, ImageRef& img) {
  const json* inner = nullptr;
  for (const char* k : {"image_url", "image"})
    if (part.contains(k) && part[k].is_object()) inner = &part[k];
  for (const char* key : {"min_pixels", "max_pixels"}) {
    int64_t v = pixels_of(part, key, where);
    if (!v && inner) v = pixels_of(*inner, key, where + ".image_url");
    if (!v) v = key[1] == 'i' ? dflt.min_pixels : dflt.max_pixels;
    (key[1] == 'i' ? img.min_pixels : img.max_pixels) = v;
  }
  const bool outer = part.contains("detail");
  const json* d = outer ? &part["detail"] : inner && inner->contains("detail") ? &(*inner)["detail"] : nullptr;
  if (d && !d->is_null()) {
    const std::string dw = where + (outer ? ".detail" : ".image_url.detail");
    if (!d->is_string() || (*d != "low" && *d != "high" && *d != "auto"))
      throw bad_param(dw, dw + " must be low, high or auto");
    img.detail = d->get<std::string>();
  }
  const int64_t lo = img.min_pixels, hi = img.max_pixels;
  if (lo && hi && lo > hi)
    throw bad_param(where, where + ": min_pixels (" + std::to_string(lo) + ") exceeds max_pixels (" + std::to_string(hi) + ")");
}

// A video part: {"type":"video_url","video_url":{"url":...}} (a video file), or
// {"type":"video","video":[frame URLs]} (a frame list), with optional fps /
// min_pixels / max_pixels / total_pixels on the part or its video_url object.
constexpr size_t kMaxListedFrames = 768;  // HF's max_frames: more could never all be sampled

ImageRef video_of(const json& part, const std::string& where) {
  ImageRef v;
  v.video = true;
  const json* src = nullptr;
  for (const char* k : {"video_url", "video"})
    if (!src && part.contains(k)) src = &part[k];
  const json* inner = src && src->is_object() ? src : nullptr;
  if (inner && inner->contains("url")) src = &(*inner)["url"];
  if (src && src->is_string() && !src->get<std::string>().empty()) {
    v.url = src->get<std::string>();
  } else if (src && src->is_array()) {
    if (src->empty() || src->size() > kMaxListedFrames)
      throw bad_param(where, where + ": a frame list holds 1 to " + std::to_string(kMaxListedFrames) + " images, got " +
                             std::to_string(src->size()));
    for (size_t i = 0; i < src->size(); ++i) {
      const json& f = (*src)[i];
      const json* u = f.is_object() && f.contains("image_url") ? &f["image_url"] : &f;
      if (u->is_object() && u->contains("url")) u = &(*u)["url"];
      if (!u->is_string() || u->get<std::string>().empty())
        throw bad_param(where, where + ".video[" + std::to_string(i) + "] must be an image URL");
      ImageRef frame;
      frame.url = u->get<std::string>();
      v.frames.push_back(std::move(frame));
    }
  } else {
    throw bad_param(where, where + ": a video part needs video_url.url (a data: or http(s) URL of a video file) or "
                                   "video: [image URLs of its frames]");
  }
  const json& opts = inner && !part.contains("fps") && inner->contains("fps") ? *inner : part;
  if (opts.contains("fps") && !opts["fps"].is_null()) {
    const json& f = opts["fps"];
    if (!f.is_number() || !(f.get<double>() > 0) || f.get<double>() > 240)
      throw bad_param(where + ".fps", where + ".fps must be a number in (0, 240]");
    v.fps = f.get<double>();
  }
  for (const char* key : {"min_pixels", "max_pixels", "total_pixels"}) {
    int64_t n = pixels_of(part, key, where);
    if (!n && inner) n = pixels_of(*inner, key, where + ".video_url");
    (key[1] == 'i' ? v.min_pixels : key[1] == 'a' ? v.max_pixels : v.total_pixels) = n;
  }
  if (v.min_pixels && v.max_pixels && v.min_pixels > v.max_pixels)
    throw bad_param(where, where + ": min_pixels (" + std::to_string(v.min_pixels) + ") exceeds max_pixels (" +
                               std::to_string(v.max_pixels) + ")");
  return v;
}

}  // namespace

ChatInput parse_messages(const json& body) {
  if (!body.contains("messages")) throw bad_param("messages", "'messages' is required");
  const json& msgs = body["messages"];
  if (!msgs.is_array()) throw bad_param("messages", "'messages' must be an array");
  if (msgs.empty()) throw bad_param("messages", "'messages' must not be empty");
  if (msgs.size() > limits::kMessages)
    throw bad_param("messages", str("'messages' holds at most ", limits::kMessages, " messages"));
  ChatInput out;
  out.messages = json::array();
  ImageRef dflt;  // top-level min_pixels / max_pixels apply to every image
  dflt.min_pixels = pixels_of(body, "min_pixels", "body");
  dflt.max_pixels = pixels_of(body, "max_pixels", "body");
  for (size_t i = 0; i < msgs.size(); ++i) {
    const std::string where = "messages[" + std::to_string(i) + "]";
    const json& m = msgs[i];
    if (!m.is_object()) throw bad_param(where, where + " must be an object");
    if (!m.contains("role") || !m["role"].is_string()) throw bad_param(where + ".role", where + ".role is required");
    if (m["role"].get_ref<const std::string&>().size() > limits::kShortString)
      throw bad_param(where + ".role", where + ".role is not a role");
    std::string role = m["role"];
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant" && role != "tool")
      throw bad_param(where + ".role", where + ".role must be system, developer, user, assistant or tool (got '" + role + "')");
    json nm = m;
    nm["role"] = role;
    static const json kNoContent = nullptr;
    const json& content = m.contains("content") ? m["content"] : kNoContent;
    std::string text;
    bool has_image = false;
    if (content.is_string()) {
      text = content.get<std::string>();
    } else if (content.is_null()) {
      if (role != "assistant") throw bad_param(where + ".content", where + ".content is required");
      nm["content"] = "";
    } else if (content.is_array()) {
      if (content.size() > limits::kContentParts)
        throw bad_param(where + ".content", str(where, ".content holds at most ", limits::kContentParts, " parts"));
      json parts = json::array();
      for (size_t k = 0; k < content.size(); ++k) {
        const std::string pw = where + ".content[" + std::to_string(k) + "]";
        const json& p = content[k];
        if (!p.is_object() || !p.contains("type") || !p["type"].is_string())
          throw bad_param(pw, pw + " must be an object with a 'type'");
        const std::string type = p["type"];
        if (type == "text" || type == "input_text") {
          if (!p.contains("text") || !p["text"].is_string()) throw bad_param(pw, pw + ".text must be a string");
          text += p["text"].get<std::string>();
          parts.push_back({{"type", "text"}, {"text", p["text"]}});
        } else if (type == "image_url" || type == "image" || type == "input_image") {
          ImageRef img;
          img.url = image_url_of(p, pw);
          read_budget(p, pw, dflt, img);
          out.images.push_back(std::move(img));
          parts.push_back({{"type", "image"}});
          has_image = true;
        } else if (type == "video" || type == "video_url") {
          out.images.push_back(video_of(p, pw));
          parts.push_back({{"type", "video"}});
          has_image = true;
        } else if (type == "input_audio") {
          throw bad_param(pw, pw + ": '" + type + "' input is not supported");
        } else {
          throw bad_param(pw, pw + ": unknown content part type '" + type + "'");
        }
      }
      nm["content"] = has_image ? parts : json(text);  // text-only templates expect a string
    } else {
      throw bad_param(where + ".content", where + ".content must be a string or an array of parts");
    }
    if (role == "user") out.last_user_text = text;
    out.messages.push_back(std::move(nm));
  }
  return out;
}

void flatten_content_parts(json& messages) {
  for (json& m : messages) {
    if (!m.contains("content") || !m["content"].is_array()) continue;
    std::string text;
    for (const json& p : m["content"]) {
      const std::string& type = p["type"].get_ref<const std::string&>();
      if (type == "text") text += p["text"].get<std::string>();
      else if (type == "image") text += "<|vision_start|><|image_pad|><|vision_end|>";
      else if (type == "video") text += "<|vision_start|><|video_pad|><|vision_end|>";
    }
    m["content"] = text;
  }
}

json template_extras(const json& body, bool thinking) {
  json extra = json::object();
  if (body.contains("chat_template_kwargs") && !body["chat_template_kwargs"].is_null()) {
    if (!body["chat_template_kwargs"].is_object())
      throw bad_param("chat_template_kwargs", "'chat_template_kwargs' must be an object");
    if (body["chat_template_kwargs"].size() > limits::kTemplateKwargs)
      throw bad_param("chat_template_kwargs",
                      str("'chat_template_kwargs' takes at most ", limits::kTemplateKwargs, " keys"));
    for (const auto& [k, v] : body["chat_template_kwargs"].items()) {
      // The server owns these; a client value would desynchronise prompt and parser.
      if (k == "messages" || k == "add_generation_prompt" || k == "bos_token" || k == "eos_token") continue;
      extra[k] = v;
    }
  }
  if (body.contains("tools") && !body["tools"].is_null()) {
    if (!body["tools"].is_array()) throw bad_param("tools", "'tools' must be an array");
    if (body["tools"].size() > limits::kTools)
      throw bad_param("tools", str("'tools' holds at most ", limits::kTools, " tools"));
    if (!body["tools"].empty()) extra["tools"] = body["tools"];
  }
  extra["enable_thinking"] = thinking;
  return extra;
}

}  // namespace qvl::serve
