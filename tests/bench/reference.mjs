// Benchmark (prints figures; asserts nothing): the reference run
// fit_one_cycle(5, 5e-3, wd=0.1), DotProductBias, 50 factors, bs 64, as wasm on the CPU
// in headless Chromium, and the same run natively, one after the other on this machine.
//   npm run bench            (from tests/; needs a built dist/ and the native CLI)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { MODES, openPage, startServer } from '../browser/harness.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const zipPath = join(ROOT, 'data/ml-100k.zip');
const hasData = existsSync(zipPath);
const { server, url } = await startServer(join(ROOT, 'data'));
const cpu = MODES.find((m) => m.name === 'cpu');
const { browser, page, problems } = await openPage(cpu, url);
await page.waitForSelector('#proof[data-state="done"]', { timeout: 200_000 });
const bytes = hasData ? Array.from(readFileSync(zipPath)) : null;
const wasm = JSON.parse(await page.evaluate((b) => window.wasmBindings.bench_reference(b ? new Uint8Array(b) : undefined), bytes));
await browser.close();
server.close();

const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/collab-notebook/target');
const cli = join(target, 'release/collab');
const native = existsSync(cli) ? execFileSync(cli, ['bench', ...(hasData ? [zipPath] : [])], { cwd: ROOT, encoding: 'utf8' }) : null;
const nativeSeconds = native ? Number(/fit: ([\d.]+) s/.exec(native)[1]) : NaN;

console.log(`data: ${wasm.source}`);
console.log('wasm (CPU, headless Chromium):');
for (const e of wasm.epochs) console.log(`  epoch ${e.epoch}: train ${e.train_loss.toFixed(4)}  valid ${e.valid_loss.toFixed(4)}  ${e.seconds.toFixed(2)} s`);
console.log(`  fit ${wasm.seconds.toFixed(2)} s, final valid MSE ${wasm.epochs.at(-1).valid_loss.toFixed(4)}`);
if (native) {
  console.log(`native (burn-flex):\n${native.replace(/^/gm, '  ')}`);
  console.log(`wasm / native time: ${(wasm.seconds / nativeSeconds).toFixed(2)}x`);
} else {
  console.log(`native: ${cli} not built (cargo build --release -p collab-cli)`);
}
console.log(`load average (1, 5, 15 min): ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
if (problems.length) console.log(`page problems: ${problems.join('; ')}`);
