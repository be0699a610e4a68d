// End-to-end: `qvl serve` on a random-weight Qwen3-VL instruct + thinking pair
// (the mode picks the weights; the thinking template opens <think> in the
// prompt). Checks reasoning splitting, content never null, the thinking budget
// (wrap-up injected, then an answer, truthful finish_reason) streamed and not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hybridModel, pairModels, startServer, tokenId } from './serve_helpers.mjs';

let srv, client, TALK, dir;
const NO_EOS = { 151645: -100, 151643: -100 };  // <|im_end|>, <|endoftext|>: keep the random model talking
const WRAPUP = 'Enough thinking; here is my answer.';  // set with --wrapup below

before(async () => {
  // A deployment file: the pair plus a hybrid model with a profile override, and aliases.
  const m = pairModels();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qvl-deploy-'));
  const file = path.join(dir, 'deploy.yaml');
  fs.writeFileSync(file, [
    'thinking_budget_max: 64',
    'models:',
    '  - name: qwen3-vl',
    `    instruct: ${m.instruct}`,
    `    thinking: ${m.thinking}`,
    '    aliases: [vl, { name: vl-deep, mode: thinking }]',
    '  - name: text',
    `    model: ${hybridModel()}`,
    '    profiles:',
    '      instruct: { max_tokens: 3, temperature: 0 }',
  ].join('\n') + '\n');
  srv = await startServer(['--deployment', file, '--ctx', '1024', '--wrapup', `\n\n${WRAPUP}\n</think>\n\n`,
    '--effort-budgets', 'low=4,medium=9,high=max']);
  client = new OpenAI({ baseURL: srv.url + '/v1', apiKey: 'unused', maxRetries: 0 });
  // The greedy random model likes emitting whitespace, which the parser trims after
  // </think>; a bias towards a word makes the answer visible (it never ends a sentence,
  // so the budget's sentence grace runs out instead).
  TALK = { ...NO_EOS, [await tokenId(srv.url, 'Hello')]: 100 };
});
after(async () => {
  await srv?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const chat = (extra) => client.chat.completions.create({ model: 'qwen3-vl',
  messages: [{ role: 'user', content: 'Describe a sunset.' }], temperature: 0, max_tokens: 8, ...extra });

test('the pair is listed with both modes', async () => {
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  const m = models.find((x) => x.id === 'qwen3-vl');
  assert.equal(m.kind, 'pair');
  assert.deepEqual(m.modes, ['instruct', 'thinking']);
});

test('the mode picks the checkpoint', async () => {
  const t = await chat({ reasoning_mode: 'thinking', logit_bias: NO_EOS });
  assert.equal(t.reasoning_mode.checkpoint, 'thinking');
  // The thinking template opened <think> in the prompt: output starts as reasoning.
  assert.equal(typeof t.choices[0].message.reasoning_content, 'string');
  assert.ok(t.choices[0].message.reasoning_content.length > 0);
  assert.equal(t.choices[0].message.reasoning, t.choices[0].message.reasoning_content);
  assert.ok(t.usage.completion_tokens_details.reasoning_tokens > 0);
  const i = await chat({ reasoning_mode: 'instruct', logit_bias: NO_EOS });
  assert.equal(i.reasoning_mode.checkpoint, 'instruct');
  assert.equal(typeof i.choices[0].message.content, 'string');
  assert.ok(i.choices[0].message.content.length > 0, 'content non-empty with thinking off');
  assert.equal(i.choices[0].message.reasoning_content, null);
  assert.equal(i.usage.completion_tokens_details.reasoning_tokens, 0);
});

test('the thinking budget ends reasoning at the cap and an answer follows', async () => {
  const r = await chat({ reasoning_mode: 'thinking', thinking_budget: 4, max_tokens: 120, logit_bias: TALK });
  const c = r.choices[0];
  assert.equal(r.reasoning_mode.thinking_budget, 4);
  assert.equal(r.reasoning_mode.budget_hit, true);
  assert.ok(c.message.reasoning_content.endsWith(WRAPUP), c.message.reasoning_content);
  assert.equal(typeof c.message.content, 'string');
  assert.ok(c.message.content.length > 0, 'an answer follows the wrap-up');
  // Nothing stopped it but the length limit, and it says so.
  assert.equal(c.finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 120);
  // budget + sentence grace (32) + wrap-up line: reasoning ends well before the cap
  assert.ok(r.usage.completion_tokens_details.reasoning_tokens < 4 + 32 + 30);
});

test('the budget is capped by the server ceiling; all budget spellings work', async () => {
  for (const k of ['thinking_budget', 'thinking_token_budget', 'thinking_budget_tokens']) {
    const r = await chat({ reasoning_mode: 'thinking', [k]: 100000, max_tokens: 2 });
    assert.ok(r.reasoning_mode.thinking_budget <= 64, k);
  }
});

test('reasoning_effort picks the thinking budget (--effort-budgets); minimal and none are instruct', async () => {
  for (const [effort, want] of [['low', 4], ['medium', 9]]) {
    const r = await chat({ reasoning_effort: effort, max_tokens: 120, logit_bias: TALK });
    assert.equal(r.reasoning_mode.mode, 'thinking', effort);
    assert.equal(r.reasoning_mode.thinking_budget, want, effort);
    assert.equal(r.reasoning_mode.budget_hit, true, effort);
    assert.equal(typeof r.choices[0].message.content, 'string');
  }
  // high = the server ceiling (64 here), given room in max_tokens for the answer floor.
  const hi = await chat({ reasoning_effort: 'high', max_tokens: 400, logit_bias: TALK });
  assert.equal(hi.reasoning_mode.thinking_budget, 64);
  // An explicit budget wins over the effort.
  const ex = await chat({ reasoning_effort: 'high', thinking_budget: 5, max_tokens: 120, logit_bias: TALK });
  assert.equal(ex.reasoning_mode.thinking_budget, 5);
  for (const effort of ['minimal', 'none']) {
    const r = await chat({ reasoning_effort: effort });
    assert.equal(r.reasoning_mode.mode, 'instruct', effort);
    assert.equal(r.reasoning_mode.checkpoint, 'instruct', effort);
    assert.equal(typeof r.choices[0].message.content, 'string');
  }
});

test('streaming a budgeted thinking run equals the non-streamed run', async () => {
  const body = { reasoning_mode: 'thinking', thinking_budget: 4, max_tokens: 90, logit_bias: TALK };
  const whole = await chat(body);
  const stream = await chat({ ...body, stream: true, stream_options: { include_usage: true } });
  let reasoning = '', content = '', finish = null, usage = null, last = null;
  for await (const ch of stream) {
    if (ch.usage) usage = ch.usage;
    if (ch.reasoning_mode) last = ch.reasoning_mode;
    for (const c of ch.choices) {
      reasoning += c.delta.reasoning_content ?? '';
      content += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(reasoning, whole.choices[0].message.reasoning_content);
  assert.equal(content, whole.choices[0].message.content);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.deepEqual(usage, whole.usage);
  assert.equal(last.budget_hit, true);
});

test('router and alias pick the checkpoint too', async () => {
  const r = await client.chat.completions.create({ model: 'qwen3-vl', max_tokens: 2, temperature: 0,
    messages: [{ role: 'user', content: 'Why is the sea salty?' }] });
  assert.deepEqual([r.reasoning_mode.mode, r.reasoning_mode.source, r.reasoning_mode.checkpoint],
    ['thinking', 'router', 'thinking']);
  const a = await client.chat.completions.create({ model: 'qwen3-vl-instruct', max_tokens: 2, temperature: 0,
    messages: [{ role: 'user', content: 'Why is the sea salty?' }] });
  assert.deepEqual([a.reasoning_mode.mode, a.reasoning_mode.source, a.reasoning_mode.checkpoint],
    ['instruct', 'alias', 'instruct']);
});

test('a deployment file serves several models, aliases and profiles', async () => {
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  assert.equal(models.find((x) => x.id === 'text').kind, 'hybrid');
  assert.equal(models.find((x) => x.id === 'vl').alias_of, 'qwen3-vl');
  const deep = await client.chat.completions.create({ model: 'vl-deep', max_tokens: 2, temperature: 0,
    messages: [{ role: 'user', content: 'hello' }] });
  assert.deepEqual([deep.reasoning_mode.mode, deep.reasoning_mode.source, deep.reasoning_mode.checkpoint],
    ['thinking', 'alias', 'thinking']);
  // The instruct profile of 'text' caps output at 3 tokens when the request sets no limit.
  const t = await client.chat.completions.create({ model: 'text', reasoning_mode: 'instruct', logit_bias: NO_EOS,
    messages: [{ role: 'user', content: 'hello' }] });
  assert.equal(t.reasoning_mode.checkpoint, 'hybrid');
  assert.equal(t.usage.completion_tokens, 3);
  assert.equal(t.choices[0].finish_reason, 'length');
});
