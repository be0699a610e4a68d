// End-to-end: a table of malformed requests against the real `qvl serve`. Each
// must get the right 4xx with an OpenAI-shaped error body, and the server must
// answer a normal request right after it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hybridModel, startServer, postJson } from './serve_helpers.mjs';

const KEY = 'sk-errors';
let srv;
const H = { Authorization: `Bearer ${KEY}` };
const msgs = [{ role: 'user', content: 'hi' }];
const chat = (extra) => ({ model: 'm', messages: msgs, max_tokens: 1, ...extra });

before(async () => {
  srv = await startServer(['--model', hybridModel(), '--name', 'm', '--api-key', KEY, '--ctx', '256',
    '--max-body-mb', '1', '--max-images', '2']);
});
after(async () => { await srv?.stop(); });

const C = '/v1/chat/completions';
// [name, path, body (object or raw string), expected status, extra headers]
const cases = [
  ['body is not JSON', C, '{"messages": [', 400],
  ['body is a JSON array', C, '[1,2]', 400],
  ['empty body', C, '', 400],
  ['deeply nested JSON', C, '['.repeat(200000) + ']'.repeat(200000), 400],
  ['invalid UTF-8 in the body', C, Buffer.from('{"messages":[{"role":"user","content":"\xff\xfe"}]}', 'latin1'), 400],
  ['messages missing', C, { model: 'm' }, 400],
  ['messages not an array', C, chat({ messages: 'hi' }), 400],
  ['messages empty', C, chat({ messages: [] }), 400],
  ['message not an object', C, chat({ messages: ['hi'] }), 400],
  ['role missing', C, chat({ messages: [{ content: 'hi' }] }), 400],
  ['role unknown', C, chat({ messages: [{ role: 'wizard', content: 'hi' }] }), 400],
  ['content a number', C, chat({ messages: [{ role: 'user', content: 42 }] }), 400],
  ['user content null', C, chat({ messages: [{ role: 'user', content: null }] }), 400],
  ['unknown part type', C, chat({ messages: [{ role: 'user', content: [{ type: 'audio' }] }] }), 400],
  ['text part without text', C, chat({ messages: [{ role: 'user', content: [{ type: 'text' }] }] }), 400],
  ['image without mmproj', C, chat({ messages: [{ role: 'user', content: [{ type: 'image_url',
    image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }] }), 400],
  ['too many images', C, chat({ messages: [{ role: 'user', content: [1, 2, 3].map(() => ({ type: 'image_url',
    image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } })) }] }), 400],
  ['temperature a string', C, chat({ temperature: 'hot' }), 400],
  ['temperature too high', C, chat({ temperature: 5 }), 400],
  ['top_p zero', C, chat({ top_p: 0 }), 400],
  ['top_p above 1', C, chat({ top_p: 1.5 }), 400],
  ['top_k not a number', C, chat({ top_k: 'x' }), 400],
  ['min_p above 1', C, chat({ min_p: 2 }), 400],
  ['presence_penalty out of range', C, chat({ presence_penalty: 3 }), 400],
  ['frequency_penalty a string', C, chat({ frequency_penalty: 'lots' }), 400],
  ['repetition_penalty zero', C, chat({ repetition_penalty: 0 }), 400],
  ['max_tokens zero', C, chat({ max_tokens: 0 }), 400],
  ['max_tokens negative', C, chat({ max_tokens: -5 }), 400],
  ['max_tokens fractional', C, chat({ max_tokens: 1.5 }), 400],
  ['max_completion_tokens a string', C, chat({ max_tokens: undefined, max_completion_tokens: 'ten' }), 400],
  ['n zero', C, chat({ n: 0 }), 400],
  ['n too large', C, chat({ n: 1000 }), 400],
  ['seed a string', C, chat({ seed: 'abc' }), 400],
  ['stop a number', C, chat({ stop: 5 }), 400],
  ['stop with an empty string', C, chat({ stop: [''] }), 400],
  ['stop list too long', C, chat({ stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }), 400],
  ['logit_bias an array', C, chat({ logit_bias: [1, 2] }), 400],
  ['logit_bias key not an id', C, chat({ logit_bias: { abc: 1 } }), 400],
  ['logit_bias value too large', C, chat({ logit_bias: { 10: 500 } }), 400],
  ['logit_bias id outside the vocabulary', C, chat({ logit_bias: { 99999999: 1 } }), 400],
  ['stream not a bool', C, chat({ stream: 'yes' }), 400],
  ['stream_options without stream', C, chat({ stream_options: { include_usage: true } }), 400],
  ['top_logprobs without logprobs', C, chat({ top_logprobs: 2 }), 400],
  ['top_logprobs too large', C, chat({ logprobs: true, top_logprobs: 50 }), 400],
  ['logprobs not a bool', C, chat({ logprobs: 'yes' }), 400],
  ['unknown model', C, chat({ model: 'gpt-17' }), 404],
  ['model not a string', C, chat({ model: 5 }), 400],
  ['reasoning_mode unknown', C, chat({ reasoning_mode: 'dreaming' }), 400],
  ['X-Reasoning-Mode unknown', C, chat({}), 400, { 'X-Reasoning-Mode': 'sideways' }],
  ['enable_thinking not a bool', C, chat({ enable_thinking: 'yes' }), 400],
  ['chat_template_kwargs not an object', C, chat({ chat_template_kwargs: 3 }), 400],
  ['reasoning_effort unknown', C, chat({ reasoning_effort: 'extreme' }), 400],
  ['think a number', C, chat({ think: 5 }), 400],
  ['thinking_budget negative', C, chat({ thinking_budget: -1 }), 400],
  ['response_format json_schema', C, chat({ response_format: { type: 'json_schema' } }), 400],
  ['tools not an array', C, chat({ tools: 'calc' }), 400],
  ['prompt longer than the context', C, chat({ messages: [{ role: 'user', content: 'word '.repeat(400) }] }), 400],
  ['body larger than --max-body-mb', C, JSON.stringify(chat({ messages: [{ role: 'user', content: 'x'.repeat(1.5e6) }] })), 413],
  ['wrong API key', C, chat({}), 401, { Authorization: 'Bearer nope' }],
  ['missing API key', C, chat({}), 401, { Authorization: '' }],
  ['completions: prompt missing', '/v1/completions', { model: 'm', max_tokens: 1 }, 400],
  ['completions: prompt a number', '/v1/completions', { model: 'm', prompt: 7 }, 400],
  ['completions: token id outside the vocabulary', '/v1/completions', { model: 'm', prompt: [1, 99999999] }, 400],
  ['completions: logprobs too large', '/v1/completions', { model: 'm', prompt: 'a', logprobs: 99 }, 400],
  ['tokenize: nothing to tokenize', '/tokenize', { model: 'm' }, 400],
  ['detokenize: tokens not ids', '/detokenize', { tokens: ['a'] }, 400],
  ['detokenize: id outside the vocabulary', '/detokenize', { tokens: [99999999] }, 400],
  ['unknown route', '/v1/engines', {}, 404],
];

test(`${cases.length} malformed requests each get the right 4xx, and the server keeps serving`, async () => {
  assert.ok(cases.length >= 30);
  for (const [name, path, body, status, headers = {}] of cases) {
    const r = await postJson(srv.url + path, body, { ...H, ...headers });
    assert.equal(r.status, status, `${name}: got ${r.status} ${r.text.slice(0, 200)}`);
    assert.ok(r.json && r.json.error, `${name}: OpenAI-shaped error body, got ${r.text.slice(0, 200)}`);
    for (const k of ['message', 'type', 'param', 'code']) assert.ok(k in r.json.error, `${name}: error.${k}`);
    assert.equal(typeof r.json.error.message, 'string');
    assert.ok(r.json.error.message.length > 0);
    const ok = await postJson(srv.url + C, chat({}), H);
    assert.equal(ok.status, 200, `after '${name}' the next request failed: ${ok.text.slice(0, 200)}`);
    assert.equal(ok.json.object, 'chat.completion');
  }
});

test('errors name the offending field', async () => {
  const r = await postJson(srv.url + C, chat({ temperature: 9 }), H);
  assert.equal(r.json.error.param, 'temperature');
  assert.equal(r.json.error.type, 'invalid_request_error');
  const m = await postJson(srv.url + C, chat({ model: 'nope' }), H);
  assert.equal(m.json.error.code, 'model_not_found');
});

test('a full queue answers 429, and the server recovers when it drains', async () => {
  const busy = await startServer(['--model', hybridModel(), '--name', 'm', '--max-running', '1', '--max-queue', '1',
    '--ctx', '1024']);
  try {
    const long = { model: 'm', messages: msgs, max_tokens: 1000, stream: true, logit_bias: { 151645: -100, 151643: -100 } };
    const ctls = [new AbortController(), new AbortController()];
    const send = (c) => fetch(busy.url + C, { method: 'POST', signal: c.signal,
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(long) }).catch(() => null);
    // The second only once the first runs: sent together, on a loaded machine the first
    // may still be queued when the second arrives, and the second gets the 429.
    const started = [send(ctls[0])];
    const t0 = Date.now();
    while (!/qvl_requests_running 1\b/.test(await (await fetch(busy.url + '/metrics')).text())) {
      assert.ok(Date.now() - t0 < 60000, 'the first request never started:\n' + busy.log().slice(-800));
      await new Promise((res) => setTimeout(res, 20));
    }
    started.push(send(ctls[1]));
    for (;;) {  // one running, one waiting
      const m = await (await fetch(busy.url + '/metrics')).text();
      if (/qvl_queue_depth 1\b/.test(m) && /qvl_requests_running 1\b/.test(m)) break;
      assert.ok(Date.now() - t0 < 60000, 'queue never filled in 60 s:\n' + m + busy.log().slice(-800));
      await new Promise((res) => setTimeout(res, 20));
    }
    const r = await postJson(busy.url + C, chat({}));
    assert.equal(r.status, 429, r.text);
    assert.equal(r.json.error.code, 'queue_full');
    for (const c of ctls) c.abort();
    await Promise.all(started);
    const t1 = Date.now();
    for (;;) {
      const ok = await postJson(busy.url + C, chat({}));
      if (ok.status === 200) break;
      assert.equal(ok.status, 429);
      assert.ok(Date.now() - t1 < 60000, 'queue never drained in 60 s:\n' + busy.log().slice(-800));
      await new Promise((res) => setTimeout(res, 50));
    }
  } finally {
    await busy.stop();
  }
});
