// A few live numbers from GET /metrics (Prometheus text), refreshed every 2 s.

// {"name{labels}": value}; comment lines skipped.
export function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

function sum(m, name) {
  let s = 0;
  for (const [k, v] of m) if (k === name || k.startsWith(name + '{')) s += v;
  return s;
}

export function summarize(m) {
  const ttftCount = sum(m, 'qvl_time_to_first_token_seconds_count');
  const ttftSum = sum(m, 'qvl_time_to_first_token_seconds_sum');
  const kvTotal = sum(m, 'qvl_kv_blocks_total');
  return [
    ['Running', sum(m, 'qvl_requests_running')],
    ['Queued', sum(m, 'qvl_queue_depth')],
    ['Requests', sum(m, 'qvl_requests_total')],
    ['Prompt tokens', sum(m, 'qvl_prompt_tokens_total')],
    ['Completion tokens', sum(m, 'qvl_completion_tokens_total')],
    ['Reasoning tokens', sum(m, 'qvl_reasoning_tokens_total')],
    ['Mean TTFT', ttftCount ? `${((1000 * ttftSum) / ttftCount).toFixed(0)} ms` : '–'],
    ['KV blocks used', kvTotal ? `${sum(m, 'qvl_kv_blocks_used')} / ${kvTotal}` : '–'],
  ];
}

export function startMetrics(dl, status, periodMs = 2000) {
  const tick = async () => {
    try {
      const res = await fetch('/metrics');
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const rows = summarize(parseMetrics(await res.text()));
      dl.textContent = '';
      for (const [k, v] of rows) {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = String(v);
        dd.dataset.metric = k;
        dl.append(dt, dd);
      }
      dl.dataset.updated = String(Date.now());
    } catch (e) {
      status.textContent = `metrics: ${e.message}`;
    }
  };
  tick();
  return setInterval(tick, periodMs);
}
