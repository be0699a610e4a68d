// Runtime values of the chat-template interpreter (input layer). Data comes in as
// nlohmann::ordered_json; Jinja needs more than JSON (undefined vs none, tuples, keyword
// arguments, namespaces, macros), so values are their own type. Arrays, objects and
// functions are shared by reference, as in the reference JS engine (identity, mutation).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace qvl::jinja {

enum class Kind { kUndefined, kNull, kBool, kInt, kFloat, kString, kArray, kTuple, kObject, kKwargs, kNamespace, kFunction };

struct Value;
class Env;
using Args = std::vector<Value>;  // positional, then one kKwargs value when keywords were given
using NativeFn = std::function<Value(Args& args, const std::shared_ptr<Env>& caller)>;

// Insertion-ordered string map (a JS Map).
struct ObjectMap {
  std::vector<std::pair<std::string, Value>> items;
  const Value* find(const std::string& key) const;
  void set(const std::string& key, Value v);
};

struct Function {
  std::string name;
  NativeFn fn;
};

struct Value {
  Kind kind = Kind::kUndefined;
  bool boolean = false;
  double number = 0;  // kInt holds an integral double, as JS numbers do
  std::string str;
  std::shared_ptr<std::vector<Value>> array;  // kArray, kTuple
  std::shared_ptr<ObjectMap> object;          // kObject, kKwargs, kNamespace
  std::shared_ptr<Function> function;

  static Value undefined() { return Value(); }
  static Value null();
  static Value of_bool(bool b);
  static Value of_int(double v);
  static Value of_float(double v);
  static Value of_number(double v);  // int when integral, like convertToRuntimeValues
  static Value of_string(std::string s);
  static Value of_array(std::vector<Value> items, Kind k = Kind::kArray);
  static Value of_object(ObjectMap m, Kind k = Kind::kObject);
  static Value of_function(std::string name, NativeFn fn);

  bool is_array_like() const { return kind == Kind::kArray || kind == Kind::kTuple; }
  bool is_object_like() const { return kind == Kind::kObject || kind == Kind::kKwargs; }
  bool is_container() const { return is_object_like() || kind == Kind::kNamespace; }
  bool is_number() const { return kind == Kind::kInt || kind == Kind::kFloat; }
};

const char* kind_name(Kind k);  // the reference's type names ("StringValue", ...)

Value from_json(const nlohmann::ordered_json& j);

bool truthy(const Value& v);
std::string to_output(const Value& v);    // RuntimeValue.toString(): what {{ v }} prints
std::string js_string(const Value& v);    // String(v.value): what `~` and `+` concatenate

struct JsonOptions {
  int indent = 0;
  bool ensure_ascii = false;
  bool sort_keys = false;
  bool has_separators = false;
  std::string item_sep, key_sep;
};
// The reference's toJSON; undefined becomes null, or "undefined" when !undefined_to_null.
std::string to_json(const Value& v, const JsonOptions& opt, bool undefined_to_null = true, int depth = 0);

bool loose_equals(const Value& a, const Value& b);   // JS ==, on the wrapped values
bool strict_equals(const Value& a, const Value& b);  // JS ===
int compare(const Value& a, const Value& b, bool case_sensitive);  // sort order; throws on mixed types

}  // namespace qvl::jinja
