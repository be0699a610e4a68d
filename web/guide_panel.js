// The side panel for the guide's structured jobs on a screenshot:
// POST /v1/generate/html -> {html_code} shown as editable source beside a
// sandboxed preview, and POST /v1/agent/action -> {action, coordinates: [x, y]
// in the screenshot's pixels} drawn as a marker on the screenshot.
import { apiFetch, fileToDataUrl } from './api.js';
import { showPreview } from './html_preview.js';

export class GuidePanel {
  constructor(els, { model, mode, maxTokens }) {
    Object.assign(this, els);
    this.settings = { model, mode, maxTokens };
    this.image = null;  // data: URL of the chosen screenshot
    this.shot.addEventListener('change', async () => {
      const f = this.shot.files[0];
      if (!f) return;
      this.image = await fileToDataUrl(f);
      this.shotImg.src = this.image;
      this.shotView.hidden = false;
      this.marker.hidden = true;
    });
    this.render.addEventListener('click', () => this.preview(this.source.value));
    this.genHtml.addEventListener('click', () => this.generateHtml());
    this.askAction.addEventListener('click', () => this.guiAction());
  }

  preview(html) {
    this.source.value = html;
    showPreview(this.frame, html);
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  body(extra) {
    const b = { image: this.image, ...extra };
    if (this.settings.model.value) b.model = this.settings.model.value;
    if (this.settings.mode.value !== 'auto') b.mode = this.settings.mode.value;
    const n = Number(this.settings.maxTokens.value);
    if (n) b.max_tokens = n;
    return b;
  }

  async run(button, path, extra, done) {
    if (!this.image) return this.showError('Choose a screenshot first.');
    this.showError('');
    button.disabled = true;
    try {
      const res = await apiFetch(path, { method: 'POST', body: this.body(extra) });
      done(await res.json());
    } catch (e) {
      this.showError(`${path}: ${e.message}`);
    } finally {
      button.disabled = false;
    }
  }

  generateHtml() {
    return this.run(this.genHtml, '/v1/generate/html', { text: this.instruction.value },
                    (j) => this.preview(String(j.html_code ?? '')));
  }

  guiAction() {
    return this.run(this.askAction, '/v1/agent/action', { instruction: this.instruction.value },
                    (j) => this.drawAction(j));
  }

  // Coordinates are in the screenshot's own pixels; the marker is placed in
  // percent of the image, so it stays put however the image is scaled.
  drawAction(action) {
    this.actionJson.textContent = JSON.stringify(action, null, 2);
    this.actionJson.hidden = false;
    const c = action.coordinates;
    const w = this.shotImg.naturalWidth, h = this.shotImg.naturalHeight;
    if (!Array.isArray(c) || c.length !== 2 || !w || !h) { this.marker.hidden = true; return; }
    this.marker.style.left = `${(100 * c[0]) / w}%`;
    this.marker.style.top = `${(100 * c[1]) / h}%`;
    this.marker.title = `${action.action} ${action.element || ''} (${c[0]}, ${c[1]})`;
    this.marker.hidden = false;
  }
}
