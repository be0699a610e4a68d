// JavaScript string/number semantics on UTF-8 (see js_compat.h). Case mapping covers
// the common alphabets only; full Unicode casing is out of scope.
#include "input/chat_template/js_compat.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qvl::jinja::js {
namespace {

constexpr char32_t kInvalidBase = 0xDC00;  // lone byte b decodes as kInvalidBase + b

bool is_invalid(char32_t cp) { return cp >= kInvalidBase && cp <= kInvalidBase + 0xFF; }

// Simple one-to-one case pairs; returns cp unchanged when it has no mapping.
char32_t upper_cp(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 0x20;
  if (c == 0xFF) return 0x178;
  if (c == 0xB5) return 0x39C;
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x131) return 'I';
    if (c == 0x17F) return 'S';
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return (c & 1) ? c - 1 : c;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c : c - 1;
    return c;
  }
  if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 0x20;
  if (c == 0x3C2) return 0x3A3;
  if (c == 0x3AC) return 0x386;
  if (c >= 0x3AD && c <= 0x3AF) return c - 0x25;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 0x3F;
  if (c >= 0x430 && c <= 0x44F) return c - 0x20;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF)) return (c & 1) ? c - 1 : c;
  return c;
}

char32_t lower_cp(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if (c == 0x178) return 0xFF;
  if (c >= 0x100 && c <= 0x17F) {
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return (c & 1) ? c : c + 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
    return c;
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 0x25;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 0x3F;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF)) return (c & 1) ? c : c + 1;
  return c;
}

bool is_letter_cp(char32_t c) { return upper_cp(c) != c || lower_cp(c) != c; }

bool is_ascii_word(unsigned char c) { return std::isalnum(c) || c == '_'; }

// Shortest round-trip digits and decimal exponent n (value = 0.digits * 10^n).
void shortest_digits(double v, std::string& digits, int& n) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  size_t e = s.find('e');
  std::string mant = s.substr(0, e);
  int exp10 = std::atoi(s.c_str() + e + 1);
  digits.clear();
  for (char c : mant) if (c != '.') digits += c;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  n = exp10 + 1;
}

// Length of a StrDecimalLiteral prefix at s[i] (sign included), 0 if none.
size_t decimal_prefix(std::string_view s, size_t i) {
  size_t j = i;
  if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
  if (s.substr(j, 8) == "Infinity") return j + 8 - i;
  size_t int_digits = 0, frac_digits = 0;
  while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j, ++int_digits;
  if (j < s.size() && s[j] == '.') {
    size_t k = j + 1;
    while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k, ++frac_digits;
    if (int_digits + frac_digits > 0) j = k;
  }
  if (int_digits + frac_digits == 0) return 0;
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    size_t k = j + 1;
    if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
    size_t exp_digits = 0;
    while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k, ++exp_digits;
    if (exp_digits > 0) j = k;
  }
  return j - i;
}

double decimal_value(std::string_view lit) {
  std::string t(lit);
  bool neg = !t.empty() && t[0] == '-';
  std::string_view body = lit;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  if (body == "Infinity") return neg ? -INFINITY : INFINITY;
  return std::strtod(t.c_str(), nullptr);
}

}  // namespace

char32_t next_code_point(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 1) { ++i; return c; }
  if (len == 0 || i + len > s.size()) { ++i; return kInvalidBase + c; }
  char32_t cp = c & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) { ++i; return kInvalidBase + c; }
    cp = (cp << 6) | (cc & 0x3F);
  }
  bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { ++i; return kInvalidBase + c; }
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (is_invalid(cp)) { out += static_cast<char>(cp - kInvalidBase); return; }
  if (cp < 0x80) { out += static_cast<char>(cp); return; }
  if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  }
  out += static_cast<char>(0x80 | (cp & 0x3F));
}

std::vector<std::string> code_points(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    next_code_point(s, i);
    out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

bool is_space(char32_t c) {
  return c == 0x09 || c == 0x0A || c == 0x0B || c == 0x0C || c == 0x0D || c == 0x20 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

size_t space_len_at(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  size_t j = i;
  return is_space(next_code_point(s, j)) ? j - i : 0;
}

size_t space_len_before(std::string_view s, size_t end) {
  for (size_t len = 1; len <= 3 && len <= end; ++len) {
    if (space_len_at(s, end - len) == len) return len;
  }
  return 0;
}

std::string trim_start(std::string_view s) {
  size_t i = 0;
  while (size_t n = space_len_at(s, i)) i += n;
  return std::string(s.substr(i));
}

std::string trim_end(std::string_view s) {
  size_t end = s.size();
  while (size_t n = space_len_before(s, end)) end -= n;
  return std::string(s.substr(0, end));
}

std::string trim(std::string_view s) { return trim_end(trim_start(s)); }

size_t utf16_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) n += next_code_point(s, i) >= 0x10000 ? 2 : 1;
  return n;
}

bool utf16_in_range(std::string_view s, double index) {
  double len = static_cast<double>(utf16_length(s));
  double k = std::trunc(index);
  if (k < 0) k += len;
  return k >= 0 && k < len;
}

std::string utf16_at(std::string_view s, double index) {
  double len = static_cast<double>(utf16_length(s));
  double k = std::trunc(index);
  if (k < 0) k += len;
  if (k < 0 || k >= len) return "";
  size_t unit = 0;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    char32_t cp = next_code_point(s, i);
    size_t units = (cp >= 0x10000 && !is_invalid(cp)) ? 2 : 1;
    if (k < static_cast<double>(unit + units)) {
      // Half of a surrogate pair cannot be UTF-8; node prints it as U+FFFD.
      return units == 2 ? std::string("\xEF\xBF\xBD") : std::string(s.substr(start, i - start));
    }
    unit += units;
  }
  return "";
}

std::string to_upper(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    char32_t cp = next_code_point(s, i);
    if (cp == 0xDF) { out += "SS"; continue; }
    char32_t up = upper_cp(cp);
    if (up == cp) out.append(s.substr(start, i - start)); else append_utf8(out, up);
  }
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out;
  std::vector<std::string> cps = code_points(s);
  for (size_t k = 0; k < cps.size(); ++k) {
    size_t j = 0;
    char32_t cp = next_code_point(cps[k], j);
    if (cp == 0x3A3) {  // final sigma: after a letter and not before one
      size_t a = 0, b = 0;
      bool after_letter = k > 0 && is_letter_cp(next_code_point(cps[k - 1], a));
      bool before_letter = k + 1 < cps.size() && is_letter_cp(next_code_point(cps[k + 1], b));
      append_utf8(out, after_letter && !before_letter ? 0x3C2 : 0x3C3);
      continue;
    }
    char32_t low = lower_cp(cp);
    if (low == cp) out += cps[k]; else append_utf8(out, low);
  }
  return out;
}

std::string title_case(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    bool boundary = i == 0 || !is_ascii_word(static_cast<unsigned char>(out[i - 1]));
    if (boundary && c >= 'a' && c <= 'z') out[i] = static_cast<char>(c - 32);
  }
  return out;
}

std::string capitalize(std::string_view s) {
  if (s.empty()) return "";
  size_t i = 0;
  char32_t cp = next_code_point(s, i);
  if (cp >= 0x10000 && !is_invalid(cp)) return std::string(s);  // first unit is a lone surrogate half
  return to_upper(s.substr(0, i)) + std::string(s.substr(i));
}

std::string number_to_string(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == 0) return "0";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  if (v < 0) return "-" + number_to_string(-v);
  std::string d;
  int n = 0;
  shortest_digits(v, d, n);
  int k = static_cast<int>(d.size());
  if (k <= n && n <= 21) return d + std::string(n - k, '0');
  if (0 < n && n <= 21) return d.substr(0, n) + "." + d.substr(n);
  if (-6 < n && n <= 0) return "0." + std::string(-n, '0') + d;
  int e = n - 1;
  std::string exp = std::string(e < 0 ? "-" : "+") + std::to_string(std::abs(e));
  return (k == 1 ? d : d.substr(0, 1) + "." + d.substr(1)) + "e" + exp;
}

std::string float_to_string(double v) {
  if (v == 0 && std::signbit(v)) return "-0.0";
  if (std::isfinite(v) && std::fmod(v, 1.0) == 0) {
    if (std::fabs(v) >= 1e21) return number_to_string(v);  // toFixed falls back to ToString
    char buf[400];
    std::snprintf(buf, sizeof(buf), "%.1f", v);
    return buf;
  }
  return number_to_string(v);
}

double string_to_number(std::string_view s) {
  std::string t = trim(s);
  if (t.empty()) return 0;
  if (t.size() > 2 && t[0] == '0' && std::strchr("xXoObB", t[1])) {
    int base = (t[1] == 'x' || t[1] == 'X') ? 16 : (t[1] == 'o' || t[1] == 'O') ? 8 : 2;
    double v = 0;
    for (size_t i = 2; i < t.size(); ++i) {
      int d = std::isdigit(static_cast<unsigned char>(t[i])) ? t[i] - '0'
              : std::isalpha(static_cast<unsigned char>(t[i])) ? std::tolower(t[i]) - 'a' + 10 : 99;
      if (d >= base) return NAN;
      v = v * base + d;
    }
    return v;
  }
  size_t n = decimal_prefix(t, 0);
  if (n != t.size()) return NAN;
  return decimal_value(t);
}

double parse_int(std::string_view s) {
  std::string t = trim_start(s);
  size_t i = 0;
  bool neg = false;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) neg = t[i++] == '-';
  size_t start = i;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  if (i == start) return NAN;
  double v = std::strtod(t.substr(start, i - start).c_str(), nullptr);
  return neg ? -v : v;
}

double parse_float(std::string_view s) {
  std::string t = trim_start(s);
  size_t n = decimal_prefix(t, 0);
  if (n == 0) return NAN;
  return decimal_value(std::string_view(t).substr(0, n));
}

std::string json_quote(std::string_view s, bool ensure_ascii) {
  std::string out = "\"";
  char buf[16];
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    char32_t cp = next_code_point(s, i);
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (cp < 0x20) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else if (ensure_ascii && cp >= 0x7F) {
      if (is_invalid(cp)) cp = 0xFFFD;  // node reads an invalid byte as U+FFFD
      if (cp >= 0x10000) {
        char32_t v = cp - 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                      static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
      }
      out += buf;
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out + "\"";
}

}  // namespace qvl::jinja::js
