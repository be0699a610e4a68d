// Chat-template interpreter (input layer): walks the syntax tree with the scoping and
// value rules of @huggingface/jinja (dynamic scope for macros, `set` inside `if`
// leaking to the enclosing block, loop output discarded on break/continue, ...).
// Work and output are bounded so a hostile template fails instead of hanging.
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "input/chat_template/jinja_ast.h"
#include "input/chat_template/jinja_value.h"

namespace qvl::jinja {

class Env {
 public:
  explicit Env(std::shared_ptr<Env> parent = nullptr) : parent_(std::move(parent)) {}
  void set(const std::string& name, Value v) { vars_[name] = std::move(v); }
  const Value* find_local(const std::string& name) const;
  const Value* find(const std::string& name) const;  // walks outwards; null when absent

 private:
  std::unordered_map<std::string, Value> vars_;
  std::shared_ptr<Env> parent_;
};
using EnvPtr = std::shared_ptr<Env>;

// Thrown by {% break %} / {% continue %}; caught by the nearest loop, even across a
// macro call, as in the reference.
struct BreakSignal {};
struct ContinueSignal {};

class Interpreter {
 public:
  // Renders program with the given context object (its keys become globals).
  std::string run(const Node& program, const Value& context);

  // Used by built-in functions that need to call back into the interpreter.
  Value call_function(const Value& fn, Args& args, const EnvPtr& caller);
  void charge(size_t units = 1);          // counts work; throws past the budget
  void check_size(size_t bytes) const;    // throws when a string grows past the cap

 private:
  Value eval(const Node& n, const EnvPtr& env);
  std::string block(const std::vector<NodePtr>& stmts, const EnvPtr& env);
  Value lookup(const std::string& name, const EnvPtr& env) const;

  Value eval_binary(const Node& n, const EnvPtr& env);
  Value eval_unary(const Node& n, const EnvPtr& env);
  Value eval_member(const Node& n, const EnvPtr& env);
  Value eval_slice(const Value& object, const Node& slice, const EnvPtr& env);
  Value eval_call(const Node& n, const EnvPtr& env);
  Value eval_test(const Node& n, const EnvPtr& env);
  std::pair<Args, ObjectMap> eval_args(const std::vector<NodePtr>& args, const EnvPtr& env);
  Value eval_for(const Node& n, const EnvPtr& env);
  Value eval_set(const Node& n, const EnvPtr& env);
  Value eval_macro(const Node& n, const EnvPtr& env);
  Value eval_call_block(const Node& n, const EnvPtr& env);
  void bind_arguments(const std::string& display, const std::vector<NodePtr>& params, bool takes_kwargs,
                      bool takes_varargs, Args args, const EnvPtr& scope);

  // jinja_filters.cpp
  Value apply_filter(const Value& operand, const Node& filter, const EnvPtr& env);
  Value apply_named_filter(const Value& operand, const std::string& name, const EnvPtr& env);
  Value apply_call_filter(const Value& operand, const Node& call, const EnvPtr& env);
  Value array_call_filter(const Value& operand, const std::string& name, const Node& call, const EnvPtr& env);

  EnvPtr global_;
  Value namespace_fn_;
  std::vector<std::weak_ptr<ObjectMap>> namespaces_;  // emptied after a render to break cycles
  size_t work_ = 0;
  int call_depth_ = 0;
};

// How a callee reads in error messages: its name when it has one.
std::string describe_callee(const Node& n);

// jinja_builtins.cpp
bool run_test(const std::string& name, const Value& operand, const Value* arg, bool has_arg);
bool test_exists(const std::string& name);
Value member_builtin(const Value& object, const std::string& name);  // string/array/object methods
void install_globals(Env& env, Interpreter& interp);
// namespace(...); every namespace made is recorded in `made` (namespaces are the only
// mutable values, so the only way to build reference cycles).
Value make_namespace_function(std::vector<std::weak_ptr<ObjectMap>>* made);
Value attribute_path(const Value& item, const std::string& path);  // "a.b.0" lookups for sort/map

}  // namespace qvl::jinja
