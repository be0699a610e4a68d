// JavaScript string and number semantics on UTF-8 bytes (input layer, chat templates).
// The renderer must equal @huggingface/jinja byte for byte, and that engine runs on JS
// strings; these helpers reproduce the JS behaviours it relies on. No Jinja here.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qvl::jinja::js {

// Decodes one UTF-8 code point at s[i], advancing i. Invalid bytes decode as
// themselves (one byte, value 0xDC00+byte) so nothing is ever skipped or lost.
char32_t next_code_point(std::string_view s, size_t& i);
void append_utf8(std::string& out, char32_t cp);
std::vector<std::string> code_points(std::string_view s);  // Array.from(str)

bool is_space(char32_t cp);                 // JS \s (WhiteSpace + LineTerminator)
size_t space_len_at(std::string_view s, size_t i);       // bytes of a JS space at i, else 0
size_t space_len_before(std::string_view s, size_t end);  // bytes of a JS space ending at end, else 0
std::string trim(std::string_view s);
std::string trim_start(std::string_view s);
std::string trim_end(std::string_view s);

size_t utf16_length(std::string_view s);               // str.length
std::string utf16_at(std::string_view s, double index);  // str.at(i); "" when out of range (caller checks)
bool utf16_in_range(std::string_view s, double index);

std::string to_upper(std::string_view s);  // ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic
std::string to_lower(std::string_view s);
std::string title_case(std::string_view s);  // str.replace(/\b\w/g, upper): ASCII words only
std::string capitalize(std::string_view s);  // first code unit upper, rest unchanged

std::string number_to_string(double v);      // Number.prototype.toString()
std::string float_to_string(double v);       // @huggingface/jinja FloatValue.toString()
double string_to_number(std::string_view s);  // Number(str), NaN when not numeric
double parse_int(std::string_view s);         // parseInt(str, 10)
double parse_float(std::string_view s);       // parseFloat(str)

std::string json_quote(std::string_view s, bool ensure_ascii);  // JSON.stringify(str)

}  // namespace qvl::jinja::js
