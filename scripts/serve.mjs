// A static file server for dist/ (and data/ when fetched), with the right MIME type for
// wasm. Used by the serve command and by the browser tests; no dependencies.
//   node scripts/serve.mjs [--port 8080] [--root dist] [--data data]
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.zip': 'application/zip', '.png': 'image/png',
};

/** Starts the server; resolves to the http.Server once it listens. */
export function serve({ root = 'dist', data = 'data', port = 8080, host = '127.0.0.1' } = {}) {
  const roots = { '/data/': resolve(data), '/': resolve(root) };
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const prefix = path.startsWith('/data/') ? '/data/' : '/';
    const base = roots[prefix];
    let file = normalize(join(base, path.slice(prefix.length)));
    if (!file.startsWith(base)) { res.writeHead(403).end(); return; }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
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
  await serve({ root: arg('root', 'dist'), data: arg('data', 'data'), port });
  console.log(`serving the notebook on http://127.0.0.1:${port}/ (Ctrl-C to stop)`);
}
