// Chat templates, tier 2: the Jinja subset feature by feature. Each small template
// below is rendered by `qvl render-template --batch` and by @huggingface/jinja; outputs
// must match byte for byte, and where the reference throws, qvl must report an error.
// Env: QVL_BIN = path of the qvl binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Template } from "@huggingface/jinja";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const qvl = process.env.QVL_BIN ?? join(root, "build/bin/qvl");

const d = { b: 2, a: 1, "10": "ten", "2": "two", nested: { x: [1, { y: "z" }] } };
const msgs = [
  { role: "system", content: "S" },
  { role: "user", content: "Hi there" },
  { role: "assistant", content: "Yo", tool_calls: [{ function: { name: "f", arguments: { q: 1 } } }] },
];
const people = [{ name: "Bo", age: 30, tags: ["x"] }, { name: "al", age: 25 }, { name: "Cy", age: 35, active: true }];

// [template, context]
const cases = [
  // output of values
  ["{{ 1 }}|{{ 1.0 }}|{{ 2.5 }}|{{ -0.0 }}|{{ 0.1 + 0.2 }}|{{ 1 / 3 }}|{{ 1 / 10000000 }}|{{ 100000000000000000000.0 }}"],
  ["{{ true }}|{{ false }}|{{ none }}|{{ undefined_thing }}|{{ True }}|{{ None }}"],
  ["{{ [1, 'a', none, true, 1.5] }}|{{ {'k': [1, {'x': none}]} }}|{{ d }}|{{ d.nested }}", { d }],
  ["{{ (1, 2) }}"],
  ["{{ x }}|{{ y }}|{{ z }}", { x: 1.0, y: 12345678901234567890, z: -3 }],
  ["{{ 'a' ~ 1 ~ 1.5 ~ 2.0 ~ true ~ [1, 2] ~ d }}", { d }],
  ["{{ 'a' ~ none }}"],
  ["{{ 'a' + 1 }}|{{ 1 + 'a' }}|{{ [1] + [2, 3] }}|{{ 'x' + [1, 'y'] }}"],
  // arithmetic and comparisons
  ["{{ 7 // 2 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 7.5 % 2 }}|{{ 2 ** 10 }}|{{ 2 ** -1 }}|{{ 2.0 * 3 }}|{{ 10 / 4 }}|{{ 3 - 5 }}"],
  ["{{ 1 < 2 }}|{{ 2 <= 1 }}|{{ 1 == 1.0 }}|{{ '1' == 1 }}|{{ [1] == [1] }}|{{ none == undefined_var }}|{{ 'a' != 'b' }}|{{ true == 1 }}"],
  ["{{ 'a' < 'b' }}"],
  ["{{ 1 + none }}"],
  ["{{ undefined_var + 1 }}"],
  ["{{ - 3 }}|{{ -x }}|{{ +x }}|{{ -true }}", { x: 2.5 }],
  ["{{ '' or 'x' }}|{{ 0 and 1 }}|{{ [] or 'e' }}|{{ 'a' and 'b' }}|{{ not none }}|{{ not not 'x' }}"],
  ["{{ 'ell' in 'hello' }}|{{ 'z' not in 'hello' }}|{{ 2 in [1, 2] }}|{{ 'a' in d }}|{{ 'q' in d }}|{{ 'x' in undefined_var }}|{{ 'x' not in nothing }}", { d }],
  ["{{ [1] in [[1]] }}"],
  ["{{ 'a' if true else 'b' }}|{{ 'a' if false else 'b' if true else 'c' }}|{{ 'x' if false }}|"],
  // strings
  ["{{ 'a\\tb\\nc\\\\d\\'e\"' }}|{{ \"q'q\" }}|{{ 'adj' 'acent' }}|{{ '\\u00e9\\x41' }}|{{ '\\ud83d\\ude00' }}"],
  ["{{ s.upper() }}|{{ s.lower() }}|{{ s.title() }}|{{ s.capitalize() }}|{{ s.length }}|{{ s|length }}", { s: "hello wORLD_x-y 9z" }],
  ["{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.strip('\\n') }}|{{ s.strip('x') }}|{{ s|trim }}", { s: "\n x text x \n\t" }],
  ["{{ s.split() }}|{{ s.split(',') }}|{{ s.split(',', 1) }}|{{ s.split(none, 1) }}|{{ 'a,,b'.split(',') }}", { s: "  a,b  c ,d  " }],
  ["{{ ''.split(',') }}|{{ 'abc'.split('') }}"],
  ["{{ s.startswith('ab') }}|{{ s.endswith('yz') }}|{{ s.startswith(('x', 'a')) }}|{{ s.endswith(['q']) }}", { s: "abcxyz" }],
  ["{{ s.replace('a', 'b') }}|{{ s.replace('a', 'b', 1) }}|{{ s.replace('', '-') }}|{{ s|replace('a', 'X') }}|{{ s|replace('a', 'X', count=2) }}", { s: "banana" }],
  ["{{ s[0] }}|{{ s[-1] }}|{{ s[1:3] }}|{{ s[::-1] }}|{{ s[:-2] }}|{{ s[::2] }}|{{ s[10] }}|{{ e[0] }}", { s: "héllo😀", e: "😀a" }],
  ["{{ s|length }}|{{ s.upper() }}|{{ s.lower() }}|{{ s|title }}", { s: "Ünïcödé ÀÉÎ straße ΣΑΣ 😀" }],
  ["{{ s.format(1) }}", { s: "{}" }],
  ["{{ s|join('-') }}|{{ s|join }}|{{ 'ab'|list }}", { s: "h😀i" }],
  // lists and slicing
  ["{{ l[0] }}|{{ l[-1] }}|{{ l[1:] }}|{{ l[:-1] }}|{{ l[::-1] }}|{{ l[1:5:2] }}|{{ l[5:-1:-1] }}|{{ l[-2:] }}|{{ l[9] }}|{{ l.length }}", { l: [1, 2, 3, 4, 5, 6] }],
  ["{{ l|first }}|{{ l|last }}|{{ l|length }}|{{ l|reverse }}|{{ l|sort }}|{{ l|unique }}|{{ l|join(',') }}|{{ l|list }}|{{ l|string }}", { l: [3, 1, 2, 3, 1] }],
  ["{{ l|sort }}|{{ l|sort(true) }}|{{ l|sort(case_sensitive=true) }}", { l: ["b", "A", "a", "C"] }],
  ["{{ [1, none, 'a', [2, 3], true, d]|join(',') }}", { d }],
  ["{{ [1, 'a']|sort }}"],
  ["{{ []|first }}|{{ []|last }}|"],
  // mappings
  ["{% for k in d %}{{ k }},{% endfor %}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{{ d|length }}", { d }],
  ["{{ d.get('a') }}|{{ d.get('zz', 5) }}|{{ d.get('zz') }}|{{ d.keys() }}|{{ d.values() }}|{{ d|items }}|{{ d['b'] }}|{{ d.nested.x[1].y }}", { d }],
  ["{{ d|dictsort }}|{{ d|dictsort(reverse=true) }}|{{ e|dictsort(by='value') }}", { d: { b: 1, a: 2, C: 0 }, e: { x: 3, y: 1, z: 2 } }],
  ["{{ d.items }}", { d: { items: "shadowed" } }],
  ["{{ d[0] }}", { d }],
  ["{% set o = {'a': 1, 'b': [1, 2], 'c': {'d': 'e'}} %}{{ o.b[1] }}{{ o['a'] }}{{ o.c.d }}{{ o }}"],
  // tojson
  ["{{ d|tojson }}|{{ l|tojson }}|{{ s|tojson }}|{{ n|tojson }}|{{ u|tojson }}", { d, l: [1, "ü", null, 1.5, true], s: "q\"\\\n\t\u0001é😀\u2028", n: null }],
  ["{{ d|tojson(indent=2) }}|{{ []|tojson(indent=2) }}|{{ {}|tojson(indent=4) }}|{{ d|tojson(indent=0) }}", { d }],
  ["{{ s|tojson(ensure_ascii=true) }}|{{ d|tojson(sort_keys=true) }}|{{ d|tojson(separators=(',', ':')) }}", { s: "é😀\u007f", d: { b: 1, a: 2, _x: 3, "10": 4, B: 5 } }],
  ["{{ (1, 2)|tojson }}"],
  ["{{ x|tojson }}|{{ x|string }}", { x: { big: 1e300, small: 1e-300, f: 0.5, neg: -0.0 } }],
  // loops
  ["{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.previtem }}/{{ loop.nextitem }};{% endfor %}", { xs: ["a", "b", "c"] }],
  ["{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in xs if x > 1 %}{{ x }}{{ loop.index }}{% endfor %}", { xs: [1, 2, 3] }],
  ["{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", { xs: [1, 2, 3, 4, 5] }],
  ["{% for x in [1, 2] %}a{{ x }}{% continue %}{% endfor %}|{% for x in [1] %}b{% break %}{% else %}else{% endfor %}"],
  ["{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %}|{% for a, b in d|items %}{{ a }}{% endfor %}", { d }],
  ["{% for a, b in [(1, 2)] %}{{ a }}{% endfor %}"],
  ["{% for x in 'abc' %}{{ x }}{% endfor %}"],
  ["{% for x in none %}{{ x }}{% endfor %}"],
  ["{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(1, 10, 3) %}{{ i }}{% endfor %}|{% for i in range(5, 0, -2) %}{{ i }}{% endfor %}"],
  ["{% for m in messages %}{% for t in m.tool_calls or [] %}{{ t.function.name }}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}", { messages: msgs }],
  ["{% break %}"],
  // set, scoping, namespace
  ["{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}|{% if true %}{% set y = 5 %}{% endif %}{{ y }}"],
  ["{% set ns = namespace(a=1, b='q') %}{% for x in [1, 2, 3] %}{% set ns.a = ns.a + x %}{% endfor %}{{ ns.a }}{{ ns.b }}{{ ns }}|{{ ns.missing }}"],
  ["{% set ns = namespace({'a': 1}) %}{{ ns.a }}|{% set n2 = namespace([['k', 2]]) %}{{ n2.k }}"],
  ["{% set x = 1 %}{% set x.y = 2 %}"],
  ["{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set c, e = [3, 4] %}{{ c }}{{ e }}"],
  ["{% set a, b = [1] %}"],
  ["{% set block %}inner {{ 1 + 1 }}{% endset %}[{{ block }}]"],
  // macros, call and filter blocks
  ["{% macro greet(name, greeting='Hi') %}{{ greeting }} {{ name }}{% endmacro %}{{ greet('Bo') }}|{{ greet('Al', greeting='Yo') }}|{{ greet(name='Z') }}|{{ greet() }}"],
  ["{% macro m() %}{{ outer }}{% endmacro %}{% set outer = 'o' %}{{ m() }}|{% for outer in ['loopvar'] %}{{ m() }}{% endfor %}"],
  ["{% macro f(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(1, 2, 3, k=4) }}"],
  ["{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, 2) }}"],
  ["{% macro f(a) %}{{ a }}{% endmacro %}{{ f(b=1) }}"],
  ["{% macro r(n) %}{% if n > 0 %}{{ n }}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(4) }}"],
  ["{% macro wrap(t) %}[{{ t }}:{{ caller() }}]{% endmacro %}{% call wrap('w') %}inner{% endcall %}|{% macro w2() %}{{ caller(5) }}{% endmacro %}{% call(x) w2() %}got {{ x }}{% endcall %}"],
  ["{% filter upper %}hello {{ 'x' }}{% endfilter %}|{% filter replace('l', 'L') %}hello{% endfilter %}"],
  ["{{ f(**{'a': 1}) }}|{{ f(*[2]) }}", {}],
  // filters
  ["{{ '  x  '|trim }}|{{ 'ab'|upper }}|{{ 'AB'|lower }}|{{ 'a b'|title }}|{{ 'ab'|capitalize }}|{{ 'x'|safe }}|{{ '5'|int }}|{{ '5.5x'|float }}|{{ 'x'|int }}|{{ 'x'|int(7) }}|{{ '3.9'|int }}"],
  ["{{ -3|abs }}|{{ (-3.5)|abs }}|{{ 3.7|int }}|{{ 3|float }}|{{ 3|string }}|{{ 3.0|string }}|{{ true|int }}|{{ true|string }}|{{ false|float }}"],
  ["{{ x|default('d') }}|{{ ''|default('d') }}|{{ ''|default('d', true) }}|{{ none|default('d') }}|{{ 0|default('d', boolean=true) }}|{{ 'v'|default('d') }}"],
  ["{{ x|default }}"],
  ["{{ s|indent }}|{{ s|indent(2) }}|{{ s|indent(2, true) }}|{{ s|indent(width=1, first=true, blank=true) }}", { s: "a\n\nb\nc" }],
  ["{{ people|map(attribute='name')|join(',') }}|{{ people|map(attribute='tags.0', default='-')|list }}|{{ people|selectattr('active')|list|length }}|{{ people|rejectattr('active')|map(attribute='name')|list }}", { people }],
  ["{{ people|selectattr('name', 'equalto', 'al')|list }}|{{ people|selectattr('tags', 'defined')|length }}|{{ people|rejectattr('age', 'odd')|length }}", { people }],
  ["{{ people|sort(attribute='name')|map(attribute='name')|join }}|{{ people|sort(attribute='age', reverse=true)|map(attribute='age')|join(' ') }}", { people }],
  ["{{ people|map('upper') }}", { people }],
  ["{{ 'x'|nonexistent_filter }}"],
  ["{{ 5|upper }}"],
  ["{{ none|length }}"],
  // tests
  ["{{ x is defined }}|{{ y is defined }}|{{ y is undefined }}|{{ n is none }}|{{ x is not none }}|{{ s is string }}|{{ x is number }}|{{ x is integer }}|{{ f is integer }}|{{ b is boolean }}", { x: 1, n: null, s: "s", f: 1.5, b: false }],
  ["{{ l is iterable }}|{{ s is iterable }}|{{ d is iterable }}|{{ d is mapping }}|{{ l is mapping }}|{{ l is sequence }}|{{ d is sequence }}|{{ (1,) is iterable }}|{{ range is callable }}|{{ s is callable }}", { l: [1], s: "s", d }],
  ["{{ 3 is odd }}|{{ 4 is even }}|{{ true is true }}|{{ 1 is true }}|{{ false is false }}|{{ 'ab' is lower }}|{{ 'AB' is upper }}|{{ 'aB' is lower }}|{{ 1 is lower }}"],
  ["{{ 1.5 is odd }}"],
  ["{{ x is divisibleby }}", { x: 4 }],
  ["{{ x is sameas }}", { x: 4 }],
  // whitespace control, trim_blocks, lstrip_blocks, comments
  ["a  {%- if true -%}  b  {%- endif -%}  c|{{- ' x ' -}}|  {#- comment -#}  |end"],
  ["line1\n    {% if true %}\n    kept indent\n    {% endif %}\nline2\n  {# c #}\nafter\n"],
  ["{% for x in [1, 2] %}\n  {{ x }}\n{% endfor %}\n{{ 'tail' }}  \n"],
  ["  {{ 'expr keeps indent' }}\n\t{%- set q = 1 %}\nx {% if true %}  y {% endif %}\n"],
  ["{% if true %}%}\n{% endif %}text -}\nmore #}\nend"],
  ["A{% generation %}gen{% endgeneration %}B  {%- generation -%}  C  {% endgeneration %} D"],
  ["{#- only comment -#}"],
  [""],
  ["\n"],
  ["plain text with { braces } and %} and }} outside tags"],
  // errors and unsupported syntax
  ["{{ raise_exception('boom: bad role') }}"],
  ["{% include 'other.jinja' %}"],
  ["{% extends 'base' %}"],
  ["{% if x %}never closed"],
  ["{% for x in y %}{% endif %}"],
  ["{% endfor %}"],
  ["{{ foo( }}"],
  ["{{ 'unterminated }}"],
  ["{{ x.y.z }}|{{ x['a'] }}", { x: {} }],
  ["{{ x.y.z }}"],
  ["{{ none.attr }}|{{ 5.attr }}|"],
  ["{{ none[0] }}"],
  ["{{ nothing() }}"],
  ["{{ 'abc'.nope() }}"],
  ["{{ [].append(1) }}"],
  ["{{ 1 +}}"],
  ["{{ - }}"],
  ["-{{ x }}", { x: 1 }],
  ["{{ {'a': 1}}}"],
  ["{{ x|tojson(indent=-1) }}", { x: [1] }],
  ["{{ 'a' * 3 }}"],
  ["{% set x = 1 %}{{ x.y }}{% set x.y = 2 %}"],
  ["{{ range(0) }}|{{ range(2.5) }}"],
  ["{{ strftime_now('%Y')|length }}|{{ strftime_now('%%') }}"],
];

function reference(template, context) {
  try {
    return { out: new Template(template).render(context) };
  } catch (e) {
    return { error: e.message };
  }
}

test("Jinja features: qvl equals @huggingface/jinja", () => {
  const dir = mkdtempSync(join(tmpdir(), "qvl-jinja-"));
  const file = join(dir, "cases.json");
  writeFileSync(file, JSON.stringify(cases.map(([template, context]) => ({ template, context: context ?? {} }))));
  const results = JSON.parse(execFileSync(qvl, ["render-template", "--batch", file], { maxBuffer: 1 << 26 }).toString("utf8"));
  assert.equal(results.length, cases.length);
  let errors = 0;
  const failures = [];
  cases.forEach(([template, context], i) => {
    try {
      errors += check(template, context, i);
    } catch (e) {
      failures.push(e.message);
    }
  });
  assert.deepEqual(failures, []);
  assert.ok(errors > 10 && errors < cases.length / 2, `unexpected number of error cases: ${errors}`);

  function check(template, context, i) {
    const ref = reference(template, context ?? {});
    const got = results[i];
    const label = `case ${i}: ${JSON.stringify(template)}`;
    if (ref.error !== undefined) {
      // `'a' * 3` is a deliberate extension (Python string repetition); everything
      // else the reference rejects must be rejected here too.
      if (template === "{{ 'a' * 3 }}") {
        assert.equal(got.output, "aaa", label);
        return 0;
      }
      assert.ok(got.error !== undefined, `${label}: reference fails (${ref.error}) but qvl printed ${JSON.stringify(got.output)}`);
      return 1;
    }
    assert.ok(got.error === undefined, `${label}: qvl failed: ${got.error}`);
    // Compare UTF-8 bytes: a lone surrogate in the reference prints as U+FFFD, as in qvl.
    assert.ok(Buffer.from(ref.out, "utf8").equals(Buffer.from(got.output, "utf8")),
      `${label}\n--- reference\n${JSON.stringify(ref.out)}\n--- qvl\n${JSON.stringify(got.output)}`);
    return 0;
  }
});
