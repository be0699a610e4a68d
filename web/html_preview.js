// The HTML preview: generated (untrusted) HTML shown in an iframe that can never
// run it. Two independent locks: the iframe's `sandbox` attribute has no
// allow-scripts (and no allow-same-origin), and the document itself starts with a
// CSP that allows no script, no network, only inline styles and data: images.

const PREVIEW_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; " +
  "form-action 'none'; base-uri 'none'";

// The srcdoc for `html`: the CSP meta goes first in <head> (after a doctype, which
// must stay first or the page renders in quirks mode).
export function previewDocument(html) {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${PREVIEW_POLICY}">`;
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  return doctype ? doctype[0] + meta + html.slice(doctype[0].length) : meta + html;
}

export function showPreview(iframe, html) {
  iframe.setAttribute('sandbox', '');  // re-asserted: nothing may have loosened it
  iframe.srcdoc = previewDocument(html);
}

// The HTML in a chat answer: its first ```html fenced block, or the whole text.
export function htmlFromAnswer(text) {
  const fenced = /```html?\s*\n([\s\S]*?)```/i.exec(text);
  return fenced ? fenced[1] : text;
}
