// The guide's mode header in node: the same question in instruct and thinking
// mode. Run: node examples/node/mode_header.mjs http://localhost:8080
import { pathToFileURL } from 'node:url';

export async function askWithMode(baseUrl, mode, content, maxTokens = 64) {
  const r = await fetch(baseUrl + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Reasoning-Mode': mode },
    body: JSON.stringify({ messages: [{ role: 'user', content }], max_tokens: maxTokens }),
  });
  return { status: r.status, json: await r.json() };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.argv[2] ?? 'http://localhost:8080';
  for (const mode of ['instruct', 'thinking']) {
    const out = await askWithMode(url, mode, 'Why is the sky blue?');
    console.log(mode, out.json.reasoning_mode?.mode, JSON.stringify(out.json.choices?.[0]?.message?.content ?? out.json));
  }
}
