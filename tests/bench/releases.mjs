// Benchmark (prints figures; asserts nothing): a generated release of ml-1m's size
// (1,000,209 ratings in ml-1m's layout, written by `collab generate`) through the page in
// headless Chromium on the CPU, as a visitor would use it:
// - loading: from the file picked to "Loaded", read and parsed in a worker; the wasm
//   memory of that worker once it holds the ratings; the page's longest main-thread task
//   meanwhile (PerformanceObserver longtask; goal: none over 50 ms),
// - training: section 8's settings (DotProductBias, 50 factors, 5 epochs at 5e-3) with
//   lazy Adam at the lesson's batch of 64, then with fastai's Adam at batch 4096, each from
//   the click on Train to done (goal for ml-1m: 20 s), milliseconds a batch by the table,
//   and the longest main-thread task meanwhile; then section 9 reading the trained model
//   and one user's recommendations, with the longest main-thread task in each. (fastai's Adam at batch 64 takes 56 s on
//   ml-1m natively already, docs/benchmarks.md: its step costs the whole tables.)
// Set COLLAB_BENCH_RATINGS for another size (25000095 for ml-25m's: one epoch of lazy Adam
// at batch 4096 then).
//   node bench/releases.mjs   (from tests/; needs dist-test/ and the CLI built)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { CPU, OUTPUT, openPage, startServer } from '../browser/harness.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/collab-notebook/target');
const cli = join(target, 'release/collab');
if (!existsSync(cli)) {
  console.log(`releases bench: ${cli} not built (source scripts/env.sh; cargo build --release -p collab-cli)`);
  process.exit(0);
}
const ratings = Number(process.env.COLLAB_BENCH_RATINGS ?? 1_000_209);
const release = ratings > 20_000_263 ? 'ml-25m' : 'ml-1m';
mkdirSync(join(OUTPUT, 'bench'), { recursive: true });
const zip = join(OUTPUT, 'bench', `${release}.zip`);
console.log(execFileSync(cli, ['generate', release, zip, '--ratings', String(ratings)], { cwd: ROOT, encoding: 'utf8' }).trim());

const { server, url } = await startServer();

/** The longest main-thread task since the last call (the longtask observer reports only
 * tasks of 50 ms and more: 0 means none), and how many there were. */
const longTasks = async (page) => {
  const tasks = await page.evaluate(() => window.longTasks.splice(0));
  return { longest: Math.max(0, ...tasks), over: tasks.filter((t) => t > 50).length };
};

/** Loads the zip, then trains with `query`'s settings: the figures of both. */
async function run(query) {
  const { browser, page, problems } = await openPage(CPU, `${url}?${query}`);
  try {
    await page.waitForSelector('#sheet[data-state="ready"]', { timeout: 200_000 });
    await page.evaluate(() => {
      window.longTasks = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longTasks.push(e.duration); }).observe({ type: 'longtask' });
    });
    let start = Date.now();
    await page.setInputFiles('#data-file', zip);
    await page.waitForFunction(() => ['loaded', 'error'].includes(document.querySelector('#data-progress').dataset.state), null, { timeout: 900_000 });
    const load = { seconds: (Date.now() - start) / 1000, said: await page.textContent('#data-progress'), memory: Number(await page.getAttribute('#data-progress', 'data-memory')), ...(await longTasks(page)) };
    await page.waitForSelector('#sheet[data-state="ready"]', { timeout: 200_000 });
    await longTasks(page);
    start = Date.now();
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 1_800_000 });
    const wall = (Date.now() - start) / 1000;
    const rows = await page.$$eval('#train-rows tr', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => parseFloat(c.textContent))));
    const split = await page.textContent('#train-split');
    const train = { wall, rows, split, device: await page.textContent('#train-device'), ...(await longTasks(page)) };
    // Section 9 reads the trained model (the page's first: no model was shown before).
    start = Date.now();
    await page.waitForFunction(() => document.querySelector('#learned').dataset.state === 'ready'
      && document.querySelector('#model-check').textContent.trim() !== '', null, { timeout: 600_000 });
    const read = { seconds: (Date.now() - start) / 1000, ...(await longTasks(page)) };
    // One user's recommendations: their row and ratings come from the training worker.
    start = Date.now();
    await page.fill('#rec-user', '1');
    await page.click('#rec-go');
    await page.waitForFunction(() => document.querySelectorAll('#rec-list li').length > 0, null, { timeout: 120_000 });
    const recommend = { seconds: (Date.now() - start) / 1000, ...(await longTasks(page)) };
    return { load, train, read, recommend, problems };
  } finally {
    await browser.close();
  }
}

const busy = (t) => (t.over ? `longest task ${t.longest.toFixed(0)} ms, ${t.over} over 50 ms (goal: none)` : 'no task of 50 ms or more (goal: none)');
const mib = (b) => `${(b / 1048576).toFixed(0)} MiB`;
const runs = release === 'ml-1m'
  ? [['lazy Adam, batch 64', 'device=cpu&optim=lazy', 64], ["fastai's Adam, batch 4096", 'device=cpu&bs=4096', 4096]]
  : [['lazy Adam, batch 4096, one epoch', 'device=cpu&optim=lazy&bs=4096&epochs=1', 4096]];
for (const [label, query, batch] of runs) {
  const { load, train, read, recommend, problems } = await run(query);
  console.log(`${release}-size data in Chromium (CPU), ${label}:`);
  console.log(`  load: ${load.seconds.toFixed(2)} s from the pick to "${load.said}"`);
  console.log(`  wasm memory of the worker holding the ratings after the load: ${mib(load.memory)}`);
  console.log(`  page's main thread while loading: ${busy(load)}`);
  const trainCount = Number((/([\d,]+) training ratings/.exec(train.split) ?? ['', '0'])[1].replace(/,/g, ''));
  const batches = Math.ceil(trainCount / batch);
  for (const [epoch, t, v, , seconds] of train.rows) {
    console.log(`  epoch ${epoch}: train ${t.toFixed(4)}  valid ${v.toFixed(4)}  ${seconds.toFixed(2)} s (${((1000 * seconds) / batches).toFixed(3)} ms a batch of ${batch})`);
  }
  console.log(`  ${train.rows.length} epochs from the click on Train to done: ${train.wall.toFixed(2)} s (goal for ml-1m, 5 epochs: 20 s), on ${train.device}`);
  console.log(`  page's main thread while training: ${busy(train)}`);
  console.log(`  section 9 read the trained model ${read.seconds.toFixed(2)} s after done; page's main thread meanwhile: ${busy(read)}`);
  console.log(`  user 1's recommendations (their row and ratings asked of the worker): ${recommend.seconds.toFixed(2)} s; page's main thread: ${busy(recommend)}`);
  if (problems.length) console.log(`  page problems: ${problems.join('; ')}`);
}
server.close();
console.log(`load average (1, 5, 15 min): ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
