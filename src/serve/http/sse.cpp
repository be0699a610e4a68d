// SSE framing. JSON is dumped on one line, so a data field never spans lines.
#include "serve/http/sse.h"

#include "serve/deploy/server_context.h"

namespace qvl::serve {

std::string sse_data(const nlohmann::json& j) { return "data: " + dump_json(j) + "\n\n"; }

}  // namespace qvl::serve
