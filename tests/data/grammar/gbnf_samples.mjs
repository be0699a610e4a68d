// Strings for the GBNF parity test: for each of llama.cpp's example grammars
// (read at test time from node-llama-cpp's copy, never committed here), texts
// written to be accepted, and seeded mutations of them (most rejected at some
// token, some still accepted) so both engines are asked about many positions.
export const kSamples = {
  'json.gbnf': [
    '{"a": 1, "b": [true, false, null], "c": {"d": "e\\n\\u00e9"}}',
    '{\n  "name": "qvl",\n  "version": 1.25e+3,\n  "tags": ["x", "y"]\n}',
    '{}', '{"k":-0.5}', '{"nested": {"deep": {"deeper": [1, [2, [3]]]}}}',
    '{"emoji": "😀 中文", "n": 12345678901234}',
  ],
  'json_arr.gbnf': [
    '[\n{"a": 1}, {"b": 2}]', '[\n]', '[\n"x",\n "y",\n  3.5]', '[\n[1, 2], {"k": [true]}]',
  ],
  'arithmetic.gbnf': [
    'x=1\n', '(a + b) * 3= 42\n', 'foo_1 * bar2 - 7=baz\n12=3\n', '((1))=2\n',
  ],
  'chess.gbnf': [
    '1. e4 e5\n2. Nf3 Nc6\n', '1. d4 d5\n2. c4 dxc4\n3. e3 b5\n', '1. e4 c5\n2. O-O O-O-O\n',
    '1. e8=Q+ Kxh7#\n10. Rad1 Qb6\n',
  ],
  'list.gbnf': ['- apples\n- pears and plums\n', '- one\n', '- ünïcödé ✓\n- 2\n'],
  'c.gbnf': [
    'int main(){return 0;}',
    'int add(int a){int b = a+1;if(b>2){return b;}else{return 0;}}',
    'float f(){while(x<3){x = x*2;}// done\n}',
    'char g(){/* comment */for(int i = 0; i<10; i = i+1){h(i);}}',
  ],
  'english.gbnf': ['Hello, world! This is a test.', 'a\tb\nc', "It's 5 o'clock; [ok] {yes}"],
  'japanese.gbnf': ['こんにちは、世界。', 'カタカナ ひらがな\n漢字'],
};

// Seeded mutations: deletions, insertions of characters taken from the same
// sample, swaps and truncations (by code point, so texts stay valid UTF-8).
export function mutations(text, seed, count) {
  let s = seed >>> 0;
  const rnd = (n) => { s = (s * 1664525 + 1013904223) >>> 0; return s % n; };
  const chars = Array.from(text);
  const out = [];
  for (let k = 0; k < count; k++) {
    const c = chars.slice();
    const op = rnd(4);
    const i = rnd(c.length);
    if (op === 0) c.splice(i, 1);
    else if (op === 1) c.splice(i, 0, chars[rnd(chars.length)]);
    else if (op === 2) { const j = rnd(c.length); [c[i], c[j]] = [c[j], c[i]]; }
    else c.length = i;
    out.push(c.join(''));
  }
  return out;
}
