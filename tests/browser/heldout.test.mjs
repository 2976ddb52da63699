// The spreadsheet's held-out cells: a fifth of the rated cells, hatched, that no step sees;
// their loss reported apart and drawn dashed on the chart, which keeps each earlier series.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, screenshot, setControl, sheetReady, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

const steps = async (page) => Number(await page.textContent('#sheet-steps'));

/** The chart's series as the page drew them: each one's training and held-out MSE. */
const series = (page) =>
  page.$$eval('#sheet-chart g.series', (gs) => gs.map((g) => ({ train: JSON.parse(g.dataset.train), held: JSON.parse(g.dataset.held) })));

async function stepTimes(page, n) {
  for (let i = 0; i < n; i++) {
    const before = await steps(page);
    await page.click('#sheet-step');
    await page.waitForFunction((b) => Number(document.querySelector('#sheet-steps').textContent) === b + 1, before);
  }
}

test('held-out cells: hatched, never stepped on, and their loss rises as ten factors learn the demo sheet by heart', { timeout: 400_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    // A first series without hold-out: two steps.
    await stepTimes(page, 2);
    const first = await series(page);
    assert.equal(first.length, 1);
    assert.equal(first[0].train.length, 3, 'the loss before the first step, then one point a step');
    assert.deepEqual(first[0].held, []);
    // Ten factors, a fifth held out, a rate that learns the 128 cells stepped on by heart.
    await setControl(page, 'sheet-k', '10');
    await setControl(page, 'sheet-lr', '0.5');
    await page.check('#sheet-held');
    await page.dispatchEvent('#sheet-held', 'change');
    await page.waitForFunction(() => document.querySelectorAll('#sheet-grid td.held').length > 0);
    await sheetReady(page);
    const rated = await page.$$eval('#sheet-grid td.rated', (tds) => tds.length);
    const held = await page.$$eval('#sheet-grid td.held', (tds) => tds.map((td) => td.getAttribute('aria-label')));
    console.log(`${held.length} of ${rated} rated cells held out`);
    assert.equal(held.length, Math.round(rated * 0.2));
    assert.ok(held.every((label) => label.endsWith('held out: no step sees it')));
    assert.equal(new URL(page.url()).searchParams.get('sheld'), '1', 'the link holds it');
    assert.equal(await page.isHidden('#sheet-held-figure'), false);
    // The held-out cells' numbers: a step must not move their ratings' error toward zero by
    // learning them; read each held cell's rating now to check the loss is theirs.
    const heldMse = Number(await page.textContent('#sheet-held-mse'));
    const fromCells = await page.$$eval('#sheet-grid td.held', (tds) => {
      const err = tds.map((td) => Number(td.querySelector('.pred').textContent) - Number(td.querySelector('.rating').textContent));
      return err.reduce((s, e) => s + e * e, 0) / err.length;
    });
    assert.ok(Math.abs(fromCells - heldMse) < 0.02, `the held-out MSE is the hatched cells' (${fromCells} against ${heldMse}, predictions shown to 2 decimals)`);
    // Run 150 steps.
    await page.click('#sheet-run');
    await page.waitForFunction(() => Number(document.querySelector('#sheet-steps').textContent) >= 152, null, { timeout: 300_000 });
    await page.click('#sheet-run');
    await page.waitForFunction(() => document.querySelector('#sheet-run').textContent === 'Run');
    await sheetReady(page);
    const all = await series(page);
    assert.equal(all.length, 2, 'the first series stays on the chart: a change starts a new one');
    assert.deepEqual(all[0], first[0]);
    const { train, held: heldLine } = all[1];
    assert.equal(train.length, heldLine.length);
    const lowest = Math.min(...heldLine);
    const lastTrain = train.at(-1);
    const lastHeld = heldLine.at(-1);
    console.log(`held out: from ${heldLine[0].toFixed(4)} down to ${lowest.toFixed(4)} at step ${heldLine.indexOf(lowest)}, then ${lastHeld.toFixed(4)}; train ${train[0].toFixed(4)} -> ${lastTrain.toFixed(4)}`);
    assert.ok(lastTrain < lastHeld / 10, `the cells stepped on are learned by heart: ${lastTrain} against ${lastHeld} held out`);
    assert.ok(lastHeld > lowest + 0.03, `the held-out loss rose from its lowest ${lowest} to ${lastHeld}`);
    assert.equal(Number(await page.textContent('#sheet-held-mse')).toFixed(4), lastHeld.toFixed(4), 'the figure is the last point');
    assert.equal(await page.$$eval('#sheet-chart polyline.held', (ls) => ls.length), 1, 'one dashed held-out line');
    assert.equal(await page.$$eval('#sheet-series li', (ls) => ls.length), 2);
    assert.match(await page.textContent('#sheet-series li:last-child'), /^lr 0\.5, 10 factors, a fifth held out: \d+ steps, MSE [\d.]+, held-out MSE [\d.]+$/);
    await screenshot(page.locator('#sheet'), 'heldout-sheet-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    // The section's own parts fit the phone's width (sections 4 and 5 with ten factors do
    // not: their one-hot tables are wider, a matter for the phone layout of those sections).
    for (const id of ['sheet-chart', 'sheet-series', 'sheet-held-figure', 'sheet-held']) {
      const box = await page.locator(`#${id}`).boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `${id} within 390 px: ${JSON.stringify(box)}`);
    }
    const size = await page.$$eval('#sheet-chart text', (ts) => Math.min(...ts.map((t) => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a)));
    console.log(`sheet chart text at 390 px: ${size.toFixed(1)} px`);
    assert.ok(size >= 11);
    await screenshot(page.locator('#sheet-chart'), 'heldout-chart-390');
  });
});
