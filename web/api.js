// Calls from the page to the qvl API: the API key (asked for on a 401 and kept
// for this browser tab only), OpenAI-style error bodies turned into messages,
// and a reader for Server-Sent Events over fetch (EventSource cannot POST).

const KEY_STORE = 'qvl-api-key';

export function apiKey() { return sessionStorage.getItem(KEY_STORE) || ''; }
export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORE, key);
  else sessionStorage.removeItem(KEY_STORE);
}

let authNeeded = () => {};
// fn(message) runs whenever the server answers 401, so the page can ask for a key.
export function onAuthNeeded(fn) { authNeeded = fn; }

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// fetch() with the key and a JSON body; throws ApiError with the server's message on 4xx/5xx.
export async function apiFetch(path, { method = 'GET', body, signal, headers = {} } = {}) {
  const h = { ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const key = apiKey();
  if (key) h.Authorization = 'Bearer ' + key;
  const res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal });
  if (!res.ok) {
    let parsed = null;
    let message = `HTTP ${res.status}`;
    try {
      parsed = await res.json();
      if (parsed && parsed.error && parsed.error.message) message = `${res.status}: ${parsed.error.message}`;
    } catch { /* not JSON: keep the status line */ }
    if (res.status === 401) authNeeded(message);
    throw new ApiError(res.status, message, parsed);
  }
  return res;
}

// Yields each `data:` payload of an SSE response as parsed JSON, until [DONE].
// Comment lines (the server's keep-alives) are skipped.
export async function* sseEvents(res) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      if (!data) continue;
      if (data === '[DONE]') return;
      yield JSON.parse(data);
    }
  }
}

// A File as a data: URL (what image_url / video_url parts carry).
export function fileToDataUrl(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}
