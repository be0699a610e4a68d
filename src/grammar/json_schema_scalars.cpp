// JSON Schema scalars: whitespace, any JSON value, strings (lengths, pattern,
// format), numbers and integers (bounds become digit-range grammars), literals.
#include <cmath>

#include "grammar/json_schema_compiler.h"
#include "grammar/regex.h"

namespace qvl::grammar {
namespace {

using json = nlohmann::ordered_json;

std::vector<CodeRange> digit_range(char lo, char hi) {
  return {{static_cast<uint32_t>(lo), static_cast<uint32_t>(hi)}};
}

// Formats as ECMAScript regexes over the decoded string (RFC 3339, RFC 4122 ...).
const char* format_regex(const std::string& f) {
  static const std::map<std::string, const char*> kFormats = {
      {"date", R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))"},
      {"time", R"(([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([zZ]|[+-]([01]\d|2[0-3]):[0-5]\d))"},
      {"date-time",
       R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([zZ]|[+-]([01]\d|2[0-3]):[0-5]\d))"},
      {"email",
       R"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)"},
      {"hostname", R"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)"},
      {"uuid", R"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"},
      {"uri", R"([A-Za-z][A-Za-z0-9+.-]*:([A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)"},
      {"ipv4", R"((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})"},
  };
  auto it = kFormats.find(f);
  return it == kFormats.end() ? nullptr : it->second;
}

// An integral bound as a uint64 magnitude, or Unsupported.
int64_t integral_bound(double v, const char* key) {
  if (std::floor(v) != v || std::fabs(v) >= 1e15)
    throw Unsupported(std::string("non-integer or huge numeric bound (") + key + ")");
  return static_cast<int64_t>(v);
}

}  // namespace

Seq SchemaCompiler::ws() {
  if (!ws_) {
    ByteSet s;
    for (char c : std::string(" \t\n\r")) s.set(static_cast<uint8_t>(c));
    ws_ = b_.group({b_.repeat({b_.bytes(s)}, 0, opt_.max_ws < 0 ? -1 : opt_.max_ws, "ws")}, "ws");
  }
  return *ws_;
}

Seq SchemaCompiler::any_string() {
  if (!any_string_) {
    Seq s = b_.literal("\"");
    Seq body = b_.repeat(json_string_any_char(b_), 0, -1, "str");
    s.insert(s.end(), body.begin(), body.end());
    s.push_back(b_.byte_range('"', '"'));
    any_string_ = b_.group({s}, "string");
  }
  return *any_string_;
}

Seq SchemaCompiler::any_value() {
  if (any_value_) return *any_value_;
  any_value_rule_ = b_.declare("value");
  any_value_ = Seq{b_.ref(any_value_rule_)};
  Seq w = ws();
  auto cat = [](std::initializer_list<Seq> parts) {
    Seq out;
    for (const Seq& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
  };
  Seq comma = cat({w, b_.literal(","), w});
  Seq member = cat({any_string(), w, b_.literal(":"), w, *any_value_});
  Seq members = cat({member, b_.repeat(cat({comma, member}), 0, -1, "members")});
  Seq obj = cat({b_.literal("{"), w, b_.repeat(cat({members, w}), 0, 1), b_.literal("}")});
  Seq elems = cat({*any_value_, b_.repeat(cat({comma, *any_value_}), 0, -1, "elems")});
  Seq arr = cat({b_.literal("["), w, b_.repeat(cat({elems, w}), 0, 1), b_.literal("]")});
  b_.add_alt(any_value_rule_, obj);
  b_.add_alt(any_value_rule_, arr);
  b_.add_alt(any_value_rule_, any_string());
  b_.add_alt(any_value_rule_, number(json::object(), false));
  b_.add_alt(any_value_rule_, b_.literal("true"));
  b_.add_alt(any_value_rule_, b_.literal("false"));
  b_.add_alt(any_value_rule_, b_.literal("null"));
  return *any_value_;
}

Seq SchemaCompiler::string(const json& s) {
  bool has_len = s.contains("minLength") || s.contains("maxLength");
  uint64_t lo = s.value("minLength", json(0)).get<uint64_t>();
  int64_t hi = s.contains("maxLength") ? s["maxLength"].get<int64_t>() : -1;
  const char* fmt = nullptr;
  if (s.contains("format")) {
    std::string f = s["format"].get<std::string>();
    fmt = format_regex(f);
    if (!fmt) throw Unsupported("string format \"" + f + "\"");
  }
  if (s.contains("pattern") || fmt) {
    if (s.contains("pattern") && fmt) throw Unsupported("pattern together with format");
    if (has_len && (lo > 0 || hi >= 0)) throw Unsupported("minLength/maxLength together with pattern or format");
    RegexMode mode{true, fmt == nullptr};
    Seq body = regex_to_seq(b_, fmt ? std::string(fmt) : s["pattern"].get<std::string>(), mode);
    Seq out = b_.literal("\"");
    out.insert(out.end(), body.begin(), body.end());
    out.push_back(b_.byte_range('"', '"'));
    return out;
  }
  if (lo == 0 && hi < 0) return any_string();
  if (lo > GrammarBuilder::kMaxRepeat || hi > static_cast<int64_t>(GrammarBuilder::kMaxRepeat))
    throw Unsupported("string length bound over " + std::to_string(GrammarBuilder::kMaxRepeat));
  Seq out = b_.literal("\"");
  Seq body = b_.repeat(json_string_any_char(b_), static_cast<uint32_t>(lo), hi, "strlen");
  out.insert(out.end(), body.begin(), body.end());
  out.push_back(b_.byte_range('"', '"'));
  return out;
}

Seq SchemaCompiler::same_len_digits(const std::string& a, const std::string& b) {
  if (a.empty()) return {};
  if (a[0] == b[0]) {
    Seq out = b_.literal(a.substr(0, 1));
    Seq rest = same_len_digits(a.substr(1), b.substr(1));
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
  }
  size_t n = a.size() - 1;
  std::string zeros(n, '0'), nines(n, '9');
  Seq any_digits = b_.repeat(b_.chars(digit_range('0', '9')), static_cast<uint32_t>(n), static_cast<int64_t>(n));
  auto with = [&](Seq head, const Seq& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };
  if (a.substr(1) == zeros && b.substr(1) == nines) return with(b_.chars(digit_range(a[0], b[0])), any_digits);
  std::vector<Seq> alts;
  alts.push_back(with(b_.literal(a.substr(0, 1)), same_len_digits(a.substr(1), nines)));
  if (b[0] - a[0] > 1) alts.push_back(with(b_.chars(digit_range(a[0] + 1, b[0] - 1)), any_digits));
  alts.push_back(with(b_.literal(b.substr(0, 1)), same_len_digits(zeros, b.substr(1))));
  return b_.group(std::move(alts), "digits");
}

// Decimal integers without leading zeros in [lo, hi] (hi empty: unbounded).
Seq SchemaCompiler::uint_range(uint64_t lo, std::optional<uint64_t> hi) {
  std::vector<Seq> alts;
  std::string slo = std::to_string(lo);
  size_t dmax = hi ? std::to_string(*hi).size() : slo.size();
  uint64_t p = 1;
  for (size_t d = 1; d <= dmax; ++d, p *= 10) {
    if (d < slo.size()) continue;
    uint64_t a = std::max<uint64_t>(lo, d == 1 ? 0 : p), top = p * 10 - 1;
    uint64_t b = hi ? std::min(*hi, top) : top;
    if (a <= b) alts.push_back(same_len_digits(std::to_string(a), std::to_string(b)));
  }
  if (!hi) {
    Seq more = b_.chars(digit_range('1', '9'));
    Seq tail = b_.repeat(b_.chars(digit_range('0', '9')), static_cast<uint32_t>(slo.size()), -1, "digits");
    more.insert(more.end(), tail.begin(), tail.end());
    alts.push_back(more);
  }
  if (alts.empty()) return b_.nothing();
  return b_.group(std::move(alts), "uint");
}

// Non-negative numbers J(.F)? whose value lies between lo and hi (integer
// bounds); integers are digits only.
Seq SchemaCompiler::magnitude(uint64_t lo, bool lo_incl, std::optional<uint64_t> hi, bool hi_incl, bool integer) {
  Seq digits = b_.repeat(b_.chars(digit_range('0', '9')), 1, -1, "frac");
  Seq zero_frac = b_.literal(".");
  Seq zeros = b_.repeat(b_.literal("0"), 1, -1, "zfrac");
  zero_frac.insert(zero_frac.end(), zeros.begin(), zeros.end());
  Seq any_frac = b_.literal(".");
  any_frac.insert(any_frac.end(), digits.begin(), digits.end());
  Seq nonzero_frac = b_.literal(".");
  {
    Seq pre = b_.repeat(b_.chars(digit_range('0', '9')), 0, -1, "frac");
    Seq post = b_.repeat(b_.chars(digit_range('0', '9')), 0, -1, "frac");
    nonzero_frac.insert(nonzero_frac.end(), pre.begin(), pre.end());
    nonzero_frac.push_back(b_.byte_range('1', '9'));
    nonzero_frac.insert(nonzero_frac.end(), post.begin(), post.end());
  }
  // Integers never take a fraction: "3.0" is an integer to JSON Schema, but a
  // generated integer must read back as one in every client's JSON parser.
  Seq opt_frac = integer ? Seq{} : b_.repeat(any_frac, 0, 1);
  Seq opt_zero = integer ? Seq{} : b_.repeat(zero_frac, 0, 1);
  auto join = [](Seq a, const Seq& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  std::vector<Seq> alts;
  std::string slo = std::to_string(lo);
  if (!hi || lo < *hi) {
    if (!hi)
      alts.push_back(join(uint_range(lo + 1, std::nullopt), opt_frac));
    else if (lo + 1 <= *hi - 1)
      alts.push_back(join(uint_range(lo + 1, *hi - 1), opt_frac));
    if (lo_incl)
      alts.push_back(join(b_.literal(slo), opt_frac));
    else if (!integer)
      alts.push_back(join(b_.literal(slo), nonzero_frac));
    if (hi && hi_incl) alts.push_back(join(b_.literal(std::to_string(*hi)), opt_zero));
  } else if (lo == *hi && lo_incl && hi_incl) {
    alts.push_back(join(b_.literal(slo), opt_zero));
  }
  if (alts.empty()) return b_.nothing();
  return b_.group(std::move(alts), "mag");
}

Seq SchemaCompiler::number(const json& s, bool integer) {
  if (s.contains("multipleOf")) {
    const json& m = s["multipleOf"];
    if (!(integer && m.is_number() && m.get<double>() == 1.0)) throw Unsupported("multipleOf");
  }
  // Bounds as (value, inclusive); draft 4 writes exclusiveMinimum as a boolean.
  std::optional<double> lo, hi;
  bool lo_incl = true, hi_incl = true;
  if (s.contains("minimum")) lo = s["minimum"].get<double>();
  if (s.contains("maximum")) hi = s["maximum"].get<double>();
  if (s.contains("exclusiveMinimum")) {
    const json& e = s["exclusiveMinimum"];
    if (e.is_boolean()) {
      if (e.get<bool>()) lo_incl = false;
    } else if (!lo || e.get<double>() >= *lo) {
      lo = e.get<double>();
      lo_incl = false;
    }
  }
  if (s.contains("exclusiveMaximum")) {
    const json& e = s["exclusiveMaximum"];
    if (e.is_boolean()) {
      if (e.get<bool>()) hi_incl = false;
    } else if (!hi || e.get<double>() <= *hi) {
      hi = e.get<double>();
      hi_incl = false;
    }
  }
  if (integer) {  // integer bounds: round inward, then inclusive
    if (lo) { lo = lo_incl ? std::ceil(*lo) : std::floor(*lo) + 1; lo_incl = true; }
    if (hi) { hi = hi_incl ? std::floor(*hi) : std::ceil(*hi) - 1; hi_incl = true; }
  }
  if (!lo && !hi) {
    std::string re = integer ? R"(-?(0|[1-9]\d*))" : R"(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)";
    return regex_to_seq(b_, re, {});
  }
  int64_t L = lo ? integral_bound(*lo, "minimum") : 0, H = hi ? integral_bound(*hi, "maximum") : 0;
  std::vector<Seq> alts;
  // x >= 0 part.
  if (!hi || H > 0 || (H == 0 && hi_incl)) {
    bool from_lo = lo && L >= 0;
    uint64_t a = from_lo ? static_cast<uint64_t>(L) : 0;
    bool a_incl = from_lo ? lo_incl : true;
    std::optional<uint64_t> b;
    if (hi) b = static_cast<uint64_t>(H);
    alts.push_back(magnitude(a, a_incl, b, hi_incl, integer));
  }
  // x < 0 part: "-" and the magnitude -x in (max(-H, 0), -L].
  if (!lo || L < 0) {
    bool from_hi = hi && H < 0;
    uint64_t a = from_hi ? static_cast<uint64_t>(-H) : 0;
    bool a_incl = from_hi ? hi_incl : false;
    std::optional<uint64_t> b;
    if (lo) b = static_cast<uint64_t>(-L);
    Seq neg = b_.literal("-");
    Seq m = magnitude(a, a_incl, b, lo_incl, integer);
    neg.insert(neg.end(), m.begin(), m.end());
    alts.push_back(neg);
  }
  if (alts.empty()) return b_.nothing();
  return b_.group(std::move(alts), "num");
}

Seq SchemaCompiler::literal_value(const json& v) {
  NestingGuard guard(nesting_, "json schema: enum/const values");
  if (v.is_object() || v.is_array()) {
    Seq out = b_.literal(v.is_object() ? "{" : "[");
    Seq w = ws();
    out.insert(out.end(), w.begin(), w.end());
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) {
        Seq c = w;
        Seq comma = b_.literal(",");
        c.insert(c.end(), comma.begin(), comma.end());
        c.insert(c.end(), w.begin(), w.end());
        out.insert(out.end(), c.begin(), c.end());
      }
      first = false;
      if (v.is_object()) {
        Seq k = b_.literal(json(it.key()).dump());
        out.insert(out.end(), k.begin(), k.end());
        out.insert(out.end(), w.begin(), w.end());
        Seq colon = b_.literal(":");
        out.insert(out.end(), colon.begin(), colon.end());
        out.insert(out.end(), w.begin(), w.end());
      }
      Seq e = literal_value(*it);
      out.insert(out.end(), e.begin(), e.end());
    }
    if (!first) out.insert(out.end(), w.begin(), w.end());
    Seq close = b_.literal(v.is_object() ? "}" : "]");
    out.insert(out.end(), close.begin(), close.end());
    return b_.group({out}, "const");
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 1e15) {  // 1.0 is also written 1
      return b_.group({b_.literal(json(static_cast<int64_t>(d)).dump()), b_.literal(v.dump())}, "const");
    }
  }
  return b_.literal(v.dump());
}

}  // namespace qvl::grammar
