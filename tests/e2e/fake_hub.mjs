// A local stand-in for a Hugging Face-style hub, for `qvl pull` tests (no real
// network): node http servers on loopback answering as the hub does.
//   hub:  HEAD/GET /{repo}/resolve/{rev}/{file}
//           LFS files  -> 302 to the CDN, X-Repo-Commit, X-Linked-Etag (SHA-256), X-Linked-Size
//           small files -> 200 with an ETag (a git blob id) and X-Repo-Commit
//         GET /api/models/{repo}/revision/{rev} -> {sha, siblings: [{rfilename}]}
//         401 for private repositories without the right bearer token, 404 with X-Error-Code
//   cdn:  GET /blobs/{sha256}: Range requests (206 + Content-Range), a once-only
//         mid-body disconnect and a corrupting mode per file.
// Every request is recorded in hub.requests ({server, method, path, auth, range, status}).
import http from 'node:http';
import crypto from 'node:crypto';

export async function startFakeHub({ token = null } = {}) {
  const repos = new Map();  // repo -> {commit, private, files: Map(name -> {data, lfs, sha, gitSha})}
  const requests = [];
  const faults = { disconnectOnce: new Set(), corrupt: new Set() };
  let cdnUrl = '';

  function addRepo(name, files, { private: priv = false, commit: forced = null } = {}) {
    const commit = forced ?? crypto.createHash('sha1').update(name + JSON.stringify(Object.keys(files))).digest('hex');
    const m = new Map();
    for (const [f, { data, lfs }] of Object.entries(files)) {
      const buf = Buffer.from(data);
      m.set(f, {
        data: buf, lfs,
        sha: crypto.createHash('sha256').update(buf).digest('hex'),
        gitSha: crypto.createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex'),
      });
    }
    repos.set(name, { commit, private: priv, files: m });
    return commit;
  }

  const record = (server, req, status) => requests.push({
    server, method: req.method, path: req.url, auth: req.headers.authorization || null,
    range: req.headers.range || null, status,
  });

  const hub = http.createServer((req, res) => {
    const send = (status, headers = {}, body = '') => {
      record('hub', req, status);
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const url = new URL(req.url, 'http://x');
    let m = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/);
    if (m) {
      const repo = repos.get(m[1]);
      if (!repo) return send(404, { 'X-Error-Code': 'RepoNotFound' }, '{"error":"Repository not found"}');
      return send(200, { 'Content-Type': 'application/json' },
        JSON.stringify({ id: m[1], sha: repo.commit, siblings: [...repo.files.keys()].map((f) => ({ rfilename: f })) }));
    }
    m = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    if (!m) return send(404, {}, 'no route');
    const repo = repos.get(m[1]);
    const auth = req.headers.authorization;
    if (repo?.private && auth !== `Bearer ${token}`)
      return send(401, { 'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Invalid credentials' }, 'Unauthorized');
    if (!repo) return send(404, { 'X-Error-Code': 'RepoNotFound' }, 'Repository not found');
    if (m[2] !== 'main' && m[2] !== repo.commit) return send(404, { 'X-Error-Code': 'RevisionNotFound' }, 'no revision');
    const f = repo.files.get(decodeURIComponent(m[3]));
    if (!f) return send(404, { 'X-Error-Code': 'EntryNotFound' }, 'Entry not found');
    if (f.lfs) {
      return send(302, {
        Location: `${cdnUrl}/blobs/${f.sha}?name=${encodeURIComponent(m[3])}`,
        'X-Repo-Commit': repo.commit, 'X-Linked-Etag': `"${f.sha}"`, 'X-Linked-Size': String(f.data.length),
        ETag: `"${f.gitSha}"`, 'Content-Length': '0',
      });
    }
    send(200, { 'X-Repo-Commit': repo.commit, ETag: `"${f.gitSha}"`, 'Content-Length': String(f.data.length) }, f.data);
  });

  const cdn = http.createServer((req, res) => {
    const m = req.url.match(/^\/blobs\/([0-9a-f]{64})/);
    let file = null;
    for (const r of repos.values()) for (const f of r.files.values()) if (m && f.sha === m[1]) file = f;
    if (!file) { record('cdn', req, 404); res.writeHead(404); return res.end(); }
    let data = file.data;
    if (faults.corrupt.has(file.sha)) { data = Buffer.from(data); data[data.length >> 1] ^= 0xff; }
    let start = 0, status = 200;
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    const headers = { 'Accept-Ranges': 'bytes', ETag: `"${file.sha}"` };
    if (range) {
      start = Number(range[1]);
      if (start >= data.length) {
        record('cdn', req, 416);
        res.writeHead(416, { 'Content-Range': `bytes */${data.length}` });
        return res.end();
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    }
    headers['Content-Length'] = String(data.length - start);
    record('cdn', req, status);
    res.writeHead(status, headers);
    if (faults.disconnectOnce.has(file.sha)) {
      // Send part of the body, then drop the connection: a transfer cut mid-file.
      faults.disconnectOnce.delete(file.sha);
      const cut = start + Math.floor((data.length - start) / 3);
      res.write(data.subarray(start, cut), () => setTimeout(() => res.socket.destroy(), 50));
      return;
    }
    res.end(data.subarray(start));
  });

  const listen = (srv) => new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv.address().port)));
  const hubPort = await listen(hub), cdnPort = await listen(cdn);
  cdnUrl = `http://127.0.0.1:${cdnPort}`;
  return {
    url: `http://127.0.0.1:${hubPort}`,
    cdnUrl,
    requests,
    faults,
    addRepo,
    sha: (repo, file) => repos.get(repo).files.get(file).sha,
    close: () => Promise.all([hub, cdn].map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); }))),
  };
}
