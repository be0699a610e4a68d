// Load generator for bench/serve-load.sh: N streaming chat clients at once
// against an OpenAI-compatible server (qvl serve or llama-server), each sending
// the same kind of request; reports aggregate completion tok/s, TTFT p50/p99/max
// and inter-token p99. With --mode-ttft it instead keeps T thinking clients busy
// and measures the TTFT of short instruct requests sent one after another.
// Measures, never asserts. Node built-ins only.
//
// usage: node bench/serve_load.mjs --url URL --clients N [--gen G] [--model M]
//        node bench/serve_load.mjs --url URL --mode-ttft --thinking T [--probes K]
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
  return acc;
}, []));
const url = args.url;
const gen = Number(args.gen || 128);
const model = args.model || 'm';
const NO_EOS = { 151645: -100, 151643: -100 };

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

// One streamed request; returns {ttft, itl[], tokens, end} in ms from its start.
async function stream(body, signal) {
  const t0 = performance.now();
  const r = await fetch(url + '/v1/chat/completions', { method: 'POST', signal,
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
  const dec = new TextDecoder();
  let buf = '', ttft = -1, last = 0, tokens = 0;
  const itl = [];
  try {
    for await (const chunk of r.body) {
      buf += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (!ev.startsWith('data: ') || ev === 'data: [DONE]') continue;
        const j = JSON.parse(ev.slice(6));
        const d = j.choices?.[0]?.delta;
        if (!d || !((d.content ?? '') + (d.reasoning_content ?? ''))) continue;
        const now = performance.now() - t0;
        if (ttft < 0) ttft = now;
        else itl.push(now - last);
        last = now;
        tokens++;
      }
    }
  } catch (e) {
    if (!signal?.aborted) throw e;
  }
  return { ttft, itl, tokens, end: performance.now() - t0 };
}

const body = (i, extra = {}) => ({ model, temperature: 0.7, seed: i, max_tokens: gen, logit_bias: NO_EOS,
  messages: [{ role: 'user', content: `Client ${i}: write a long story about a lighthouse keeper.` }], ...extra });

if (args['mode-ttft']) {
  // T thinking clients that run until aborted, then K instruct probes one by one.
  const T = Number(args.thinking || 6), K = Number(args.probes || 8);
  const ctl = new AbortController();
  const busy = Array.from({ length: T }, (_, i) => stream(body(i, { reasoning_mode: 'thinking', max_tokens: 100000 }),
    ctl.signal).catch(() => null));
  await new Promise((r) => setTimeout(r, Number(args.warmup_ms || 3000)));  // let them all decode
  const ttfts = [];
  for (let k = 0; k < K; k++) {
    const r = await stream(body(100 + k, { reasoning_mode: 'instruct', max_tokens: 4,
      messages: [{ role: 'user', content: `Quick question ${k}: what is ${k} plus ${k}?` }] }));
    ttfts.push(r.ttft);
  }
  ctl.abort();
  await Promise.all(busy);
  console.log(JSON.stringify({ thinking_clients: T, probes: K, ttft_p50_ms: pct(ttfts, 50), ttft_max_ms: Math.max(...ttfts) }));
} else {
  const N = Number(args.clients || 1);
  const t0 = performance.now();
  const rs = await Promise.all(Array.from({ length: N }, (_, i) => stream(body(i))));
  const wall = (performance.now() - t0) / 1000;
  const tokens = rs.reduce((a, r) => a + r.tokens, 0);
  const ttft = rs.map((r) => r.ttft);
  console.log(JSON.stringify({ clients: N, tokens, wall_s: wall, tok_s: tokens / wall, ttft_p50_ms: pct(ttft, 50),
    ttft_p99_ms: pct(ttft, 99), ttft_max_ms: Math.max(...ttft), itl_p99_ms: pct(rs.flatMap((r) => r.itl), 99) }));
}
