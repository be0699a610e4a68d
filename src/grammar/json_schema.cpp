// compile_json_schema: keyword dispatch, local $ref (recursion through rules),
// allOf by merging, anyOf / oneOf as alternation, objects and arrays.
// Objects: declared properties in schema order (each optional one may be left
// out), then any additional properties. Refused keywords: see kRefused.
#include <algorithm>
#include <set>

#include "grammar/json_schema_compiler.h"
#include "grammar/regex.h"

namespace qvl::grammar {
namespace {

using json = nlohmann::ordered_json;

const std::set<std::string> kAnnotations = {
    "$schema", "$id", "id", "$comment", "title", "description", "default", "examples", "deprecated",
    "readOnly", "writeOnly", "$defs", "definitions", "$anchor", "contentMediaType", "contentEncoding",
    "contentSchema", "$vocabulary", "$dynamicAnchor", "$recursiveAnchor", "discriminator", "nullable"};
const std::set<std::string> kRefused = {
    "not", "if", "then", "else", "dependentRequired", "dependentSchemas", "dependencies",
    "patternProperties", "propertyNames", "minProperties", "maxProperties", "contains", "minContains",
    "maxContains", "unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$recursiveRef"};
const std::vector<std::string> kTypes = {"object", "array", "string", "number", "integer", "boolean", "null"};

// Keywords that restrict a value (annotations and unknown keys do not).
bool asserts(const json& s) {
  if (!s.is_object()) return !s.is_boolean() || !s.get<bool>();
  for (auto it = s.begin(); it != s.end(); ++it)
    if (!kAnnotations.count(it.key())) return true;
  return false;
}

Seq cat(std::initializer_list<Seq> parts) {
  Seq out;
  for (const Seq& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

Grammar SchemaCompiler::compile() {
  uint32_t root = b_.declare("root");
  b_.add_alt(root, cat({ws(), schema(root_), ws()}));
  return b_.finish(root);
}

const json& SchemaCompiler::resolve(const std::string& pointer) {
  if (pointer.empty() || pointer[0] != '#') throw Unsupported("$ref to another document (" + pointer + ")");
  if (pointer.size() > 1 && pointer[1] != '/') throw Unsupported("$ref to an anchor (" + pointer + ")");
  const json* cur = &root_;
  size_t i = 1;
  while (i < pointer.size()) {
    size_t j = pointer.find('/', i + 1);
    std::string raw = pointer.substr(i + 1, j == std::string::npos ? std::string::npos : j - i - 1), tok;
    for (size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '~' && k + 1 < raw.size()) {
        tok += raw[k + 1] == '1' ? '/' : '~';
        ++k;
      } else if (raw[k] == '%' && k + 2 < raw.size()) {
        tok += static_cast<char>(std::stoi(raw.substr(k + 1, 2), nullptr, 16));
        k += 2;
      } else {
        tok += raw[k];
      }
    }
    if (cur->is_object() && cur->contains(tok)) {
      cur = &(*cur)[tok];
    } else if (cur->is_array() && !tok.empty() && std::all_of(tok.begin(), tok.end(), ::isdigit) &&
               std::stoul(tok) < cur->size()) {
      cur = &(*cur)[std::stoul(tok)];
    } else {
      throw Error("json schema: $ref " + pointer + " points at nothing");
    }
    i = j == std::string::npos ? pointer.size() : j;
  }
  return *cur;
}

Seq SchemaCompiler::ref(const std::string& pointer) {
  auto it = ref_rules_.find(pointer);
  if (it != ref_rules_.end()) return {b_.ref(it->second)};
  uint32_t r = b_.declare("ref");
  ref_rules_[pointer] = r;
  b_.add_alt(r, schema(resolve(pointer)));
  return {b_.ref(r)};
}

json SchemaCompiler::merge(json a, const json& b, int depth) {
  if (depth > 32) throw Unsupported("allOf / $ref nesting deeper than 32 while merging");
  if (b.is_boolean()) return b.get<bool>() ? a : json(false);
  if (a.is_boolean()) return a.get<bool>() ? merge(json::object(), b, depth) : a;
  json bb = b;
  if (bb.contains("$ref")) {  // inline one level so the keywords can be combined
    json target = resolve(bb["$ref"].get<std::string>());
    bb.erase("$ref");
    bb = merge(bb, target, depth + 1);
  }
  if (a.contains("$ref")) {
    json target = resolve(a["$ref"].get<std::string>());
    a.erase("$ref");
    a = merge(a, target, depth + 1);
  }
  for (auto it = bb.begin(); it != bb.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (!a.contains(k)) {
      a[k] = v;
    } else if (a[k] == v || kAnnotations.count(k)) {
    } else if (k == "properties") {
      for (auto p = v.begin(); p != v.end(); ++p)
        a[k][p.key()] = a[k].contains(p.key()) ? json{{"allOf", json::array({a[k][p.key()], p.value()})}} : p.value();
    } else if (k == "required") {
      for (const json& r : v)
        if (std::find(a[k].begin(), a[k].end(), r) == a[k].end()) a[k].push_back(r);
    } else if (k == "allOf" || k == "anyOf" || k == "oneOf") {
      if (k != "allOf") throw Unsupported("allOf of two different " + k + " lists");
      for (const json& r : v) a[k].push_back(r);
    } else if (k == "type") {
      auto list = [](const json& t) { return t.is_array() ? t : json::array({t}); };
      json out = json::array();
      for (const json& x : list(a[k]))
        for (const json& y : list(v)) {
          if (x == y) out.push_back(x);
          else if (x == "number" && y == "integer") out.push_back(y);
          else if (x == "integer" && y == "number") out.push_back(x);
        }
      a[k] = out;
    } else if (k == "minimum" || k == "minLength" || k == "minItems") {
      a[k] = std::max(a[k].get<double>(), v.get<double>());
    } else if (k == "maximum" || k == "maxLength" || k == "maxItems") {
      a[k] = std::min(a[k].get<double>(), v.get<double>());
    } else {
      throw Unsupported("allOf combining two different \"" + k + "\"");
    }
  }
  return a;
}

Seq SchemaCompiler::schema(const json& s, int depth) {
  NestingGuard guard(nesting_, "json schema: schemas");
  if (depth > 64) throw Unsupported("schema nesting deeper than 64 through allOf/anyOf merging");
  if (s.is_boolean()) return s.get<bool>() ? any_value() : b_.nothing();
  if (!s.is_object()) throw Error("json schema: a schema must be an object or a boolean");
  for (auto it = s.begin(); it != s.end(); ++it)
    if (kRefused.count(it.key())) throw Unsupported("json schema keyword \"" + it.key() + "\"");
  if (s.contains("uniqueItems") && s["uniqueItems"] == true) throw Unsupported("json schema uniqueItems: true");
  if (s.contains("$ref")) {
    json rest = s;
    rest.erase("$ref");
    if (!asserts(rest)) return ref(s["$ref"].get<std::string>());
    return schema(merge(rest, json{{"$ref", s["$ref"]}}, 0), depth + 1);
  }
  if (s.contains("allOf")) {
    json acc = s;
    acc.erase("allOf");
    for (const json& part : s["allOf"]) acc = merge(acc, part, 0);
    return schema(acc, depth + 1);
  }
  for (const char* comb : {"anyOf", "oneOf"}) {
    if (!s.contains(comb)) continue;
    json base = s;
    base.erase(comb);
    if (base.contains("anyOf") || base.contains("oneOf")) throw Unsupported("anyOf together with oneOf");
    std::vector<Seq> alts;
    for (const json& part : s[comb]) {
      if (!asserts(base))
        alts.push_back(schema(part, depth + 1));
      else
        alts.push_back(schema(merge(base, part, 0), depth + 1));
    }
    if (alts.empty()) return b_.nothing();
    return b_.group(std::move(alts), comb);
  }
  if (s.contains("enum") || s.contains("const")) {
    json values = s.contains("const") ? json::array({s["const"]}) : s["enum"];
    if (s.contains("const") && s.contains("enum")) {
      if (std::find(s["enum"].begin(), s["enum"].end(), s["const"]) == s["enum"].end()) values = json::array();
    }
    std::vector<Seq> alts;
    for (const json& v : values) {
      if (s.contains("type")) {
        json t = s["type"].is_array() ? s["type"] : json::array({s["type"]});
        std::string vt = v.is_null() ? "null" : v.is_boolean() ? "boolean" : v.is_number_integer() ? "integer"
                         : v.is_number() ? "number" : v.is_string() ? "string" : v.is_array() ? "array" : "object";
        bool ok = std::find(t.begin(), t.end(), vt) != t.end() ||
                  (vt == "integer" && std::find(t.begin(), t.end(), "number") != t.end());
        if (!ok) continue;
      }
      alts.push_back(literal_value(v));
    }
    if (alts.empty()) return b_.nothing();
    return b_.group(std::move(alts), "enum");
  }
  std::vector<std::string> types;
  if (s.contains("type")) {
    const json& t = s["type"];
    for (const json& x : t.is_array() ? t : json::array({t})) {
      std::string name = x.get<std::string>();
      if (std::find(kTypes.begin(), kTypes.end(), name) == kTypes.end())
        throw Error("json schema: unknown type \"" + name + "\"");
      types.push_back(name);
    }
    if (std::find(types.begin(), types.end(), "number") != types.end())
      types.erase(std::remove(types.begin(), types.end(), "integer"), types.end());
  } else {
    if (!asserts(s)) return any_value();
    types = {"object", "array", "string", "number", "boolean", "null"};
  }
  std::vector<Seq> alts;
  for (const std::string& t : types) alts.push_back(typed(t, s));
  if (alts.empty()) return b_.nothing();
  return b_.group(std::move(alts), "type");
}

Seq SchemaCompiler::typed(const std::string& type, const json& s) {
  if (type == "null") return b_.literal("null");
  if (type == "boolean") return b_.group({b_.literal("true"), b_.literal("false")}, "bool");
  if (type == "string") return string(s);
  if (type == "number") return number(s, false);
  if (type == "integer") return number(s, true);
  if (type == "array") return array(s);
  return object(s);
}

// A JSON string (in quotes) that differs from every key in `keys`: a trie of
// the keys whose every node may leave it with another character or stop early.
Seq SchemaCompiler::key_not_in(const std::vector<std::string>& keys) {
  struct TrieNode {
    std::map<uint32_t, size_t> next;
    bool end = false;
  };
  std::vector<TrieNode> t(1);
  for (const std::string& k : keys) {
    size_t n = 0;
    for (size_t i = 0; i < k.size();) {
      int32_t cp = decode_utf8(k, i);
      if (cp < 0) throw Error("json schema: property name is not valid UTF-8");
      auto it = t[n].next.find(cp);
      if (it == t[n].next.end()) {
        t[n].next[cp] = t.size();
        t.emplace_back();
        n = t.size() - 1;
      } else {
        n = it->second;
      }
    }
    t[n].end = true;
  }
  std::vector<uint32_t> rules(t.size());
  for (auto& r : rules) r = b_.declare("otherkey");
  Seq tail = cat({b_.repeat(json_string_any_char(b_), 0, -1, "str"), b_.literal("\"")});
  for (size_t n = 0; n < t.size(); ++n) {
    if (!t[n].end) b_.add_alt(rules[n], b_.literal("\""));
    std::vector<CodeRange> used;
    for (auto [cp, child] : t[n].next) {
      b_.add_alt(rules[n], cat({json_string_chars(b_, {{cp, cp}}), {b_.ref(rules[child])}}));
      used.push_back({cp, cp});
    }
    b_.add_alt(rules[n], cat({json_string_chars(b_, complement_ranges(used)), tail}));
  }
  return cat({b_.literal("\""), {b_.ref(rules[0])}});
}

Seq SchemaCompiler::object(const json& s) {
  struct Prop {
    std::string key;
    const json* schema;
    bool required;
  };
  static const json kTrue = true;
  std::vector<Prop> props;
  std::set<std::string> required;
  if (s.contains("required"))
    for (const json& r : s["required"]) required.insert(r.get<std::string>());
  if (s.contains("properties"))
    for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it)
      props.push_back({it.key(), &it.value(), required.count(it.key()) > 0});
  for (const std::string& r : required)
    if (!s.contains("properties") || !s["properties"].contains(r)) props.push_back({r, &kTrue, true});
  const json* extra = s.contains("additionalProperties") ? &s["additionalProperties"] : &kTrue;
  bool extra_ok = !(extra->is_boolean() && !extra->get<bool>());
  Seq w = ws(), comma = cat({ws(), b_.literal(","), ws()});
  auto kv = [&](const Seq& key, const json& value) { return cat({key, w, b_.literal(":"), w, schema(value)}); };
  // rest[i][first]: the members from property i on; first = no member written yet.
  size_t n = props.size();
  std::vector<std::array<uint32_t, 2>> rest(n + 1);
  for (auto& r : rest) r = {b_.declare("props"), b_.declare("props")};
  if (extra_ok) {
    std::vector<std::string> names;
    for (const Prop& p : props) names.push_back(p.key);
    Seq other = kv(props.empty() ? any_string() : key_not_in(names), *extra);
    Seq more = b_.repeat(cat({comma, other}), 0, -1, "extra");
    b_.add_alt(rest[n][1], cat({other, more}));
    b_.add_alt(rest[n][1], {});
    b_.add_alt(rest[n][0], more);
  } else {
    b_.add_alt(rest[n][1], {});
    b_.add_alt(rest[n][0], {});
  }
  for (size_t i = n; i-- > 0;) {
    Seq member = kv(b_.literal(json(props[i].key).dump()), *props[i].schema);
    b_.add_alt(rest[i][1], cat({member, {b_.ref(rest[i + 1][0])}}));
    b_.add_alt(rest[i][0], cat({comma, member, {b_.ref(rest[i + 1][0])}}));
    if (!props[i].required) {
      b_.add_alt(rest[i][1], {b_.ref(rest[i + 1][1])});
      b_.add_alt(rest[i][0], {b_.ref(rest[i + 1][0])});
    }
  }
  return cat({b_.literal("{"), w, {b_.ref(rest[0][1])}, w, b_.literal("}")});
}

Seq SchemaCompiler::array(const json& s) {
  static const json kTrue = true;
  std::vector<const json*> prefix;
  const json* rest = &kTrue;
  if (s.contains("prefixItems")) {
    for (const json& p : s["prefixItems"]) prefix.push_back(&p);
    if (s.contains("items")) rest = &s["items"];
  } else if (s.contains("items") && s["items"].is_array()) {
    for (const json& p : s["items"]) prefix.push_back(&p);
    if (s.contains("additionalItems")) rest = &s["additionalItems"];
  } else if (s.contains("items")) {
    rest = &s["items"];
  }
  uint64_t lo = s.value("minItems", json(0)).get<uint64_t>();
  int64_t hi = s.contains("maxItems") ? s["maxItems"].get<int64_t>() : -1;
  bool rest_ok = !(rest->is_boolean() && !rest->get<bool>());
  if (!rest_ok) hi = hi < 0 ? static_cast<int64_t>(prefix.size()) : std::min<int64_t>(hi, prefix.size());
  if (lo > GrammarBuilder::kMaxRepeat || hi > static_cast<int64_t>(GrammarBuilder::kMaxRepeat) ||
      prefix.size() > GrammarBuilder::kMaxRepeat)
    throw Unsupported("array length bound over " + std::to_string(GrammarBuilder::kMaxRepeat));
  if (hi >= 0 && static_cast<int64_t>(lo) > hi) return b_.nothing();
  Seq w = ws(), comma = cat({ws(), b_.literal(","), ws()});
  if (hi == 0) return cat({b_.literal("["), w, b_.literal("]")});
  std::map<size_t, Seq> items;  // each distinct item schema compiled once
  auto item = [&](size_t j) {
    size_t key = std::min(j, prefix.size());
    auto it = items.find(key);
    if (it == items.end()) it = items.emplace(key, schema(j < prefix.size() ? *prefix[j] : *rest)).first;
    return it->second;
  };
  // Positions below `fixed` are spelled out (mandatory below minItems); past
  // them, if unbounded, a loop of `rest` items.
  size_t fixed = hi >= 0 ? static_cast<size_t>(hi) : std::max<size_t>({prefix.size(), lo, 1});
  Seq tail;
  if (hi < 0) tail = b_.repeat(cat({comma, item(fixed)}), 0, -1, "items");
  for (size_t j = fixed; j-- > 1;) {
    Seq step = cat({comma, item(j), tail});
    tail = j < lo ? step : b_.group({step, {}}, "item");
  }
  Seq body = cat({item(0), tail, w});
  if (lo == 0) body = b_.group({body, {}}, "items");
  return cat({b_.literal("["), w, body, b_.literal("]")});
}

Grammar compile_json_schema(const nlohmann::ordered_json& schema, const JsonSchemaOptions& opt) {
  return SchemaCompiler(schema, opt).compile();
}

}  // namespace qvl::grammar
