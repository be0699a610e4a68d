// Deterministic tokenizer test corpus (seeded PRNG, no files): English, Chinese,
// Japanese, Korean, Arabic, other scripts, emoji and ZWJ sequences, code, digit runs,
// whitespace runs, special tokens inside text, invalid UTF-8 (as raw bytes), text that
// is not in NFC, random code points, mixtures and a few long strings.
// Each entry is { cat, text } or { cat, bytes } (bytes: a Buffer, maybe invalid UTF-8).

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const kEnglish = ('the of and to in is it you that he was for on are with as I his they be at one have this from or ' +
  'had by hot word but what some we can out other were all there when up use your how said an each she which do ' +
  'their time if will way about many then them write would like so these her long make thing see him two has look ' +
  'more day could go come did number sound no most people my over know water than call first who may down side been ' +
  'now find any new work part take get place made live where after back little only round man year came show every ' +
  'good me give our under name very through just form sentence great think say help low line differ turn cause much ' +
  'mean before move right boy old too same tell does set three want air well also play small end put home read hand ' +
  'port large spell add even land here must big high such follow act why ask men change went light kind off need ' +
  'HTTP JSON Qwen GPU tokenizer McDonald iPhone naïve café résumé façade coöperate').split(' ');
const kContractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'LL", "'D", "'x", "'"];
const kPunct = ['.', ',', '!', '?', ';', ':', '...', ' -', ' —', ' (', ')', '"', "'", '?!', ' &', ' @', ' #', '%'];
const kChinese = '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切';
const kHiragana = 'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞだぢづでどばびぶべぼぱぴぷぺぽゃゅょっー';
const kKatakana = 'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポャュョッー';
const kJapanesePunct = ['、', '。', '「', '」', '！', '？', '・', '（', '）', '〜', '　'];
const kArabic = 'ابتثجحخدذرزسشصضطظعغفقكلمنهوىيءآأؤإئة';
const kArabicMarks = ['\u064b', '\u064c', '\u064d', '\u064e', '\u064f', '\u0650', '\u0651', '\u0652'];
const kScripts = [
  'абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ', 'αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩάέήίόύώ',
  'אבגדהוזחטיכלמנסעפצקרשתםןףץ', 'कखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसह', 'ािीुूृेैोौंः्',
  'กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮะัาำิีึืุู่้๊๋', 'ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ',
  'ĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįİıĲĳĴĵĶķĸĹĺĻļĽľĿŀŁłŃńŅņŇňŉŊŋŌōŎŏŐőŒœŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſ',
  'ⅠⅡⅢⅣⅤⅥ①②③④⑤½¼¾²³¹٠١٢٣٤٥٦٧٨٩०१२३४५६७८९〇一二三',
];
const kEmoji = ['😀', '😂', '🥲', '👍', '👍🏽', '🙏🏿', '❤️', '❤', '🔥', '✨', '🎉', '🇨🇳', '🇺🇸', '🇯🇵', '👨‍👩‍👧‍👦', '👩‍💻', '🧑🏾‍🚀', '🏳️‍🌈',
  '🏴‍☠️', '1️⃣', '#️⃣', '☕', '⌚', '©', '®', '™', '🫠', '🪿', '👁️‍🗨️', '🐈‍⬛', '😶‍🌫️', '\u200d', '\ufe0f', '🏻', '🇦', '🇿'];
const kCode = [
  'def f(x):\n    return x * 2\n', 'for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}\n', '#include <vector>\nint main() { return 0; }',
  'const x = {"a": 1, "b": [true, null]};', 'SELECT id, name FROM users WHERE age >= 18;', '<div class="x">&nbsp;</div>',
  'if __name__ == "__main__":\n    main()\n', 'fn main() -> Result<(), Box<dyn Error>> { Ok(()) }', 'x += 1 # comment',
  '    \n        \n', 'a=b&&c||!d', '/* block */ // line', 'printf("%d\\n", 42);', '$ ls -la | grep .txt', '```python\nprint(1)\n```',
  'λx.x', 'std::map<std::string, int> m;', '@media (max-width: 600px) { .a { color: #fff; } }', '\\begin{equation} E = mc^2 \\end{equation}',
];
const kSpaces = [' ', '  ', '\t', '\n', '\r\n', '\r', '\n\n', ' \n', '\u00a0', '\u3000', '\u2028', '\u2029', '\u2003', '\u202f', '\u0085', '\ufeff',
  '\u200b', '\u000b', '\u000c', '\u1680', '\u180e', '\u205f'];
const kSpecials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|object_ref_start|>', '<|object_ref_end|>', '<|box_start|>', '<|box_end|>',
  '<|quad_start|>', '<|quad_end|>', '<|vision_start|>', '<|vision_end|>', '<|vision_pad|>', '<|image_pad|>', '<|video_pad|>', '<tool_call>',
  '</tool_call>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>', '<tool_response>',
  '</tool_response>', '<think>', '</think>', '<|im_start', 'im_end|>', '<|', '|>', '<think', '< think>', '<|IM_END|>', '<<|im_end|>>'];
const kCombining = ['\u0300', '\u0301', '\u0302', '\u0303', '\u0308', '\u030a', '\u0323', '\u0327', '\u0328', '\u0331', '\u0345', '\u0334', '\u05b0',
  '\u093c', '\u0b3e', '\u0cd5', '\u1161', '\u11a8', '\u3099', '\u309a', '\u0f71', '\u0f72', '\u20d7'];

export function makeCorpus(seed = 20260501) {
  const rnd = mulberry32(seed);
  const int = (n) => Math.floor(rnd() * n);
  const pick = (a) => a[int(a.length)];
  const chars = (s) => Array.from(s);
  const runOf = (alphabet, lo, hi) => { const c = chars(alphabet); let o = ''; for (let i = lo + int(hi - lo + 1); i > 0; i--) o += pick(c); return o; };
  const repeat = (n, f) => Array.from({ length: n }, f).join('');

  const english = () => {
    let s = '';
    for (let i = 2 + int(16); i > 0; i--) {
      let w = pick(kEnglish);
      if (rnd() < 0.1) w = w[0].toUpperCase() + w.slice(1);
      if (rnd() < 0.05) w = w.toUpperCase();
      s += (s && rnd() < 0.9 ? ' ' : '') + w;
      if (rnd() < 0.12) s += pick(kContractions);
      if (rnd() < 0.15) s += pick(kPunct);
    }
    return s;
  };
  const chinese = () => repeat(1 + int(4), () => runOf(kChinese, 1, 20) + pick(['，', '。', '！', '？', '、', '：', ' ', '', '“', '”', '《', '》', '2024年', 'AI']));
  const japanese = () => repeat(1 + int(5), () => runOf(pick([kHiragana, kKatakana, kChinese]), 1, 8) + (rnd() < 0.4 ? pick(kJapanesePunct) : ''));
  const hangul = () => String.fromCodePoint(0xac00 + int(11172));
  const korean = () => repeat(1 + int(6), () => repeat(1 + int(5), hangul) + pick([' ', ' ', '.', ', ', '? ', '\n', 'ㅋㅋ', '요']));
  const arabic = () => repeat(2 + int(6), () => {
    let w = '';
    for (const c of runOf(kArabic, 2, 7)) w += c + (rnd() < 0.2 ? pick(kArabicMarks) : '');
    return w + pick([' ', ' ', '، ', '. ', ' ١٢٣ ', '؟', ' 42 ']);
  });
  const scripts = () => repeat(1 + int(5), () => runOf(pick(kScripts), 1, 10) + pick([' ', ' ', '. ', ', ', '\n', '']));
  const emoji = () => repeat(1 + int(8), () => pick(kEmoji) + (rnd() < 0.3 ? pick([' ', 'ok', '!', '', '\n', '字']) : ''));
  const code = () => repeat(1 + int(3), () => pick(kCode)).replace(/x/g, () => pick(['x', 'foo', 'bar_baz', 'i']));
  const digits = () => pick([
    () => runOf('0123456789', 1, 60),
    () => `${int(1e9)}.${int(1e6)}`,
    () => `${int(1e6).toLocaleString('en-US')} and ${int(1e4)}%`,
    () => `v${int(10)}.${int(100)}.${int(1000)}-rc${int(5)}`,
    () => `+1 (${int(1000)}) ${int(1e7)}`,
    () => runOf('0123456789٠١٢٣٤٥٦٧٨٩०१२३४५६७८९', 5, 30),
    () => `${int(100)}e-${int(30)} 0x${int(1e9).toString(16)}`,
  ])();
  const whitespace = () => repeat(1 + int(8), () => (rnd() < 0.6 ? pick(kSpaces) : ' '.repeat(1 + int(6))) + (rnd() < 0.5 ? pick(['a', 'word', '1', '!', '中', '']) : ''));
  const specials = () => repeat(1 + int(4), () => (rnd() < 0.5 ? pick(kSpecials) : '') + pick([english, chinese, () => '\n', () => ' ', code])());
  const nfd = () => repeat(1 + int(6), () => pick(chars('aeiouAEIOUnNcCsSzZdDxyk가나가 ')) + repeat(int(4), () => pick(kCombining))).normalize(rnd() < 0.3 ? 'NFD' : 'NFKC').normalize(rnd() < 0.5 ? 'NFD' : 'NFC')
    + (rnd() < 0.5 ? english().normalize('NFD') : '');
  const randomCp = () => repeat(1 + int(12), () => {
    const planes = [[0x20, 0x7f], [0xa0, 0x800], [0x800, 0xd800], [0xe000, 0x10000], [0x10000, 0x20000], [0x20000, 0x32000], [0xe0000, 0xe0080], [0xf0000, 0xf0100]];
    const [lo, hi] = pick(planes);
    return String.fromCodePoint(lo + int(hi - lo));
  });
  const mixed = () => repeat(2 + int(4), () => pick([english, chinese, japanese, korean, arabic, emoji, code, digits, whitespace, scripts])());
  const long = () => pick([
    () => 'a'.repeat(100 + int(3000)), () => ' '.repeat(50 + int(500)) + 'x', () => '\n'.repeat(20 + int(200)),
    () => runOf(kChinese, 200, 800), () => runOf('0123456789', 200, 1000), () => repeat(30, english), () => '😀'.repeat(100 + int(300)),
    () => '='.repeat(100 + int(400)), () => runOf('abcdefghijklmnopqrstuvwxyz', 100, 2000), () => repeat(20, mixed),
  ])();
  const invalid = () => {
    const parts = [];
    for (let i = 1 + int(6); i > 0; i--) {
      const r = rnd();
      if (r < 0.35) parts.push(Buffer.from(pick([english, chinese, emoji, korean])(), 'utf8'));
      else if (r < 0.55) parts.push(Buffer.from(Array.from({ length: 1 + int(4) }, () => int(256))));
      else if (r < 0.75) { const b = Buffer.from(pick(['中', '😀', 'é', '한', '\u0800', '\u{10ffff}'])); parts.push(b.subarray(0, 1 + int(b.length - 1))); }
      else parts.push(Buffer.from(pick([[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xfe, 0xff], [0x80, 0x80], [0xef, 0xbb, 0xbf], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe0, 0x80, 0x80]])));
    }
    return Buffer.concat(parts);
  };

  const plan = [['english', english, 800], ['chinese', chinese, 300], ['japanese', japanese, 250], ['korean', korean, 200],
    ['arabic', arabic, 200], ['scripts', scripts, 300], ['emoji', emoji, 400], ['code', code, 400], ['digits', digits, 300],
    ['whitespace', whitespace, 450], ['specials', specials, 400], ['nfd', nfd, 250], ['random', randomCp, 300],
    ['mixed', mixed, 400], ['long', long, 60]];
  const out = [];
  for (const [cat, gen, n] of plan) for (let i = 0; i < n; i++) out.push({ cat, text: gen() });
  for (let i = 0; i < 300; i++) out.push({ cat: 'invalid', bytes: invalid() });
  out.push({ cat: 'edge', text: '' }, { cat: 'edge', text: ' ' }, { cat: 'edge', text: '\n' }, { cat: 'edge', text: "'" },
    { cat: 'edge', text: "'s" }, { cat: 'edge', text: "x'ſ" }, { cat: 'edge', text: '\u0301' }, { cat: 'edge', text: '<|im_end|>' });
  return out;
}
