// fastai's LR finder on the page: section 8's model (swept in the training worker) and
// the spreadsheet (a copy of its numbers). What it draws is held against fastai's own
// rule recomputed here from the drawn curve, and "Use this rate" against the fields.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, loadZip, screenshot, setControl, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

/** The chart's points ([lr, smoothed loss], fastai's plot: the record less its last five) and suggestion. */
async function curve(page, id) {
  await page.waitForSelector(`#${id} g[data-curve]`, { timeout: 120_000 });
  return page.$eval(`#${id} g`, (g) => ({ points: JSON.parse(g.dataset.curve), suggestion: g.dataset.suggestion }));
}

/** fastai 2.8's `valley`, as in fastai/callback/schedule.py, on `losses`; returns the index it picks. */
function valley(losses) {
  const n = losses.length;
  let maxStart = 0;
  let maxEnd = 0;
  const lds = new Array(n).fill(1);
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[maxEnd] < lds[i]) {
        maxEnd = i;
        maxStart = maxEnd - lds[maxEnd];
      }
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  const idx = maxStart + Math.trunc(sections) + Math.trunc(sections / 2);
  return idx < 0 ? n + idx : idx;
}

/** What fastai's `lr_find` suggests from the drawn points (the record less its last five): it
 * leaves off the first 10 (num_it // 10) and cuts at the first NaN; the rate is a float32. */
function fastaiSuggestion(points) {
  let cut = points.slice(10);
  const nan = cut.findIndex((p) => p[1] === null);
  if (nan >= 0) cut = cut.slice(0, nan);
  const at = 10 + valley(cut.map((p) => Math.fround(p[1])));
  return { index: at, lr: Math.fround(points[at][0]) };
}

/** fastai's `steep` on the cut curve: the first index of the most negative slope against log(lr). */
function fastaiSteep(points) {
  let cut = points.slice(10);
  const nan = cut.findIndex((p) => p[1] === null);
  if (nan >= 0) cut = cut.slice(0, nan);
  let best = 0;
  const slope = (i) => (Math.fround(cut[i + 1][1]) - Math.fround(cut[i][1])) / (Math.log(Math.fround(cut[i + 1][0])) - Math.log(Math.fround(cut[i][0])));
  for (let i = 1; i < cut.length - 1; i++) if (slope(i) < slope(best)) best = i;
  return { index: 10 + best, lr: Math.fround(cut[best][0]) };
}

/** The rate as the page writes it: three significant figures, plain from 0.01 to 99.9, else `1.32e-3`. */
function rateText(lr) {
  const exponent = Math.floor(Math.log10(Math.abs(lr)));
  return exponent >= -2 && exponent < 2 ? lr.toFixed(2 - exponent) : lr.toExponential(2).replace('e+', 'e');
}

/** Asserts the suggestion is fastai's and lies on the curve's fall: below where the cut curve
 * starts, before its lowest point, where the loss falls over the neighbouring decade. */
function assertOnTheFall(points, shown, what) {
  const { index, lr } = fastaiSuggestion(points);
  assert.equal(shown, rateText(lr), `${what}: the page's suggestion is fastai's valley on the drawn curve`);
  const losses = points.map((p) => p[1]);
  const finite = losses.slice(10).filter((l) => l !== null);
  const min = Math.min(...finite);
  const argmin = losses.indexOf(min);
  console.log(`${what}: ${points.length} points, suggestion ${shown} at ${index}, loss ${losses[index].toFixed(4)}; start ${losses[10].toFixed(4)}, lowest ${min.toFixed(4)} at ${argmin} (lr ${points[argmin][0].toExponential(2)})`);
  assert.ok(index < argmin, `${what}: the suggestion comes before the lowest loss`);
  assert.ok(losses[index] < losses[10], `${what}: the loss has fallen at the suggestion`);
  // Over the decade around it (12 of the 100 batches span 10^0.96), the smoothed loss falls.
  const lo = Math.max(0, index - 6);
  const hi = Math.min(losses.length - 1, index + 6);
  assert.ok(losses[hi] < losses[lo], `${what}: the curve falls through the suggestion (${losses[lo]} -> ${losses[hi]})`);
}

test("section 8: lr_find sweeps the model in the worker, draws fastai's curve, and 'Use this rate' sets the field and the link", { timeout: 400_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await loadZip(page, 300, 200, 7);
    await setControl(page, 'train-on', 'cpu');
    for (const model of ['dotbias', 'dotraw']) {
      await setControl(page, 'train-model', model);
      await page.click('#train-lrfind');
      await page.waitForFunction(() => /^Swept/.test(document.querySelector('#train-lrfind-text').textContent), null, { timeout: 120_000 });
      const { points, suggestion } = await curve(page, 'train-lrfind-chart');
      const said = await page.textContent('#train-lrfind-text');
      console.log(`${model}: ${said}`);
      assert.match(said, new RegExp(`fastai's suggestion \\(valley, its default\\): ${suggestion.replace('.', '\\.')} \\(●\\), where the smoothed loss is \\d`));
      // steep: fastai's other rule, where the cut curve falls fastest against log(lr).
      const steep = fastaiSteep(points);
      assert.equal(await page.textContent('#train-lrfind-text .lr-steep'), rateText(steep.lr), `${model}: steep`);
      // The sweep's rates are fastai's schedule: 1e-7 · 1e8^(i/100).
      points.forEach(([lr], i) => assert.ok(Math.abs(lr / (1e-7 * 1e8 ** (i / 100)) - 1) < 1e-9, `rate ${i}`));
      assertOnTheFall(points, suggestion, model);
    }
    await screenshot(page.locator('#train div.lrfind'), 'lrfind-train-1280');
    const suggestion = await page.$eval('#train-lrfind-chart g', (g) => g.dataset.suggestion);
    await page.click('#train-lrfind-use');
    await page.waitForFunction((s) => document.querySelector('#train-lr').value === s, suggestion);
    assert.equal(new URL(page.url()).searchParams.get('lr'), suggestion, 'the link carries the rate');
    assert.equal(new URL(page.url()).searchParams.get('model'), 'dotraw');
    // The rate trains: a fit at it ends with a finite validation loss.
    await setControl(page, 'train-epochs', '1');
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
    const valid = Number(await page.$eval('#train-rows tr td:nth-child(3)', (td) => td.textContent));
    console.log(`one epoch at ${suggestion}: valid_loss ${valid}`);
    assert.ok(Number.isFinite(valid) && valid < 3, `valid loss ${valid}`);
  });
});

test("the sheet: lr_find sweeps a copy of its numbers, and 'Use this rate' sets its rate and keeps its numbers", { timeout: 300_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    const mse = await page.textContent('#sheet-mse');
    await page.click('#sheet-lrfind');
    const { points, suggestion } = await curve(page, 'sheet-lrfind-chart');
    console.log(`sheet: ${await page.textContent('#sheet-lrfind-text')}`);
    assertOnTheFall(points, suggestion, 'sheet');
    assert.equal(await page.textContent('#sheet-mse'), mse, 'the sweep stepped a copy');
    assert.equal(await page.textContent('#sheet-steps'), '0');
    await screenshot(page.locator('#sheet div.lrfind'), 'lrfind-sheet-1280');
    await page.click('#sheet-lrfind-use');
    await page.waitForFunction((s) => document.querySelector('#sheet-lr').value === s, suggestion);
    await page.waitForSelector('#sheet[data-state="ready"]');
    assert.equal(await page.textContent('#sheet-mse'), mse, 'a new rate keeps the numbers');
    assert.equal(new URL(page.url()).searchParams.get('slr'), suggestion, "the sheet's link carries the rate");
    // A step at the suggested rate lowers the loss.
    await page.click('#sheet-step');
    await page.waitForFunction((m) => document.querySelector('#sheet-mse').textContent !== m, mse);
    assert.ok(Number(await page.textContent('#sheet-mse')) < Number(mse));
  });
});

test('the finder at 390 px: the chart fits the screen and its text is at least 11 px', { timeout: 300_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await page.click('#sheet-lrfind');
    await curve(page, 'sheet-lrfind-chart');
    await page.click('#train-lrfind');
    await curve(page, 'train-lrfind-chart');
    for (const id of ['sheet-lrfind-chart', 'train-lrfind-chart']) {
      const box = await page.locator(`#${id}`).boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `${id} within the screen: ${JSON.stringify(box)}`);
      // Each label's font size as drawn: its size in the chart's units times the chart's scale.
      const sizes = await page.$$eval(`#${id} text`, (ts) =>
        ts.map((t) => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a));
      const smallest = Math.min(...sizes);
      console.log(`${id} at 390 px: ${Math.round(box.width)} px wide, smallest text ${smallest.toFixed(1)} px`);
      assert.ok(smallest >= 11, `${id}: text ${smallest} px`);
    }
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'no sideways scrolling');
    await screenshot(page.locator('#sheet div.lrfind'), 'lrfind-sheet-390');
    await screenshot(page.locator('#train div.lrfind'), 'lrfind-train-390');
  }, { width: 390, height: 844 });
});
