// Jinja syntax tree for chat templates (input layer): one node struct whose fields
// mean what the table below says for each node type. Built by the parser, read by the
// interpreter; no evaluation here.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace qvl::jinja {

enum class NodeType {
  // statements
  kProgram,      // body
  kText,         // text (literal output)
  kIf,           // kids[0] test; body; alt (else / elif chain)
  kFor,          // kids[0] loop var (identifier or tuple); kids[1] iterable; body; alt (else)
  kBreak,
  kContinue,
  kSet,          // kids[0] target; kids[1] value, or null with body (block set)
  kMacro,        // text name; args parameters (identifier or keyword argument); body
  kComment,
  kCallBlock,    // kids[0] call expression; args caller parameters; body
  kFilterBlock,  // kids[0] filter (identifier or call); body
  // expressions
  kIdentifier,   // text
  kInteger,      // number
  kFloat,        // number
  kString,       // text
  kArray,        // args elements
  kTuple,        // args elements
  kObject,       // args key, value, key, value ...
  kMember,       // kids[0] object; kids[1] property; flag computed (obj[x] rather than obj.x)
  kCall,         // kids[0] callee; args
  kBinary,       // text operator; kids[0] left; kids[1] right
  kUnary,        // text operator ("not", "-", "+"); kids[0]
  kFilter,       // kids[0] operand; kids[1] filter (identifier or call)
  kTest,         // kids[0] operand; text test name; flag negated
  kSlice,        // kids[0..2] start, stop, step (each may be null)
  kKeywordArg,   // text key; kids[0] value
  kSpread,       // *kids[0]
  kKeywordSpread,  // **kids[0]
  kSelect,       // kids[0] value; kids[1] condition  (`x if c` without else)
  kTernary,      // kids[0] condition; kids[1] if true; kids[2] if false
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
  NodeType type;
  std::string text;
  double number = 0;
  bool flag = false;
  std::vector<NodePtr> kids;
  std::vector<NodePtr> args;
  std::vector<NodePtr> body;
  std::vector<NodePtr> alt;

  explicit Node(NodeType t) : type(t) {}
};

// Parses a token stream into a Program node; throws qvl::Error on syntax errors.
struct Token;
NodePtr parse(const std::vector<Token>& tokens, const std::string& source_for_errors);

}  // namespace qvl::jinja
