// Error type and checks shared by every layer. Errors are exceptions carrying a
// one-line, user-facing message; the CLI prints it, the server maps it to JSON.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace qvl {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// str(a, b, c): concatenate anything streamable (g++ 12 has no <format>).
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace qvl

// QVL_CHECK(cond, parts...): throw qvl::Error(str(parts...)) when cond is false.
#define QVL_CHECK(cond, ...)                              \
  do {                                                    \
    if (!(cond)) throw ::qvl::Error(::qvl::str(__VA_ARGS__)); \
  } while (0)

#define QVL_FAIL(...) throw ::qvl::Error(::qvl::str(__VA_ARGS__))
