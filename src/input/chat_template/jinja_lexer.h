// Jinja lexer for chat templates (input layer): Hugging Face's preprocessing
// (trim_blocks, lstrip_blocks, `generation` tags) then tokens, with the same rules as
// @huggingface/jinja's tokenizer. Knows nothing about the grammar or values.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace qvl::jinja {

enum class Tok {
  kText, kNumber, kString, kIdentifier, kEquals, kOpenParen, kCloseParen, kOpenStatement, kCloseStatement,
  kOpenExpression, kCloseExpression, kOpenSquare, kCloseSquare, kOpenCurly, kCloseCurly, kComma, kDot,
  kColon, kPipe, kAdditive, kMultiplicative, kPower, kComparison, kUnary, kComment
};

struct Token {
  Tok type;
  std::string value;
  size_t pos;  // byte offset in the preprocessed source, for error messages
};

const char* tok_name(Tok t);

// What the lexer actually reads: trailing newline dropped, blocks trimmed/lstripped,
// `{% generation %}` markers removed.
std::string preprocess(std::string_view source);

// Throws qvl::Error ("chat template syntax error: ...") on malformed input.
std::vector<Token> tokenize(std::string_view source);

// A short quoted excerpt of src around pos, for error messages.
std::string excerpt(std::string_view src, size_t pos);

}  // namespace qvl::jinja
