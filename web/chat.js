// The chat column: composing (text, attached / pasted / dropped images and videos),
// sending with streaming, the Stop button, and drawing each answer: the mode the
// server used (and, for auto, the router rule that fired), the reasoning in a
// collapsible block, the answer, and its token usage. Model text is only ever
// set as textContent, never parsed as HTML.
import { apiFetch, sseEvents, fileToDataUrl, ApiError } from './api.js';

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// "thinking · router rule en-why" from the server's reasoning_mode report.
export function describeMode(report) {
  if (!report) return '';
  let s = `${report.mode} · ${report.source}`;
  if (report.rule) s += ` rule ${report.rule}`;
  else if (report.field) s += ` ${report.field}`;
  if (report.checkpoint) s += ` · ${report.checkpoint}`;
  if (report.budget_hit) s += ' · budget hit';
  return s;
}

export class Chat {
  constructor({ messages, prompt, attach, attachments, composer, send, stop, clear }, { model, mode, maxTokens, onPreviewHtml }) {
    Object.assign(this, { messagesEl: messages, promptEl: prompt, attachmentsEl: attachments, sendBtn: send, stopBtn: stop });
    this.settings = { model, mode, maxTokens };
    this.onPreviewHtml = onPreviewHtml;
    this.history = [];      // OpenAI messages sent so far
    this.pending = [];      // attachments for the next message: {kind, url, name}
    this.controller = null; // AbortController of the stream in flight

    send.addEventListener('click', () => this.send());
    stop.addEventListener('click', () => this.stop());
    clear.addEventListener('click', () => { this.stop(); this.history = []; this.messagesEl.textContent = ''; });
    prompt.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); this.send(); }
    });
    attach.addEventListener('change', () => { this.addFiles(attach.files); attach.value = ''; });
    prompt.addEventListener('paste', (e) => {
      const files = [...(e.clipboardData?.files || [])];
      if (files.length) { e.preventDefault(); this.addFiles(files); }
    });
    composer.addEventListener('dragover', (e) => { e.preventDefault(); composer.classList.add('drag'); });
    composer.addEventListener('dragleave', () => composer.classList.remove('drag'));
    composer.addEventListener('drop', (e) => {
      e.preventDefault();
      composer.classList.remove('drag');
      this.addFiles(e.dataTransfer?.files || []);
    });
  }

  async addFiles(files) {
    for (const f of files) {
      const kind = f.type.startsWith('video/') ? 'video' : f.type.startsWith('image/') ? 'image' : null;
      if (!kind) { this.note(`${f.name}: only images and videos can be attached`); continue; }
      this.pending.push({ kind, url: await fileToDataUrl(f), name: f.name });
    }
    this.drawAttachments();
  }

  drawAttachments() {
    this.attachmentsEl.textContent = '';
    this.pending.forEach((a, i) => {
      const box = el('span', 'att');
      const media = el(a.kind === 'video' ? 'video' : 'img');
      media.src = a.url;
      media.title = a.name;
      const remove = el('button', '', '×');
      remove.type = 'button';
      remove.title = 'Remove';
      remove.addEventListener('click', () => { this.pending.splice(i, 1); this.drawAttachments(); });
      box.append(media, remove);
      this.attachmentsEl.append(box);
    });
  }

  note(text) {
    const m = el('div', 'msg assistant');
    m.append(el('span', 'error', text));
    this.messagesEl.append(m);
  }

  userContent(text, attachments) {
    if (!attachments.length) return text;
    const parts = [];
    for (const a of attachments)
      parts.push(a.kind === 'video' ? { type: 'video_url', video_url: { url: a.url } }
                                    : { type: 'image_url', image_url: { url: a.url } });
    if (text) parts.push({ type: 'text', text });
    return parts;
  }

  drawUser(text, attachments) {
    const m = el('div', 'msg user');
    m.dataset.role = 'user';
    for (const a of attachments) {
      const media = el(a.kind === 'video' ? 'video' : 'img');
      media.src = a.url;
      m.append(media);
    }
    if (text) m.append(el('div', 'text', text));
    this.messagesEl.append(m);
  }

  // The assistant's bubble; returns the parts the stream fills in.
  drawAssistant() {
    const m = el('div', 'msg assistant');
    m.dataset.role = 'assistant';
    m.dataset.state = 'streaming';
    const meta = el('div', 'meta');
    const badge = el('span', 'mode-badge');
    badge.dataset.testid = 'mode-used';
    badge.hidden = true;
    meta.append(badge);
    const reasoning = el('details', 'reasoning');
    reasoning.hidden = true;
    const summary = el('summary', '', 'Reasoning');
    const reasoningText = el('pre', 'reasoning-text');
    reasoning.append(summary, reasoningText);
    const content = el('div', 'content');
    const footer = el('div', 'meta');
    const usage = el('span', 'usage');
    const preview = el('button', '', 'Preview as HTML');
    preview.type = 'button';
    preview.className = 'preview-answer';
    preview.addEventListener('click', () => this.onPreviewHtml(content.textContent));
    footer.append(usage, preview);
    m.append(meta, reasoning, content, footer);
    this.messagesEl.append(m);
    return { m, badge, reasoning, summary, reasoningText, content, usage };
  }

  async send() {
    if (this.controller) return;  // one stream at a time
    const text = this.promptEl.value.trim();
    const attachments = this.pending;
    if (!text && !attachments.length) return;
    this.promptEl.value = '';
    this.pending = [];
    this.drawAttachments();
    this.drawUser(text, attachments);
    this.history.push({ role: 'user', content: this.userContent(text, attachments) });

    const view = this.drawAssistant();
    const controller = new AbortController();
    this.controller = controller;
    this.sendBtn.disabled = true;
    this.stopBtn.disabled = false;
    let reasoning = '';
    let answer = '';
    const scroll = () => { this.messagesEl.scrollTop = this.messagesEl.scrollHeight; };
    try {
      const maxTokens = Number(this.settings.maxTokens.value) || undefined;
      const res = await apiFetch('/v1/chat/completions', {
        method: 'POST',
        signal: controller.signal,
        headers: { 'X-Reasoning-Mode': this.settings.mode.value },
        body: { model: this.settings.model.value || undefined, messages: this.history, stream: true,
                stream_options: { include_usage: true }, max_tokens: maxTokens },
      });
      for await (const chunk of sseEvents(res)) {
        if (chunk.error) throw new ApiError(500, chunk.error.message || 'generation failed', chunk);
        if (chunk.reasoning_mode) {
          view.badge.textContent = describeMode(chunk.reasoning_mode);
          view.badge.hidden = false;
          view.m.dataset.mode = chunk.reasoning_mode.mode;
          view.m.dataset.modeSource = chunk.reasoning_mode.source || '';
          view.m.dataset.rule = chunk.reasoning_mode.rule || '';
        }
        const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
        if (delta && delta.reasoning_content) {
          reasoning += delta.reasoning_content;
          view.reasoning.hidden = false;
          view.reasoningText.textContent = reasoning;
          view.summary.textContent = `Reasoning (${reasoning.length} characters)`;
        }
        if (delta && delta.content) {
          answer += delta.content;
          view.content.textContent = answer;
        }
        if (chunk.usage) {
          const u = chunk.usage;
          const r = u.completion_tokens_details ? u.completion_tokens_details.reasoning_tokens : 0;
          const cached = u.prompt_tokens_details ? u.prompt_tokens_details.cached_tokens : 0;
          view.usage.textContent = `${u.prompt_tokens} prompt (${cached} cached) · ${u.completion_tokens} completion` +
            ` (${r} reasoning)`;
          view.m.dataset.promptTokens = String(u.prompt_tokens);
        }
        scroll();
      }
      view.m.dataset.state = 'done';
    } catch (e) {
      if (e.name === 'AbortError') {
        view.m.dataset.state = 'stopped';
        view.usage.textContent = 'stopped';
      } else {
        view.m.dataset.state = 'error';
        const err = el('div', 'error', e.message);
        view.m.append(err);
      }
    } finally {
      // A stopped answer stays in the history as far as it got, as the user saw it.
      if (answer || reasoning) this.history.push({ role: 'assistant', content: answer });
      else if (view.m.dataset.state !== 'done') this.history.pop();  // nothing came back: drop the question too
      this.controller = null;
      this.sendBtn.disabled = false;
      this.stopBtn.disabled = true;
      scroll();
    }
  }

  stop() { if (this.controller) this.controller.abort(); }
}
