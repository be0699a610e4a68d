// End-to-end: `qvl serve` on a random-weight Qwen3 hybrid model, driven by the
// unmodified `openai` SDK and fetch. Asserts structure and mode behaviour (the
// random model's words mean nothing): every mode source, the template flag,
// streaming == non-streaming at temperature 0, n, logprobs, completions,
// tokenize, metrics, CORS, auth, concurrency and disconnect cancellation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import fs from 'node:fs';
import { hybridModel, startServer, postJson, metrics } from './serve_helpers.mjs';
import { applyChatTemplate } from '../../tools/ref/render_template.mjs';

const KEY = 'sk-test-key';
let srv, client;
const auth = { Authorization: `Bearer ${KEY}` };

before(async () => {
  srv = await startServer(['--model', hybridModel(), '--name', 'qwen3-hybrid', '--alias', 'chat',
    '--api-key', KEY, '--cors-origin', 'https://app.example', '--ctx', '1024']);
  client = new OpenAI({ baseURL: srv.url + '/v1', apiKey: KEY, maxRetries: 0 });
});
after(async () => { await srv?.stop(); });

const ask = (content, extra = {}, opts = {}) =>
  client.chat.completions.create({ model: 'qwen3-hybrid', messages: [{ role: 'user', content }],
    max_tokens: 4, temperature: 0, ...extra }, opts).withResponse();

async function modeOf(content, extra = {}, headers = {}) {
  const { data, response } = await ask(content, extra, { headers });
  const used = response.headers.get('x-reasoning-mode-used');
  assert.ok(used, 'X-Reasoning-Mode-Used header present');
  assert.equal(used.split(';')[0], data.reasoning_mode.mode, 'header and body agree');
  return data.reasoning_mode;
}

test('GET /v1/models lists names, aliases and modalities', async () => {
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  const main = models.find((m) => m.id === 'qwen3-hybrid');
  assert.ok(main);
  assert.equal(main.kind, 'hybrid');
  assert.deepEqual(main.input_modalities, ['text']);
  for (const a of ['chat', 'qwen3-hybrid-thinking', 'qwen3-hybrid-instruct']) {
    assert.ok(main.aliases.includes(a), a);
    assert.equal(models.find((m) => m.id === a).alias_of, 'qwen3-hybrid');
  }
});

test('header X-Reasoning-Mode wins over body, alias and router', async () => {
  let m = await modeOf('why is the sky blue?', { reasoning_mode: 'thinking' }, { 'X-Reasoning-Mode': 'instruct' });
  assert.deepEqual([m.mode, m.source, m.field], ['instruct', 'header', 'X-Reasoning-Mode']);
  m = await modeOf('hello there', {}, { 'X-Reasoning-Mode': 'thinking' });
  assert.deepEqual([m.mode, m.source], ['thinking', 'header']);
  m = await modeOf('hello there', {}, { 'X-Reasoning-Mode': 'auto' });
  assert.deepEqual([m.mode, m.source, m.rule], ['instruct', 'router', 'default']);
});

test('every body spelling selects the mode and is named', async () => {
  const cases = [
    [{ reasoning_mode: 'thinking' }, 'thinking', 'reasoning_mode'],
    [{ reasoning_mode: 'instruct' }, 'instruct', 'reasoning_mode'],
    [{ chat_template_kwargs: { enable_thinking: true } }, 'thinking', 'chat_template_kwargs.enable_thinking'],
    [{ chat_template_kwargs: { enable_thinking: false } }, 'instruct', 'chat_template_kwargs.enable_thinking'],
    [{ enable_thinking: true }, 'thinking', 'enable_thinking'],
    [{ enable_thinking: false }, 'instruct', 'enable_thinking'],
    [{ reasoning_effort: 'none' }, 'instruct', 'reasoning_effort'],
    [{ reasoning_effort: 'high' }, 'thinking', 'reasoning_effort'],
    [{ think: true }, 'thinking', 'think'],
    [{ think: false }, 'instruct', 'think'],
  ];
  for (const [extra, mode, field] of cases) {
    // The prompt's router rule says the opposite of what the body asks for where possible.
    const prompt = mode === 'instruct' ? 'prove that 2+2=4' : 'hello';
    const m = await modeOf(prompt, extra);
    assert.deepEqual([m.mode, m.source, m.field], [mode, 'body', field], JSON.stringify(extra));
  }
});

test('alias suffix selects the mode', async () => {
  for (const [model, mode] of [['qwen3-hybrid-thinking', 'thinking'], ['qwen3-hybrid-instruct', 'instruct']]) {
    const { data } = await client.chat.completions.create({ model, max_tokens: 2, temperature: 0,
      messages: [{ role: 'user', content: mode === 'thinking' ? 'hello' : 'why?' }] }).withResponse();
    assert.deepEqual([data.reasoning_mode.mode, data.reasoning_mode.source, data.reasoning_mode.field],
      [mode, 'alias', model]);
    assert.equal(data.model, model);
  }
});

test('router rules fire for English and Chinese cues and say which', async () => {
  const cases = [
    ['Prove that the square root of 2 is irrational.', 'thinking', 'en-proof'],
    ['Why do cats purr?', 'thinking', 'en-why'],
    ['Solve this step by step: 17*23', 'thinking', 'en-steps'],
    ['What if the moon disappeared?', 'thinking', 'en-what-if'],
    ['Write HTML and CSS for a login page', 'thinking', 'en-web'],
    ['为什么天空是蓝色的？', 'thinking', 'zh-reasoning'],
    ['如果月亮消失了会怎样？', 'thinking', 'zh-what-if'],
    ['帮我画流程图', 'thinking', 'zh-web'],
    ['Hello, how are you?', 'instruct', 'default'],
  ];
  for (const [prompt, mode, rule] of cases) {
    const m = await modeOf(prompt);
    assert.deepEqual([m.mode, m.source, m.rule], [mode, 'router', rule], prompt);
  }
  const m = await modeOf('hello', { task: 'math' });
  assert.deepEqual([m.mode, m.rule], ['thinking', 'task-thinking']);
});

test('the mode sets enable_thinking in the hybrid template', async () => {
  const messages = [{ role: 'user', content: 'hi' }];
  const ins = await postJson(srv.url + '/tokenize', { messages, reasoning_mode: 'instruct' }, auth);
  const thk = await postJson(srv.url + '/tokenize', { messages, reasoning_mode: 'thinking' }, auth);
  assert.equal(ins.status, 200);
  assert.match(ins.json.prompt, /<think>\s*<\/think>\s*$/, 'instruct: empty think block pre-filled');
  assert.doesNotMatch(thk.json.prompt, /<\/think>/, 'thinking: no closed think block');
  assert.ok(thk.json.count > 0 && ins.json.count > thk.json.count);
});

test('content is a string with thinking off; usage counts reasoning tokens', async () => {
  const { data } = await ask('hello', { reasoning_mode: 'instruct', max_tokens: 6 });
  const msg = data.choices[0].message;
  assert.equal(typeof msg.content, 'string');
  assert.equal(msg.reasoning_content, null);
  assert.equal(data.usage.completion_tokens_details.reasoning_tokens, 0);
  assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
  for (const k of ['prompt_n', 'prompt_ms', 'prompt_per_second', 'predicted_n', 'predicted_ms', 'predicted_per_second'])
    assert.equal(typeof data.timings[k], 'number', k);
});

async function streamed(extra) {
  const stream = await client.chat.completions.create({ model: 'qwen3-hybrid',
    messages: [{ role: 'user', content: 'Tell me a story' }], temperature: 0, max_tokens: 12, ...extra,
    stream: true, stream_options: { include_usage: true } });
  let content = '', reasoning = '', finish = null, usage = null, mode = null;
  for await (const chunk of stream) {
    if (chunk.reasoning_mode) mode = chunk.reasoning_mode;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      content += c.delta.content ?? '';
      reasoning += c.delta.reasoning_content ?? '';
      assert.equal(c.delta.reasoning ?? '', c.delta.reasoning_content ?? '', 'reasoning == reasoning_content');
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  return { content, reasoning, finish, usage, mode };
}

test('streamed deltas concatenate to the non-streamed result (temperature 0, all modes)', async () => {
  // (serve_pair.test.mjs repeats this where the template opens <think>, so reasoning is split.)
  for (const extra of [{ reasoning_mode: 'instruct' }, { reasoning_mode: 'thinking' }, { reasoning_mode: 'auto' }]) {
    const s = await streamed(extra);
    const { data } = await client.chat.completions.create({ model: 'qwen3-hybrid',
      messages: [{ role: 'user', content: 'Tell me a story' }], temperature: 0, max_tokens: 12, ...extra }).withResponse();
    const msg = data.choices[0].message;
    assert.equal(s.content, msg.content, JSON.stringify(extra));
    assert.equal(s.reasoning, msg.reasoning_content ?? '', JSON.stringify(extra));
    assert.equal(s.finish, data.choices[0].finish_reason);
    assert.deepEqual(s.usage, data.usage);
    assert.equal(s.mode.mode, data.reasoning_mode.mode);
  }
});

test('n, logprobs and top_logprobs: shape of a sampled multi-choice answer', async () => {
  const { data } = await ask('hello', { n: 2, seed: 7, temperature: 0.8, top_p: 0.9, top_k: 20, min_p: 0.05,
    user: 'u1', logprobs: true, top_logprobs: 3, max_tokens: 3, logit_bias: { 151645: -100, 151643: -100 } });
  assert.equal(data.choices.length, 2);
  assert.deepEqual(data.choices.map((c) => c.index), [0, 1]);
  for (const c of data.choices) {
    assert.equal(c.logprobs.content.length, 3);
    assert.equal(c.finish_reason, 'length');
    for (const e of c.logprobs.content) {
      assert.equal(typeof e.token, 'string');
      assert.ok(e.logprob <= 0);
      assert.equal(e.top_logprobs.length, 3);
    }
  }
});

const NO_EOS = { 151645: -100, 151643: -100 };
const instruct = { headers: { 'X-Reasoning-Mode': 'instruct' } };
const choiceKey = (c) => JSON.stringify([c.message.content, c.logprobs?.content?.map((e) => e.logprob)]);

test('a seed reproduces a sampled answer; another seed gives another one', async () => {
  const body = { n: 2, temperature: 1.0, max_tokens: 8, logprobs: true, logit_bias: NO_EOS };
  const a = (await ask('tell me a story', { ...body, seed: 7 }, instruct)).data;
  const b = (await ask('tell me a story', { ...body, seed: 7 }, instruct)).data;
  const c = (await ask('tell me a story', { ...body, seed: 8 }, instruct)).data;
  assert.deepEqual(a.choices.map(choiceKey), b.choices.map(choiceKey), 'same seed, same samples');
  assert.notEqual(choiceKey(a.choices[0]), choiceKey(a.choices[1]), 'the n choices of one request differ');
  assert.notDeepEqual(a.choices.map(choiceKey), c.choices.map(choiceKey), 'seed 8 samples differ from seed 7');
});

test('a stop string from the greedy answer ends it right before the string', async () => {
  const full = (await ask('count with me', { max_tokens: 16, logit_bias: NO_EOS }, instruct)).data.choices[0];
  const text = full.message.content;
  assert.ok(text.length >= 8, `greedy answer too short to cut: ${JSON.stringify(text)}`);
  const stop = text.slice(4, 7);
  const cut = (await ask('count with me', { max_tokens: 16, logit_bias: NO_EOS, stop: ['<<never>>', stop] },
    instruct)).data.choices[0];
  assert.equal(cut.message.content, text.slice(0, text.indexOf(stop)));
  assert.equal(cut.finish_reason, 'stop');
});

// Greedy with and without a penalty, top-20 log-probs. Presence and frequency
// penalties count generated tokens only, so both runs agree until the unpenalised
// run first repeats a token t; at that step the penalised run must show the gap
// between t and a fresh rival s shrunk by exactly presence + frequency × count(t).
test('presence and frequency penalties lower repeated tokens by exactly their amount', async () => {
  // Explicit zeros: the instruct profile has default penalties of its own.
  const greedy = { max_tokens: 40, logprobs: true, top_logprobs: 20, logit_bias: NO_EOS, presence_penalty: 0,
    frequency_penalty: 0, repetition_penalty: 1 };
  const base = (await ask('la la la', greedy, instruct)).data.choices[0].logprobs.content;
  const toks = base.map((e) => e.token);
  const j = toks.findIndex((t, i) => toks.indexOf(t) < i);
  assert.ok(j > 0, `precondition: the greedy answer repeats a token (${JSON.stringify(toks)})`);
  const t = toks[j], count = toks.slice(0, j).filter((x) => x === t).length;
  const rival = base[j].top_logprobs.find((e) => !toks.slice(0, j).includes(e.token));
  assert.ok(rival, 'a rival token that was not generated before');
  const lp = (step, tok) => step.top_logprobs.find((e) => e.token === tok)?.logprob;
  for (const [presence, frequency] of [[0.7, 0], [0, 0.4], [0.3, 0.25]]) {
    const pen = (await ask('la la la', { ...greedy, max_tokens: j + 1, presence_penalty: presence,
      frequency_penalty: frequency }, instruct)).data.choices[0].logprobs.content;
    assert.deepEqual(pen.slice(0, j).map((e) => e.token), toks.slice(0, j), 'identical before the first repeat');
    const want = (lp(base[j], t) - lp(base[j], rival.token)) - (presence + frequency * count);
    const got = lp(pen[j], t) - lp(pen[j], rival.token);
    assert.ok(Number.isFinite(got), `both tokens in the penalised top-20 (presence ${presence}, frequency ${frequency})`);
    assert.ok(Math.abs(got - want) < 1e-3, `gap ${got}, expected ${want} (presence ${presence}, frequency ` +
      `${frequency}, count ${count})`);
  }
});

test('a stop string that starts inside a token cuts the text exactly before it', async () => {
  const base = { model: 'qwen3-hybrid', prompt: 'Once upon a time', max_tokens: 12, temperature: 0,
    logit_bias: { 151645: -100, 151643: -100 } };
  const full = await client.completions.create({ ...base, logprobs: 1 });
  const text = full.choices[0].text;
  const pieces = full.choices[0].logprobs.tokens;
  assert.equal(pieces.join(''), text);
  // A stop string starting one character into a multi-character token (not the
  // first), so the match begins mid-token; the text must end right before it.
  let cut = -1;
  for (let i = 1, at = pieces[0].length; i < pieces.length && cut < 0; at += pieces[i].length, ++i)
    if (pieces[i].length >= 2 && !/[\ud800-\udfff]/.test(pieces[i])) cut = at + 1;
  assert.ok(cut > 0, `a multi-character token in ${JSON.stringify(pieces)}`);
  const stop = text.slice(cut, cut + 3);
  assert.equal(text.indexOf(stop), cut, 'the stop string first occurs where we cut');
  const stopped = await client.completions.create({ ...base, stop: [stop] });
  assert.equal(stopped.choices[0].text, text.slice(0, cut));
  assert.equal(stopped.choices[0].finish_reason, 'stop');
  let streamed = '';
  for await (const ch of await client.completions.create({ ...base, stop: [stop], stream: true }))
    streamed += ch.choices[0]?.text ?? '';
  assert.equal(streamed, text.slice(0, cut));
});

test('POST /v1/completions, streaming and not', async () => {
  const r = await client.completions.create({ model: 'qwen3-hybrid', prompt: 'Once upon a time', max_tokens: 5,
    temperature: 0, logprobs: 2 });
  assert.equal(r.object, 'text_completion');
  assert.equal(typeof r.choices[0].text, 'string');
  assert.equal(r.choices[0].logprobs.tokens.length, r.usage.completion_tokens);
  const stream = await client.completions.create({ model: 'qwen3-hybrid', prompt: 'Once upon a time',
    max_tokens: 5, temperature: 0, stream: true });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.text ?? '';
  assert.equal(text, r.choices[0].text);
  const ids = await postJson(srv.url + '/tokenize', { content: 'Once upon a time' }, auth);
  const byIds = await client.completions.create({ model: 'qwen3-hybrid', prompt: ids.json.tokens, max_tokens: 5,
    temperature: 0 });
  assert.equal(byIds.choices[0].text, r.choices[0].text);
});

test('/tokenize and /detokenize round-trip', async () => {
  const t = await postJson(srv.url + '/tokenize', { content: 'Hello 世界', with_pieces: true }, auth);
  assert.equal(t.status, 200);
  const ids = t.json.tokens.map((x) => x.id);
  const d = await postJson(srv.url + '/detokenize', { tokens: ids }, auth);
  assert.equal(d.json.content, 'Hello 世界');
});

test('several requests at once', async () => {
  const rs = await Promise.all([0, 1, 2, 3].map((i) =>
    client.chat.completions.create({ model: 'qwen3-hybrid', messages: [{ role: 'user', content: `hi ${i}` }],
      max_tokens: 4, temperature: 0 })));
  for (const r of rs) assert.equal(r.choices.length, 1);
});

test('a client that disconnects cancels its generation', async () => {
  const ctl = new AbortController();
  const r = await fetch(srv.url + '/v1/chat/completions', { method: 'POST', signal: ctl.signal,
    headers: { 'Content-Type': 'application/json', ...auth },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 900, stream: true,
      logit_bias: { 151645: -100, 151643: -100 } }) });
  const reader = r.body.getReader();
  await reader.read();
  ctl.abort();
  const t0 = Date.now();
  for (;;) {
    const m = await (await fetch(srv.url + '/metrics')).text();
    if (/qvl_requests_running 0\b/.test(m) && srv.log().includes('client disconnected')) break;
    assert.ok(Date.now() - t0 < 5000, 'generation still running 5 s after the disconnect:\n' + srv.log().slice(-500));
    await new Promise((res) => setTimeout(res, 50));
  }
  // and the server keeps serving
  const { data } = await ask('hello');
  assert.equal(data.choices.length, 1);
});

test('a non-streaming client that disconnects cancels too', async () => {
  const ctl = new AbortController();
  const before = (srv.log().match(/client disconnected/g) || []).length;
  const pending = fetch(srv.url + '/v1/chat/completions', { method: 'POST', signal: ctl.signal,
    headers: { 'Content-Type': 'application/json', ...auth },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 900,
      logit_bias: { 151645: -100, 151643: -100 } }) }).catch(() => null);
  await new Promise((res) => setTimeout(res, 300));
  ctl.abort();
  await pending;
  const t0 = Date.now();
  for (;;) {
    const m = await (await fetch(srv.url + '/metrics')).text();
    const n = (srv.log().match(/client disconnected/g) || []).length;
    if (/qvl_requests_running 0\b/.test(m) && n > before) break;
    assert.ok(Date.now() - t0 < 5000, 'generation still running 5 s after the disconnect:\n' + srv.log().slice(-500));
    await new Promise((res) => setTimeout(res, 50));
  }
});

test('GET /metrics counts one request exactly (tokens, status, histograms); /health', async () => {
  const read = () => metrics(srv.url);
  const before = await read();
  const { data } = await ask('count my tokens', { max_tokens: 5, logit_bias: { 151645: -100, 151643: -100 } },
    { headers: { 'X-Reasoning-Mode': 'instruct' } });
  const after = await read();
  const d = (k) => (after[k] ?? 0) - (before[k] ?? 0);
  assert.equal(d('qvl_requests_total{endpoint="/v1/chat/completions",mode="instruct",status="200"}'), 1);
  assert.equal(d('qvl_prompt_tokens_total{mode="instruct"}'), data.usage.prompt_tokens);
  assert.equal(d('qvl_completion_tokens_total{mode="instruct"}'), 5);
  assert.equal(data.usage.completion_tokens, 5);
  assert.equal(d('qvl_reasoning_tokens_total{mode="instruct"}'), 0);
  assert.equal(d('qvl_time_to_first_token_seconds_count{mode="instruct"}'), 1);
  assert.equal(d('qvl_inter_token_latency_seconds_count{mode="instruct"}'), 4, 'one gap between each of 5 tokens');
  assert.ok(d('qvl_time_to_first_token_seconds_sum{mode="instruct"}') > 0);
  assert.equal(after.qvl_queue_depth, 0);
  assert.equal(after.qvl_requests_running, 0);
  const h = await fetch(srv.url + '/health');
  assert.equal(h.status, 200);
  assert.equal((await h.json()).status, 'ok');
});

test('API key and CORS', async () => {
  const bad = new OpenAI({ baseURL: srv.url + '/v1', apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(bad.models.list(), (e) => e.status === 401 && e.error?.code === 'invalid_api_key');
  const pre = await fetch(srv.url + '/v1/chat/completions', { method: 'OPTIONS',
    headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
  const other = await fetch(srv.url + '/health', { headers: { Origin: 'https://evil.example' } });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});

// Tools with keys in a non-alphabetical order: Hugging Face keeps the client's order in
// `tool | tojson`; the server must too (ordered JSON all the way to the template).
const TOOLS = [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city',
  parameters: { type: 'object', required: ['city'],
    properties: { zeta_city: { type: 'string', description: 'city' }, alpha_unit: { enum: ['c', 'f'] } } } } }];
const TOOL_MESSAGES = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'user', content: 'Weather in Paris?' },
  { role: 'assistant', content: '', tool_calls: [{ type: 'function',
    function: { name: 'get_weather', arguments: { zeta_city: 'Paris', alpha_unit: 'c' } } }] },
  { role: 'tool', content: '{"temp": 21, "sky": "clear"}' },
  { role: 'user', content: 'And tomorrow?' },
];

test('POST /apply-template with tools equals @huggingface/jinja, key order kept', async () => {
  const source = fs.readFileSync('data/templates/qwen3-hybrid.jinja', 'utf8');
  for (const thinking of [false, true]) {
    const r = await postJson(srv.url + '/apply-template', { model: 'qwen3-hybrid', messages: TOOL_MESSAGES,
      tools: TOOLS, chat_template_kwargs: { enable_thinking: thinking } }, auth);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.reasoning_mode.mode, thinking ? 'thinking' : 'instruct');
    const want = applyChatTemplate(source, { messages: TOOL_MESSAGES, tools: TOOLS,
      add_generation_prompt: true, enable_thinking: thinking });
    assert.equal(r.json.prompt, want);
    assert.ok(r.json.prompt.indexOf('"zeta_city"') < r.json.prompt.indexOf('"alpha_unit"'), 'client key order');
    assert.ok(r.json.prompt.indexOf('"type": "function"') < r.json.prompt.indexOf('"name": "get_weather"'));
  }
  // /tokenize renders the same prompt, and the chat endpoint counts the same prompt tokens.
  const t = await postJson(srv.url + '/tokenize', { model: 'qwen3-hybrid', messages: TOOL_MESSAGES, tools: TOOLS,
    reasoning_mode: 'instruct' }, auth);
  assert.equal(t.status, 200, t.text);
  const c = await postJson(srv.url + '/v1/chat/completions', { model: 'qwen3-hybrid', messages: TOOL_MESSAGES,
    tools: TOOLS, reasoning_mode: 'instruct', max_tokens: 1, temperature: 0 }, auth);
  assert.equal(c.status, 200, c.text);
  assert.equal(c.json.usage.prompt_tokens, t.json.count);
  const bad = await postJson(srv.url + '/apply-template', { messages: TOOL_MESSAGES, tools: { a: 1 } }, auth);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, 'tools');
  const badKw = await postJson(srv.url + '/apply-template', { messages: TOOL_MESSAGES, chat_template_kwargs: 3 },
    auth);
  assert.equal(badKw.status, 400);
});
