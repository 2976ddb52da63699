// Benchmark (prints figures; asserts nothing): the reference run
// fit_one_cycle(5, 5e-3, wd=0.1), DotProductBias, 50 factors, bs 64, on MovieLens-100k
// (data/ml-100k.zip, else generated data of its size):
// - as wasm on the CPU in headless Chromium (burn-flex), along each of the learner's CPU
//   paths (the whole step on the host; burn with the fused optimizer; burn with the
//   optimizer as tensor operations), with their ratios and one epoch's split by phase,
// - opening the page: the wasm fetched before the first computation (the CPU module
//   only) and the time to it, and the GPU module's size on the wire,
// - milliseconds per batch of DotProductBias (batch 64 and 4096, along the page's direct
//   path and burn's tensors) and EmbeddingNN (batch 64) in Chromium on the CPU and on
//   WebGPU, timed by the page's own device race in workers (WebGPU here is SwiftShader,
//   a CPU emulation: a figure of the race, not of a real GPU),
// - through the page itself on the CPU: the same settings trained by clicking Train, in
//   the training worker, in slices, with the table's per-epoch times, and the page's
//   longest main-thread tasks while it trains (goal: none over 50 ms),
// - natively (the CLI, if built), with the wasm/native ratio from the same run, and its
//   milliseconds per batch on flex and wgpu (wgpu only in a build with --features wgpu).
//   npm run bench            (from tests/; needs the built dist/ and dist-test/:
//                             sizes and opening from the release build, runs through the hooks of the test build)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { CPU, MODES, WEBGPU, openPage, startServer } from '../browser/harness.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const zipPath = join(ROOT, 'data/ml-100k.zip');
const hasData = existsSync(zipPath);
const bytes = hasData ? Array.from(readFileSync(zipPath)) : null;
const { server, url } = await startServer({ data: join(ROOT, 'data') });
const published = await startServer({ build: 'release', data: join(ROOT, 'data') });

/** The reference fit along each CPU path, one after the other in one page. */
async function inBrowser(mode) {
  const { browser, page, problems } = await openPage(mode, url);
  try {
    await page.waitForSelector('#proof[data-state="done"]', { timeout: 200_000 });
    const runs = {};
    for (const path of ['direct', 'fused', 'tensors']) {
      const json = await page.evaluate(
        ([b, p]) => window.wasmBindings.bench_reference(b ? new Uint8Array(b) : undefined, p),
        [bytes, path],
      );
      runs[path] = { ...JSON.parse(json), problems };
    }
    return runs;
  } finally {
    await browser.close();
  }
}

/** Opening the page in a fresh browser: wasm bytes fetched and milliseconds until the first computation shows. */
async function opening(mode) {
  const start = Date.now();
  const { browser, page, problems } = await openPage(mode, published.url, { watch: true });
  try {
    await page.waitForSelector('#proof[data-state="done"]', { timeout: 200_000 });
    const ms = Date.now() - start;
    const wasm = page.responses.filter((r) => r.url.endsWith('.wasm'));
    const gpuAsked = page.requests.some((u) => u.includes('/gpu/'));
    return { ms, bytes: wasm.reduce((sum, r) => sum + r.bytes, 0), files: wasm.length, gpuAsked, problems };
  } finally {
    await browser.close();
  }
}

/** The reference settings (section 8's defaults) for `kind` at `batch_size`. */
const reference = (kind, batch_size) => ({ kind, factors: 50, epochs: 5, lr: 5e-3, wd: 0.1, wd_kind: 'Decoupled', batch_size, seed: 42, y_range: true });

/**
 * The page's device race (CPU worker, then GPU-module worker) for `kind` at `batchSize`
 * along the step path `path` (`direct`: the page's own, two kernels a step on WebGPU for
 * the dot-product models; `tensors`: burn's autodiff and tensor optimizer).
 */
async function race(kind, batchSize, path) {
  const { browser, page, problems } = await openPage(WEBGPU, url);
  try {
    await page.waitForSelector('#proof[data-state="done"]', { timeout: 200_000 });
    const json = await page.evaluate(
      ([b, s, p]) => window.wasmBindings.race_devices(b ? new Uint8Array(b) : undefined, s, p),
      [bytes, reference(kind, batchSize), path],
    );
    return { model: `${kind}, batch ${batchSize}`, ...JSON.parse(json), problems };
  } finally {
    await browser.close();
  }
}

/** The reference run through the page's controls: Train, in the worker, on the CPU. */
async function inPage(mode) {
  const { browser, page, problems } = await openPage(mode, url);
  try {
    await page.waitForSelector('#sheet[data-state="ready"]', { timeout: 200_000 });
    const zip = bytes ?? (await page.evaluate(() => Array.from(window.wasmBindings.reference_ml100k_zip())));
    await page.setInputFiles('#data-file', { name: 'ml-100k.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
    await page.waitForFunction(() => /^Loaded/.test(document.querySelector('#data-progress').textContent), null, { timeout: 60_000 });
    await page.evaluate(() => {
      window.longTasks = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longTasks.push(e.duration); }).observe({ type: 'longtask' });
    });
    const start = Date.now();
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 600_000 });
    const wall = (Date.now() - start) / 1000;
    const rows = await page.$$eval('#train-rows tr', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => parseFloat(c.textContent))));
    const longTasks = await page.evaluate(() => window.longTasks);
    return { wall, rows, longTasks, device: await page.textContent('#train-device'), problems };
  } finally {
    await browser.close();
  }
}

function print(label, run) {
  console.log(`${label} (${run.device}):`);
  for (const e of run.epochs) {
    console.log(`  epoch ${e.epoch}: train ${e.train_loss.toFixed(4)}  valid ${e.valid_loss.toFixed(4)}  ${e.seconds.toFixed(2)} s`);
  }
  console.log(`  fit ${run.seconds.toFixed(2)} s (${(run.seconds / run.epochs.length).toFixed(2)} s an epoch), final valid MSE ${run.epochs.at(-1).valid_loss.toFixed(4)}`);
  if (run.problems.length) console.log(`  page problems: ${run.problems.join('; ')}`);
}

/** Bytes on the wire for `path` of the release build from the bundled server, asking for `encoding`. */
function wireBytes(path, encoding) {
  return new Promise((ok, fail) => {
    const req = request(new URL(path, published.url), { headers: { 'accept-encoding': encoding } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => { bytes += chunk.length; });
      res.on('end', () => ok({ bytes, sent: res.headers['content-encoding'] ?? 'identity' }));
    });
    req.on('error', fail);
    req.end();
  });
}

const wasmFile = readdirSync(join(ROOT, 'dist')).find((f) => f.endsWith('_bg.wasm'));
const gpuFile = `gpu/${readdirSync(join(ROOT, 'dist/gpu')).find((f) => f.endsWith('_bg.wasm'))}`;
const wire = [];
const gpuWire = [];
for (const encoding of ['br', 'gzip', 'identity']) {
  wire.push(await wireBytes(wasmFile, encoding));
  gpuWire.push(await wireBytes(gpuFile, encoding));
}

const opened = [];
for (const mode of MODES) opened.push({ mode: mode.name, ...(await opening(mode)) });
const races = [
  await race('DotProductBias', 64, 'direct'),
  await race('DotProductBias', 64, 'tensors'),
  await race('DotProductBias', 4096, 'direct'),
  await race('DotProductBias', 4096, 'tensors'),
  await race('EmbeddingNn', 64, 'direct'),
];
const paths = await inBrowser(CPU);
const cpu = paths.direct;
const pageRun = await inPage(CPU);
server.close();
published.server.close();

const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/collab-notebook/target');
const cli = join(target, 'release/collab');
const native = existsSync(cli) ? execFileSync(cli, ['bench', ...(hasData ? [zipPath] : [])], { cwd: ROOT, encoding: 'utf8' }) : null;

const mb = (w) => `${(w.bytes / 1048576).toFixed(2)} MB ${w.sent}`;
console.log(`the page's module (CPU) on the wire (scripts/serve.mjs): ${wire.map(mb).join(', ')}`);
console.log(`the GPU module (fetched only to train on WebGPU): ${gpuWire.map(mb).join(', ')}`);
for (const o of opened) {
  console.log(`opening the page (${o.mode}, fresh browser): first computation after ${o.ms} ms; wasm fetched by then: ${(o.bytes / 1048576).toFixed(2)} MB in ${o.files} file(s) (goal: 1.5 MB compressed); GPU module asked for: ${o.gpuAsked ? 'yes' : 'no'}`);
}
console.log(`data: ${cpu.source}`);
console.log(`ms per batch in Chromium (the page's device race: 5 untimed batches, 30 timed, each engine in its own worker; path direct: the page's, two kernels a step on WebGPU for the dot-product models; tensors: burn's autodiff and tensor optimizer). "To queue": the worker's own time for the step, before the device runs it: on WebGPU the floor under a step on any GPU.`);
const lap = (l) => (l.error ? `could not run (${l.error})` : `${l.ms.toFixed(3)} ms (${l.queue_ms.toFixed(3)} of it to queue) on ${l.device}`);
for (const r of races) {
  console.log(`  ${r.model}, ${r.path}: CPU ${lap(r.cpu)}; WebGPU ${lap(r.gpu)}${r.cpu.ms && r.gpu.ms ? `; WebGPU / CPU ${(r.gpu.ms / r.cpu.ms).toFixed(1)}x` : ''}`);
  if (r.problems.length) console.log(`  page problems: ${r.problems.join('; ')}`);
}
print('wasm, CPU, headless Chromium, the direct path (the whole step on the host)', cpu);
console.log('  the same fit along each CPU path (time, final valid MSE, time / the direct path\'s):');
for (const run of [paths.fused, paths.tensors]) {
  console.log(`    ${run.path.padEnd(8)} ${run.seconds.toFixed(2)} s, valid MSE ${run.epochs.at(-1).valid_loss.toFixed(4)}, ${(run.seconds / cpu.seconds).toFixed(2)}x`);
}
console.log('  one more epoch, where its time goes:');
for (const run of Object.values(paths)) console.log(`    ${run.path.padEnd(8)} ${run.split_text}`);
console.log(`the page, Train clicked (worker, ${pageRun.device}):`);
for (const [epoch, train, valid, , seconds] of pageRun.rows) {
  console.log(`  epoch ${epoch}: train ${train.toFixed(4)}  valid ${valid.toFixed(4)}  ${seconds.toFixed(2)} s`);
}
const pageSeconds = pageRun.rows.reduce((sum, r) => sum + r[4], 0);
console.log(`  training ${pageSeconds.toFixed(2)} s by the table (${(pageSeconds / pageRun.rows.length).toFixed(2)} s an epoch), ${pageRun.wall.toFixed(2)} s from click to done; final valid MSE ${pageRun.rows.at(-1)[2].toFixed(4)}`);
const longest = Math.max(0, ...pageRun.longTasks);
console.log(`  page's main thread while training: longest task ${longest.toFixed(0)} ms, ${pageRun.longTasks.length} tasks over 50 ms (goal: none)`);
if (pageRun.problems.length) console.log(`  page problems: ${pageRun.problems.join('; ')}`);
console.log(`page / direct wasm CPU time: ${(pageSeconds / cpu.seconds).toFixed(2)}x`);
if (native) {
  const nativeSeconds = Number(/fit: ([\d.]+) s/.exec(native)[1]);
  console.log(`native (burn-flex):\n${native.replace(/^/gm, '  ')}`);
  console.log(`wasm CPU / native time: ${(cpu.seconds / nativeSeconds).toFixed(2)}x`);
} else {
  console.log(`native: ${cli} not built (source scripts/env.sh; cargo build --release -p collab-cli)`);
}
console.log(`load average (1, 5, 15 min): ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
