// End-to-end tool calling through the real `qvl serve` on random-weight models:
// with tool_choice required / named, across seeds, temperatures and budgets,
// every produced call names an offered tool and its arguments validate (ajv)
// against that tool's parameters: a random model only gets there because
// decoding was constrained. Auto mode with the trigger pushed by logit_bias,
// streaming accumulated by the real openai SDK equal to the whole response,
// tool messages round-tripping through the template, 400s naming the field,
// concurrent clients, the openai-SDK example script, and image parts with a
// text-only chat template.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Ajv from 'ajv';
import OpenAI from 'openai';
import { hybridModel, textTemplateVisionModels, startServer, postJson, tokenId, pngDataUrl } from './serve_helpers.mjs';

let srv, client;
before(async () => {
  srv = await startServer(['--model', hybridModel(), '--name', 'm', '--ctx', '2048']);
  client = new OpenAI({ baseURL: srv.url + '/v1', apiKey: 'none', defaultHeaders: instruct });
});
after(async () => { await srv?.stop(); });

const instruct = { 'X-Reasoning-Mode': 'instruct' };
const C = () => srv.url + '/v1/chat/completions';
const ask = (extra, headers = instruct) => postJson(C(), {
  model: 'm', messages: [{ role: 'user', content: 'What is the weather in Paris, and book a table?' }],
  max_tokens: 200, temperature: 1.0, ...extra,
}, headers);

const weather = {
  type: 'object', additionalProperties: false, required: ['city', 'unit', 'days'],
  properties: {
    city: { type: 'string', minLength: 1, maxLength: 12 }, unit: { enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer', minimum: 1, maximum: 7 },
  },
};
const booking = {
  type: 'object', required: ['people'],
  properties: { people: { type: 'integer', minimum: 1, maximum: 20 }, outside: { type: 'boolean' },
    tags: { type: 'array', items: { enum: ['quiet', 'view'] }, maxItems: 2 } },
  additionalProperties: false,
};
const tools = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: weather } },
  { type: 'function', function: { name: 'book_table', parameters: booking } },
];
const ajv = new Ajv({ strict: false });
const validators = { get_weather: ajv.compile(weather), book_table: ajv.compile(booking) };

// Checks one choice under a forcing tool_choice; returns 'call' or 'cut' (max_tokens ended it mid-call).
function checkForced(choice, allowed, single, what) {
  const m = choice.message;
  for (const c of m.tool_calls ?? []) {
    assert.equal(c.type, 'function', what);
    assert.match(c.id, /^call_[0-9a-f]{24}$/, what);
    assert.ok(allowed.includes(c.function.name), `${what}: ${c.function.name}`);
    const args = JSON.parse(c.function.arguments);
    assert.ok(validators[c.function.name](args), `${what}: ${c.function.arguments} ${ajv.errorsText(validators[c.function.name].errors)}`);
  }
  if (single) assert.ok((m.tool_calls ?? []).length <= 1, what);
  if (choice.finish_reason === 'length') return 'cut';
  assert.equal(choice.finish_reason, 'tool_calls', what);
  assert.ok(m.tool_calls.length >= 1, what);
  assert.equal(m.content, null, what);  // forced: nothing but calls
  return 'call';
}

test('required and named tool_choice: every produced call validates, across seeds, temperatures and budgets', async () => {
  const counts = { call: 0, cut: 0 };
  const cases = [];
  for (const temperature of [0, 0.8, 1.5])
    for (const max_tokens of [6, 30, 300])
      for (const seed of [1, 2, 3]) cases.push({ temperature, max_tokens, seed });
  for (const [i, c] of cases.entries()) {
    const named = i % 3 === 0;
    const extra = { ...c, tools, parallel_tool_calls: i % 2 === 0,
      tool_choice: named ? { type: 'function', function: { name: 'book_table' } } : 'required' };
    const r = await ask(extra);
    assert.equal(r.status, 200, r.text);
    const what = JSON.stringify(c) + ' ' + JSON.stringify(r.json.choices[0].message);
    counts[checkForced(r.json.choices[0], named ? ['book_table'] : ['get_weather', 'book_table'], !extra.parallel_tool_calls, what)]++;
  }
  // Budgets of 300 tokens always finish their calls; 6 tokens never can.
  assert.ok(counts.call >= 9, JSON.stringify(counts));
  assert.ok(counts.cut >= 9, JSON.stringify(counts));
  console.log(`# forced tool calls: ${counts.call} complete and valid, ${counts.cut} cut by max_tokens (no call reported)`);
});

test('thinking mode: the call is constrained after </think>', async () => {
  const seen = [];
  for (const seed of [4, 5]) {
    const r = await ask({ tools, tool_choice: 'required', seed, max_tokens: 400 }, { 'X-Reasoning-Mode': 'thinking' });
    assert.equal(r.status, 200, r.text);
    seen.push(checkForced(r.json.choices[0], ['get_weather', 'book_table'], false, JSON.stringify(r.json.choices[0])));
  }
  console.log(`# thinking mode: ${seen.join(', ')}`);
});

test('auto: free text until <tool_call> opens, then the schema holds', async () => {
  const open = await tokenId(srv.url, '<tool_call>', instruct);
  let calls = 0;
  // +20 lets this model write some text first; +100 opens a call at once.
  for (const [seed, bias] of [[1, 20], [2, 20], [3, 20], [4, 20], [5, 100], [6, 100]]) {
    const r = await ask({ tools, seed, max_tokens: 120, logit_bias: { [open]: bias } });
    assert.equal(r.status, 200, r.text);
    const ch = r.json.choices[0];
    for (const c of ch.message.tool_calls ?? []) {
      calls++;
      assert.ok(validators[c.function.name](JSON.parse(c.function.arguments)), c.function.arguments);
    }
    if (ch.message.tool_calls) assert.equal(ch.finish_reason, 'tool_calls');
    // Text around calls is content; the tags never leak into it unless a call was cut.
    if (ch.finish_reason !== 'length') assert.ok(!(ch.message.content ?? '').includes('<tool_call>'), ch.message.content);
  }
  assert.ok(calls >= 3, `only ${calls} calls with the trigger pushed`);
  console.log(`# auto with the trigger pushed: ${calls} calls, all valid`);
  // Without the push, a random model writes text: a plain answer, no calls.
  const plain = await ask({ tools, seed: 1, max_tokens: 20, logit_bias: { [open]: -100 } });
  assert.equal(plain.json.choices[0].message.tool_calls, undefined);
  assert.equal(typeof plain.json.choices[0].message.content, 'string');
});

test('tool_choice none: no tools offered to the template, nothing parsed', async () => {
  const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools };
  const withTools = await postJson(srv.url + '/apply-template', body, instruct);
  const none = await postJson(srv.url + '/apply-template', { ...body, tool_choice: 'none' }, instruct);
  assert.ok(withTools.json.prompt.includes('get_weather'));
  assert.ok(!none.json.prompt.includes('get_weather'));
  const r = await ask({ tools, tool_choice: 'none', max_tokens: 10, seed: 3 });
  assert.equal(r.status, 200);
  assert.equal(r.json.choices[0].message.tool_calls, undefined);
});

test('streaming: the openai SDK accumulates the deltas into the non-streamed message', async () => {
  for (const [seed, tool_choice] of [[11, 'required'], [12, { type: 'function', function: { name: 'get_weather' } }], [13, 'required']]) {
    const params = { model: 'm', messages: [{ role: 'user', content: 'Weather and a table, please.' }], tools, tool_choice,
      max_tokens: 300, temperature: 0.9, seed };
    const whole = await client.chat.completions.create(params);
    const stream = client.chat.completions.stream(params);
    const done = [];  // the SDK's per-call "arguments complete" events
    stream.on('tool_calls.function.arguments.done', (e) => done.push([e.name, e.arguments]));
    const acc = await stream.finalChatCompletion();
    const a = acc.choices[0], w = whole.choices[0];
    assert.equal(a.finish_reason, w.finish_reason);
    assert.equal(a.message.content ?? null, w.message.content ?? null);
    assert.deepEqual((a.message.tool_calls ?? []).map((c) => [c.type, c.function.name, c.function.arguments]),
      (w.message.tool_calls ?? []).map((c) => [c.type, c.function.name, c.function.arguments]));
    assert.ok(w.message.tool_calls.length >= 1);
    for (const c of a.message.tool_calls) assert.match(c.id, /^call_/);
    assert.deepEqual(done, w.message.tool_calls.map((c) => [c.function.name, c.function.arguments]));
  }
});

test('assistant tool_calls and tool results round-trip through the chat template', async () => {
  const first = await ask({ tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, seed: 21, max_tokens: 300 });
  const msg = first.json.choices[0].message;
  assert.equal(msg.tool_calls.length >= 1, true);
  const messages = [{ role: 'user', content: 'Weather?' }, msg,
    ...msg.tool_calls.map((c) => ({ role: 'tool', tool_call_id: c.id, content: '{"temperature": 21}' }))];
  const rendered = await postJson(srv.url + '/apply-template', { model: 'm', messages, tools }, instruct);
  assert.equal(rendered.status, 200, rendered.text);
  const p = rendered.json.prompt;
  assert.ok(p.includes('<tool_call>\n{"name": "get_weather", "arguments": ' + msg.tool_calls[0].function.arguments), p);
  assert.ok(p.includes('<tool_response>\n{"temperature": 21}\n</tool_response>'), p);
  const next = await postJson(C(), { model: 'm', messages, tools, max_tokens: 8, seed: 1 }, instruct);
  assert.equal(next.status, 200, next.text);
});

test('bad tools, tool_choice and parallel_tool_calls are 400s naming the field', async () => {
  const cases = [
    [{ tools: 'x' }, 'tools'],
    [{ tools: [{ type: 'function', function: { name: 'bad name' } }] }, 'tools[0].function.name'],
    [{ tools: [{ type: 'function' }] }, 'tools[0].function'],
    [{ tools: [{ type: 'function', function: { name: 'f', parameters: 'x' } }] }, 'tools[0].function.parameters'],
    [{ tools, tool_choice: 'sometimes' }, 'tool_choice'],
    [{ tools, tool_choice: { type: 'function', function: { name: 'nope' } } }, 'tool_choice.function.name'],
    [{ tool_choice: 'required' }, 'tool_choice'],
    [{ tools, parallel_tool_calls: 1 }, 'parallel_tool_calls'],
    [{ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', not: {} } } }], tool_choice: 'required' },
      'tools[0].function.parameters'],
    [{ tools, tool_choice: 'required', response_format: { type: 'json_object' } }, 'tool_choice'],
    [{ tools: Array.from({ length: 513 }, (_, i) => ({ type: 'function', function: { name: 'f' + i } })) }, 'tools'],
  ];
  for (const [extra, param] of cases) {
    const r = await ask(extra);
    assert.equal(r.status, 400, JSON.stringify(extra).slice(0, 200) + ' ' + r.text);
    assert.equal(r.json.error.param, param, r.text);
    assert.equal(r.json.error.type, 'invalid_request_error');
  }
  const h = await fetch(srv.url + '/health');
  assert.equal(h.status, 200);
});

test('concurrent clients with tools each get valid calls', async () => {
  const rs = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) =>
    ask({ tools, tool_choice: 'required', seed, max_tokens: 300, n: seed % 2 ? 1 : 2 })));
  for (const r of rs) {
    assert.equal(r.status, 200, r.text);
    for (const ch of r.json.choices) assert.equal(checkForced(ch, ['get_weather', 'book_table'], false, JSON.stringify(ch)), 'call');
  }
});

test('examples/tool_calling.mjs runs against the server with the openai SDK', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['examples/tool_calling.mjs'], {
    env: { ...process.env, QVL_BASE_URL: srv.url + '/v1', QVL_MODEL: 'm' }, timeout: 120000 });
  const steps = stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(steps.map((s) => s.step), ['call', 'answer', 'stream']);
  const exampleSchema = ajv.compile({ type: 'object', required: ['city', 'unit'], additionalProperties: false,
    properties: { city: { type: 'string', maxLength: 20 }, unit: { enum: ['celsius', 'fahrenheit'] } } });
  for (const s of [steps[0], steps[2]]) {
    assert.equal(s.finish_reason, 'tool_calls', JSON.stringify(s));
    assert.equal(s.tool_calls.length, 1);
    assert.equal(s.tool_calls[0].function.name, 'get_weather');
    assert.ok(exampleSchema(JSON.parse(s.tool_calls[0].function.arguments)), s.tool_calls[0].function.arguments);
  }
  assert.equal(steps[2].tool_calls[0].function.arguments, steps[0].tool_calls[0].function.arguments);
  assert.equal(typeof steps[1].content, 'string');
});

test('image parts with a text-only chat template are joined with vision placeholders, not refused', async () => {
  const { model, mmproj } = textTemplateVisionModels();
  const vs = await startServer(['--model', model, '--mmproj', mmproj, '--name', 'v', '--ctx', '1024']);
  try {
    const r = await postJson(vs.url + '/v1/chat/completions', { model: 'v', max_tokens: 4, seed: 1, messages: [
      { role: 'user', content: [{ type: 'text', text: 'Describe ' }, { type: 'image_url', image_url: { url: pngDataUrl(64, 64) } },
        { type: 'text', text: ' briefly.' }] }] }, instruct);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.usage.prompt_tokens_details.image_tokens > 0, JSON.stringify(r.json.usage));
    assert.match(vs.log(), /text-only \(content parts are joined\)/);
  } finally {
    await vs.stop();
  }
});
