// Progress bars through the real binary: model load/repack and `qvl bench` draw
// bars with --progress=always, and nothing of them reaches a pipe by default
// (auto: bars only when stderr is a terminal) or with --progress=never.
// (`qvl pull`'s bar: pull.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { QVL_BIN, hybridModel } from './serve_helpers.mjs';

function bench(extra) {
  const r = spawnSync(QVL_BIN, ['bench', '--model', hybridModel(), '-p', '8', '-n', '4', '--reps', '2',
    '--threads', '1', ...extra], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr;
}

test('--progress=always: a load bar over the decoder layers and a bench bar over the reps', () => {
  const err = bench(['--progress=always']);
  assert.match(err, /\rloading qwen3-tiny-hybrid\.gguf  \[#+\] 100%  (\d+)\/\1/);
  assert.match(err, /\rbench  \[#+\] 100%  2\/2  prefill \d+ tok\/s, decode \d+ tok\/s/);
  assert.ok(!/bench: rep/.test(err), 'per-rep log lines go into the bar, not across it');
});

test('piped stderr (auto) and --progress=never: no bar, the log lines instead', () => {
  for (const extra of [[], ['--progress', 'never']]) {
    const err = bench(extra);
    assert.ok(!err.includes('\r'), JSON.stringify(err));
    assert.match(err, /bench: rep 2\/2/);
  }
});

test('a bad --progress value is a one-line error', () => {
  const r = spawnSync(QVL_BIN, ['bench', '--progress=loud'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^qvl bench: error: --progress must be auto, always or never \(got 'loud'\)\n$/);
});
