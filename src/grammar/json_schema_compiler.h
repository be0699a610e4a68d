// SchemaCompiler (grammar layer, internal): JSON Schema -> grammar IR of JSON
// text. json_schema.cpp holds the dispatch, $ref, combinators, objects and
// arrays; json_schema_scalars.cpp strings, numbers, literals and "any value".
#pragma once
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "grammar/front_ends.h"
#include "grammar/ir.h"

namespace qvl::grammar {

class SchemaCompiler {
 public:
  SchemaCompiler(const nlohmann::ordered_json& root, const JsonSchemaOptions& opt) : root_(root), opt_(opt) {}
  Grammar compile();

  // json_schema.cpp
  Seq schema(const nlohmann::ordered_json& s, int depth = 0);
  Seq ref(const std::string& pointer);
  const nlohmann::ordered_json& resolve(const std::string& pointer);
  nlohmann::ordered_json merge(nlohmann::ordered_json a, const nlohmann::ordered_json& b, int depth);
  Seq typed(const std::string& type, const nlohmann::ordered_json& s);
  Seq object(const nlohmann::ordered_json& s);
  Seq array(const nlohmann::ordered_json& s);
  Seq key_not_in(const std::vector<std::string>& keys);

  // json_schema_scalars.cpp
  Seq ws();
  Seq any_value();
  Seq any_string();
  Seq string(const nlohmann::ordered_json& s);
  Seq number(const nlohmann::ordered_json& s, bool integer);
  Seq literal_value(const nlohmann::ordered_json& v);
  Seq uint_range(uint64_t lo, std::optional<uint64_t> hi);

  GrammarBuilder b_;

 private:
  Seq same_len_digits(const std::string& a, const std::string& b);
  Seq magnitude(uint64_t lo, bool lo_incl, std::optional<uint64_t> hi, bool hi_incl, bool integer);

  const nlohmann::ordered_json& root_;
  JsonSchemaOptions opt_;
  std::map<std::string, uint32_t> ref_rules_;
  std::optional<Seq> ws_, any_value_, any_string_;
  uint32_t any_value_rule_ = 0;
  int nesting_ = 0;
};

}  // namespace qvl::grammar
