// Chat-template statements: for loops, set, macros and call blocks, with the
// reference's scoping (loop scope per for, dynamic scope for macros) and argument
// binding. Expressions live in jinja_interpreter.cpp.
#include "base/error.h"
#include "input/chat_template/jinja_interpreter.h"

namespace qvl::jinja {
namespace {

// Does the macro body read `kwargs` / `varargs` (and so accept extra arguments)?
void scan_special(const Node* n, bool& kwargs, bool& varargs) {
  if (!n) return;
  if (n->type == NodeType::kIdentifier) {
    kwargs = kwargs || n->text == "kwargs";
    varargs = varargs || n->text == "varargs";
    return;
  }
  if (n->type == NodeType::kMember && !n->flag) {  // obj.kwargs names an attribute, not a variable
    scan_special(n->kids[0].get(), kwargs, varargs);
    return;
  }
  if (n->type == NodeType::kFilter) {  // the filter name is syntax
    scan_special(n->kids[0].get(), kwargs, varargs);
    if (n->kids[1]->type == NodeType::kCall) {
      for (const auto& a : n->kids[1]->args) scan_special(a.get(), kwargs, varargs);
    }
    return;
  }
  for (const auto& k : n->kids) scan_special(k.get(), kwargs, varargs);
  for (const auto& k : n->args) scan_special(k.get(), kwargs, varargs);
  for (const auto& k : n->body) scan_special(k.get(), kwargs, varargs);
  for (const auto& k : n->alt) scan_special(k.get(), kwargs, varargs);
}

}  // namespace

std::string describe_callee(const Node& n) {
  if (n.type == NodeType::kIdentifier) return "'" + n.text + "'";
  if (n.type == NodeType::kMember && !n.flag && n.kids[1]->type == NodeType::kIdentifier) {
    return "'" + n.kids[1]->text + "'";
  }
  return "expression";
}

Value Interpreter::eval_set(const Node& n, const EnvPtr& env) {
  Value rhs = n.kids[1] ? eval(*n.kids[1], env) : Value::of_string(block(n.body, env));
  const Node& target = *n.kids[0];
  if (target.type == NodeType::kIdentifier) {
    env->set(target.text, std::move(rhs));
  } else if (target.type == NodeType::kTuple) {
    if (!rhs.is_array_like()) QVL_FAIL("chat template: cannot unpack ", kind_name(rhs.kind), " in set");
    if (rhs.array->size() != target.args.size()) {
      QVL_FAIL("chat template: too ", target.args.size() > rhs.array->size() ? "few" : "many", " items to unpack in set");
    }
    for (size_t i = 0; i < target.args.size(); ++i) {
      if (target.args[i]->type != NodeType::kIdentifier) QVL_FAIL("chat template: can only unpack into names");
      env->set(target.args[i]->text, (*rhs.array)[i]);
    }
  } else if (target.type == NodeType::kMember) {
    Value object = eval(*target.kids[0], env);
    if (object.kind != Kind::kNamespace) QVL_FAIL("chat template: can only assign attributes of a namespace()");
    if (target.kids[1]->type != NodeType::kIdentifier) QVL_FAIL("chat template: namespace attribute must be a name");
    object.object->set(target.kids[1]->text, std::move(rhs));
  } else {
    QVL_FAIL("chat template: invalid assignment target");
  }
  return Value::null();
}

Value Interpreter::eval_for(const Node& n, const EnvPtr& env) {
  auto scope = std::make_shared<Env>(env);
  const Node* iterable_node = n.kids[1].get();
  const Node* test = nullptr;
  if (iterable_node->type == NodeType::kSelect) {  // `for x in xs if cond`
    test = iterable_node->kids[1].get();
    iterable_node = iterable_node->kids[0].get();
  }
  Value iterable = eval(*iterable_node, scope);
  if (!iterable.is_array_like() && !iterable.is_object_like()) {
    QVL_FAIL("chat template: cannot loop over ", kind_name(iterable.kind));
  }
  // Loop over the list itself (no copy); a mapping loops over its keys.
  std::shared_ptr<std::vector<Value>> all = iterable.array;
  if (iterable.is_object_like()) {
    all = std::make_shared<std::vector<Value>>();
    for (const auto& kv : iterable.object->items) all->push_back(Value::of_string(kv.first));
  }
  const Node& var = *n.kids[0];
  auto assign = [&](const EnvPtr& s, const Value& item) {
    if (var.type == NodeType::kIdentifier) {
      s->set(var.text, item);
      return;
    }
    for (size_t j = 0; j < var.args.size(); ++j) {
      if (var.args[j]->type != NodeType::kIdentifier) QVL_FAIL("chat template: can only unpack into names");
      s->set(var.args[j]->text, (*item.array)[j]);
    }
  };
  auto filtered = std::make_shared<std::vector<Value>>();
  for (const Value& item : *all) {
    charge();
    if (var.type == NodeType::kTuple) {
      if (item.kind != Kind::kArray) QVL_FAIL("chat template: cannot unpack ", kind_name(item.kind), " in for loop");
      if (item.array->size() != var.args.size()) {
        QVL_FAIL("chat template: too ", var.args.size() > item.array->size() ? "few" : "many", " items to unpack");
      }
    }
    if (test) {
      auto loop_scope = std::make_shared<Env>(scope);
      assign(loop_scope, item);
      if (truthy(eval(*test, loop_scope))) filtered->push_back(item);
    }
  }
  const std::vector<Value>& items = test ? *filtered : *all;
  std::string out;
  bool no_iteration = true;
  double len = static_cast<double>(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    charge();
    double d = static_cast<double>(i);
    ObjectMap loop;
    loop.items = {{"index", Value::of_int(d + 1)},           {"index0", Value::of_int(d)},
                  {"revindex", Value::of_int(len - d)},      {"revindex0", Value::of_int(len - d - 1)},
                  {"first", Value::of_bool(i == 0)},         {"last", Value::of_bool(i + 1 == items.size())},
                  {"length", Value::of_int(len)},
                  {"previtem", i > 0 ? items[i - 1] : Value::undefined()},
                  {"nextitem", i + 1 < items.size() ? items[i + 1] : Value::undefined()}};
    scope->set("loop", Value::of_object(std::move(loop)));
    assign(scope, items[i]);
    // Output of an iteration that hits break/continue is dropped, as in the reference.
    try {
      out += block(n.body, scope);
      check_size(out.size());
    } catch (const ContinueSignal&) {
      continue;
    } catch (const BreakSignal&) {
      break;
    }
    no_iteration = false;
  }
  if (no_iteration) out += block(n.alt, scope);
  return Value::of_string(std::move(out));
}

void Interpreter::bind_arguments(const std::string& display, const std::vector<NodePtr>& params, bool takes_kwargs,
                                 bool takes_varargs, Args args, const EnvPtr& scope) {
  ObjectMap keywords;
  if (!args.empty() && args.back().kind == Kind::kKwargs) {
    keywords = *args.back().object;
    args.pop_back();
  }
  std::vector<const Node*> pending_defaults;
  for (size_t i = 0; i < params.size(); ++i) {
    const Node& p = *params[i];
    const std::string& name = p.text;  // identifier or keyword-argument key
    bool have = i < args.size();
    Value v = have ? args[i] : Value::undefined();
    if (!have) {
      for (auto it = keywords.items.begin(); it != keywords.items.end(); ++it) {
        if (it->first == name) {
          v = it->second;
          have = true;
          keywords.items.erase(it);
          break;
        }
      }
    }
    if (!have && p.type == NodeType::kKeywordArg) pending_defaults.push_back(&p);
    scope->set(name, v);
  }
  if (takes_kwargs) {
    scope->set("kwargs", Value::of_object(keywords));
  } else if (!keywords.items.empty()) {
    QVL_FAIL("chat template: macro ", display, " takes no keyword argument '", keywords.items[0].first, "'");
  }
  if (takes_varargs) {
    std::vector<Value> rest;
    for (size_t i = params.size(); i < args.size(); ++i) rest.push_back(args[i]);
    scope->set("varargs", Value::of_array(std::move(rest)));
  } else if (args.size() > params.size()) {
    QVL_FAIL("chat template: macro ", display, " takes not more than ", params.size(), " argument(s)");
  }
  for (const Node* p : pending_defaults) scope->set(p->text, eval(*p->kids[0], scope));
}

Value Interpreter::eval_macro(const Node& n, const EnvPtr& env) {
  bool kw = false, va = false;
  for (const auto& s : n.body) scan_special(s.get(), kw, va);
  for (const auto& p : n.args) {
    kw = kw && p->text != "kwargs";
    va = va && p->text != "varargs";
  }
  const Node* node = &n;
  env->set(n.text, Value::of_function(n.text, [this, node, kw, va](Args& args, const EnvPtr& caller) {
    auto scope = std::make_shared<Env>(caller);  // dynamic scope: the caller's variables are visible
    bind_arguments("'" + node->text + "'", node->args, kw, va, args, scope);
    return Value::of_string(block(node->body, scope));
  }));
  return Value::null();
}

Value Interpreter::eval_call_block(const Node& n, const EnvPtr& env) {
  bool kw = false, va = false;
  for (const auto& s : n.body) scan_special(s.get(), kw, va);
  const Node* node = &n;
  Value caller_fn = Value::of_function("caller", [this, node, env, kw, va](Args& args, const EnvPtr&) {
    auto scope = std::make_shared<Env>(env);
    bind_arguments("None", node->args, kw, va, args, scope);
    return Value::of_string(block(node->body, scope));
  });
  const Node& call = *n.kids[0];
  auto [args, keywords] = eval_args(call.args, env);
  args.push_back(Value::of_object(std::move(keywords), Kind::kKwargs));
  Value fn = eval(*call.kids[0], env);
  if (fn.kind != Kind::kFunction) QVL_FAIL("chat template: ", describe_callee(*call.kids[0]), " is not a macro");
  auto scope = std::make_shared<Env>(env);
  scope->set("caller", caller_fn);
  return call_function(fn, args, scope);
}

}  // namespace qvl::jinja
