// Entry point of the built-in web UI (served at / from the bytes compiled into
// qvl): wires the header (model, mode, max tokens, API key), the chat, the
// screenshot panel and the metrics panel. Plain ES modules, no build step.
import { apiFetch, apiKey, setApiKey, onAuthNeeded } from './api.js';
import { Chat } from './chat.js';
import { GuidePanel } from './guide_panel.js';
import { htmlFromAnswer } from './html_preview.js';
import { startMetrics } from './metrics_panel.js';

const $ = (id) => document.getElementById(id);
const settings = { model: $('model'), mode: $('mode'), maxTokens: $('max-tokens') };
const status = $('status');

function askForKey(reason) {
  $('key-reason').textContent = reason || 'This server needs an API key.';
  $('key-input').value = apiKey();
  $('key-dialog').hidden = false;
  $('key-input').focus();
}
onAuthNeeded((message) => askForKey(`${message}. Enter the server's API key.`));
$('key-button').addEventListener('click', () => askForKey('API key for this server (kept for this tab only).'));
$('key-cancel').addEventListener('click', () => { $('key-dialog').hidden = true; });
$('key-save').addEventListener('click', () => {
  setApiKey($('key-input').value.trim());
  $('key-dialog').hidden = true;
  loadModels();
});
$('key-input').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('key-save').click(); });

async function loadModels() {
  try {
    const list = await (await apiFetch('/v1/models')).json();
    const select = settings.model;
    const chosen = select.value;
    select.textContent = '';
    for (const m of list.data || []) {
      const o = document.createElement('option');
      o.value = o.textContent = m.id;
      select.append(o);
    }
    if (chosen) select.value = chosen;
    status.textContent = `${(list.data || []).length} model(s)`;
    document.body.dataset.ready = '1';
  } catch (e) {
    status.textContent = e.message;
  }
}

const guide = new GuidePanel({
  shot: $('shot'), shotImg: $('shot-img'), shotView: $('shot-view'), marker: $('marker'),
  instruction: $('shot-instruction'), genHtml: $('gen-html'), askAction: $('ask-action'),
  error: $('panel-error'), actionJson: $('action-json'), source: $('html-source'), render: $('render'),
  frame: $('preview'),
}, settings);

new Chat({
  messages: $('messages'), prompt: $('prompt'), attach: $('attach'), attachments: $('attachments'),
  composer: $('composer'), send: $('send'), stop: $('stop'), clear: $('clear'),
}, { ...settings, onPreviewHtml: (text) => guide.preview(htmlFromAnswer(text)) });

startMetrics($('metrics'), status);
loadModels();
