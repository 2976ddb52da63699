// Writes .br and .gz beside each compressible file of a built page, so that a server
// can send them as they are (scripts/serve.mjs does, with Content-Encoding). Run after
// each build by scripts/post-build.mjs (Trunk.toml's post_build hook), or by hand:
//   node scripts/compress.mjs dist
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = new Set(['.wasm', '.js', '.mjs', '.css', '.html', '.svg', '.json']);
/** Smaller files are not worth a second request header. */
const MIN_BYTES = 1024;

async function* files(folder) {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** Writes the .br and .gz of every compressible file under `dir`. */
export async function compress(dir) {
  for await (const path of files(dir)) await compressFile(path);
}

async function compressFile(path) {
  if (!COMPRESSIBLE.has(extname(path)) || (await stat(path)).size < MIN_BYTES) return;
  const body = await readFile(path);
  // Brotli quality 9: within a few percent of 11 on the module, in seconds, not minutes.
  const br = brotliCompressSync(body, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  await writeFile(`${path}.br`, br);
  await writeFile(`${path}.gz`, gzipSync(body, { level: 9 }));
  console.log(`compress: ${path}: ${body.length} bytes, br ${br.length}, gz done`);
}

if (import.meta.url === `file://${process.argv[1]}`) await compress(process.argv[2] ?? 'dist');
