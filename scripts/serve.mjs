// A static file server for dist/ (and data/ when fetched), with the right MIME type for
// wasm. Used by the serve command and by the browser tests; no dependencies.
// - Sends the .br or .gz file scripts/compress.mjs wrote beside a file, with
//   Content-Encoding, when the browser accepts it.
// - Hashed file names (Trunk's `name-<16 hex>.ext`) are cached for a year, everything
//   else revalidated (`no-cache`): a new build is seen at once, an old one never fetched
//   twice.
// - `--base /some/path/` serves the page under that path, as a project page would be.
//   node scripts/serve.mjs [--port 8080] [--root dist] [--data data] [--base /]
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.zip': 'application/zip', '.png': 'image/png',
};
const HASHED = /-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/;

/** The file to send for `file`, and its encoding, given the request's Accept-Encoding. */
async function encoded(file, accept) {
  for (const [encoding, ext] of [['br', '.br'], ['gzip', '.gz']]) {
    if (!new RegExp(`\\b${encoding}\\b`).test(accept)) continue;
    try {
      await stat(file + ext);
      return [file + ext, encoding];
    } catch { /* not compressed: try the next */ }
  }
  return [file, null];
}

/** Starts the server; resolves to the http.Server once it listens. */
export function serve({ root = 'dist', data = 'data', port = 8080, host = '127.0.0.1', base = '/' } = {}) {
  const roots = { 'data/': resolve(data), '': resolve(root) };
  const server = createServer(async (req, res) => {
    const full = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!full.startsWith(base)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const path = full.slice(base.length);
    const prefix = path.startsWith('data/') ? 'data/' : '';
    const dir = roots[prefix];
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const [sent, encoding] = await encoded(file, req.headers['accept-encoding'] ?? '');
      const body = await readFile(sent);
      const headers = {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
        vary: 'accept-encoding',
      };
      if (encoding) headers['content-encoding'] = encoding;
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((ok) => server.listen(port, host, () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const port = Number(arg('port', 8080));
  const base = arg('base', '/');
  await serve({ root: arg('root', 'dist'), data: arg('data', 'data'), port, base });
  console.log(`serving the notebook on http://127.0.0.1:${port}${base} (Ctrl-C to stop)`);
}
