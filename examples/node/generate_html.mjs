// The guide's screenshot -> HTML client in node (no dependencies): posts the
// image as multipart form data like Python's requests.post(files=...) and reads
// html_code. Run: node examples/node/generate_html.mjs http://localhost:8080 shot.png
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

export async function generateHtml(baseUrl, pngBytes, { text = '', maxTokens, seed, mode } = {}) {
  const form = new FormData();
  form.append('image', new Blob([pngBytes], { type: 'image/png' }), 'screenshot.png');
  if (text) form.append('text', text);
  if (maxTokens !== undefined) form.append('max_tokens', String(maxTokens));
  if (seed !== undefined) form.append('seed', String(seed));
  if (mode) form.append('mode', mode);
  const r = await fetch(baseUrl + '/v1/generate/html', { method: 'POST', body: form });
  return { status: r.status, json: await r.json() };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [url = 'http://localhost:8080', file = 'screenshot.png'] = process.argv.slice(2);
  const out = await generateHtml(url, fs.readFileSync(file), { text: 'Recreate this page.' });
  if (out.status !== 200) throw new Error(JSON.stringify(out.json));
  fs.writeFileSync('output.html', out.json.html_code);
  console.log('wrote output.html');
}
