// Trunk's post_build hook (Trunk.toml), on its staging folder:
// 1. The GPU module (crates/collab-gpu, built by Trunk as a worker into gpu/ under a
//    fixed name) gets a content hash in its file names, as the page's own module has, so
//    that it can be cached for a year; the page learns its name from
//    <meta name="collab-gpu-module" content="gpu/collab-gpu-<hash>.js">. The service
//    worker does not download it on install (it names no href or src): only a visitor
//    whose training runs on WebGPU fetches it.
// 2. Every large file gets its .br and .gz (scripts/compress.mjs).
import { createHash } from 'node:crypto';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compress } from './compress.mjs';

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2] ?? 'dist';
const gpuDir = join(dir, 'gpu');
const STEM = 'collab-gpu';

const names = await readdir(gpuDir).catch(() => []);
if (!names.includes(`${STEM}.js`) || !names.includes(`${STEM}_bg.wasm`)) {
  throw new Error(`post-build: ${gpuDir} has no ${STEM}.js and ${STEM}_bg.wasm (is the collab-gpu link in index.html?)`);
}
const wasm = await readFile(join(gpuDir, `${STEM}_bg.wasm`));
const glue = await readFile(join(gpuDir, `${STEM}.js`));
const hash = createHash('sha256').update(glue).update(wasm).digest('hex').slice(0, 16);
// Old hashed copies from an earlier build in the same folder would only take space.
for (const name of names) if (name.startsWith(`${STEM}-`)) await rm(join(gpuDir, name));
await rename(join(gpuDir, `${STEM}.js`), join(gpuDir, `${STEM}-${hash}.js`));
await rename(join(gpuDir, `${STEM}_bg.wasm`), join(gpuDir, `${STEM}-${hash}_bg.wasm`));

const htmlPath = join(dir, 'index.html');
const html = await readFile(htmlPath, 'utf8');
const meta = `<meta name="collab-gpu-module" content="gpu/${STEM}-${hash}.js">`;
if (!html.includes('</head>')) throw new Error('post-build: index.html has no </head>');
await writeFile(htmlPath, html.replace(/<meta name="collab-gpu-module"[^>]*>\s*/g, '').replace('</head>', `${meta}\n</head>`));
console.log(`post-build: GPU module gpu/${STEM}-${hash}_bg.wasm, ${wasm.length} bytes`);

await compress(dir);
