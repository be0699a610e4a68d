// The guide's GUI agent client in node (no dependencies): a screenshot and an
// instruction in, the next action out ({action, element, coordinates in the
// screenshot's pixels, confidence, ...}). Sent as multipart form data like an
// upload; `history` travels as the JSON text of the list.
// Run: node examples/node/agent_action.mjs http://localhost:8080 shot.png "Turn off Bluetooth"
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

export async function nextAction(baseUrl, pngBytes, instruction, { history = [], maxTokens, seed, mode } = {}) {
  const form = new FormData();
  form.append('image', new Blob([pngBytes], { type: 'image/png' }), 'screenshot.png');
  form.append('instruction', instruction);
  form.append('history', JSON.stringify(history));
  if (maxTokens !== undefined) form.append('max_tokens', String(maxTokens));
  if (seed !== undefined) form.append('seed', String(seed));
  if (mode) form.append('mode', mode);
  const r = await fetch(baseUrl + '/v1/agent/action', { method: 'POST', body: form });
  return { status: r.status, json: await r.json() };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [url = 'http://localhost:8080', file = 'screenshot.png', instruction = 'How do I turn off Bluetooth?'] =
    process.argv.slice(2);
  const out = await nextAction(url, fs.readFileSync(file), instruction);
  if (out.status !== 200) throw new Error(JSON.stringify(out.json));
  console.log(JSON.stringify(out.json));
}
