// GET /v1/models: every deployment name, then every alias (with the model it
// points at and the mode it implies), with input modalities and how modes map
// onto checkpoints.
#include <httplib.h>

#include "serve/deploy/server_context.h"

namespace qvl::serve {

using nlohmann::json;

void handle_models(ServerContext& ctx, const httplib::Request&, httplib::Response& res) {
  json data = json::array();
  const auto deployments = ctx.registry.all();
  for (const auto& d : deployments) {
    json modalities = json::array({"text"});
    if (d->has_vision()) {
      modalities.push_back("image");
      modalities.push_back("video");
    }
    json aliases = json::array();
    for (const auto& [a, m] : d->spec.aliases) aliases.push_back(a);
    const std::string kind = d->spec.is_pair() ? "pair" : (d->single->hybrid ? "hybrid" : "single");
    json modes = json::array();
    if (kind != "single") modes = {"instruct", "thinking"};
    else modes.push_back(d->single->opens_think ? "thinking" : "instruct");
    json entry = {{"id", d->spec.name}, {"object", "model"}, {"created", 0}, {"owned_by", "qvl"},
                  {"aliases", aliases}, {"input_modalities", modalities}, {"kind", kind}, {"modes", modes},
                  {"context_length", d->any().generator->context_length()}};
    data.push_back(entry);
    for (const auto& [a, m] : d->spec.aliases) {
      json e = {{"id", a}, {"object", "model"}, {"created", 0}, {"owned_by", "qvl"}, {"alias_of", d->spec.name},
                {"input_modalities", modalities}, {"kind", kind}};
      e["mode"] = m ? json(mode_name(*m)) : json(nullptr);
      data.push_back(e);
    }
  }
  send_json(res, 200, {{"object", "list"}, {"data", data}});
}

}  // namespace qvl::serve
