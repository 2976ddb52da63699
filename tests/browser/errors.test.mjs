// Where the model is wrong (issue: predictions checked one by one): after a fit, every
// dot of the scatter is a validation rating at the model's own prediction of it, the
// worst predictions are the largest errors, and the cold-start tables count every
// validation rating once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, loadZip, screenshot, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

const number = (text) => Number(text.replace(/,/g, ''));

test("the errors section draws the model's own predictions of the validation ratings, and the worst of them", { timeout: 600_000 }, async () => {
  await withPage(CPU, `${url}?epochs=1`, async (page) => {
    assert.equal(await page.getAttribute('#errors', 'data-state'), 'pending');
    await loadZip(page, 200, 150, 11);
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 300_000 });
    await page.waitForSelector('#errors[data-state="ready"]', { timeout: 60_000 });

    // The summary counts the split's validation ratings, at the last epoch's valid loss.
    const split = await page.textContent('#train-split');
    const validCount = number(/([\d,]+) validation ratings/.exec(split)[1]);
    const summary = await page.textContent('#errors-summary');
    console.log(summary);
    assert.equal(number(/^The ([\d,]+) validation ratings/.exec(summary)[1]), validCount);
    const lastValid = await page.$$eval('#train-rows tr', (trs) => Number(trs.at(-1).cells[2].textContent));
    const rmse = Number(/RMSE ([\d.]+)/.exec(summary)[1]);
    assert.ok(Math.abs(rmse - Math.sqrt(lastValid)) < 1e-3, `RMSE ${rmse} vs √${lastValid}`);

    // Every dot is a validation rating at the prediction the page's model gives that pair.
    const dots = await page.$$eval('#errors-scatter circle', (cs) => cs.map((c) => ({
      user: Number(c.dataset.user), item: Number(c.dataset.item), actual: Number(c.dataset.actual), predicted: Number(c.dataset.predicted),
    })));
    assert.ok(dots.length >= 100 && dots.length <= 400, `${dots.length} dots`);
    const model = await page.evaluate(([u, i]) => window.wasmBindings.predict_pairs(new Int32Array(u), new Int32Array(i)).then(Array.from),
      [dots.map((d) => d.user), dots.map((d) => d.item)]);
    const gap = Math.max(...dots.map((d, n) => Math.abs(d.predicted - model[n])));
    console.log(`${dots.length} dots; largest gap to the page's model: ${gap}`);
    assert.ok(gap < 1e-5, `the dots are the model's predictions (largest gap ${gap})`);
    assert.ok(dots.every((d) => Number.isInteger(d.actual) && d.actual >= 1 && d.actual <= 5), 'ratings are MovieLens-100k stars');

    // The worst predictions: largest errors first, and none of the dots is worse.
    const worst = await page.$$eval('#errors-worst tr', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent)));
    assert.equal(worst.length, 10);
    const errors = worst.map((r) => Math.abs(Number(r[4])));
    assert.deepEqual(errors, [...errors].sort((a, b) => b - a), 'largest first');
    for (const r of worst) assert.ok(Math.abs(Number(r[3]) - Number(r[2]) - Number(r[4])) < 0.011, `error = prediction - rating: ${r}`);
    const worstDot = Math.max(...dots.map((d) => Math.abs(d.predicted - d.actual)));
    assert.ok(errors[0] >= worstDot - 0.005, `the worst listed (${errors[0]}) is at least the worst dot (${worstDot})`);

    // Cold start: each table puts every validation rating in one bin.
    for (const id of ['errors-users', 'errors-items']) {
      const counts = await page.$$eval(`#${id} tr`, (trs) => trs.map((tr) => tr.cells[1].textContent));
      assert.equal(counts.reduce((s, c) => s + number(c), 0), validCount, id);
    }
    const byRating = await page.$$eval('#errors-by-rating tr', (trs) => trs.map((tr) => tr.cells[1].textContent));
    assert.equal(byRating.reduce((s, c) => s + number(c), 0), validCount);

    await page.locator('#errors').scrollIntoViewIfNeeded();
    console.log(`screenshot ${await screenshot(page.locator('#errors'), 'errors-1280')}`);
    await page.setViewportSize({ width: 390, height: 844 });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `nothing scrolls sideways at 390 px: ${wide}`);
    console.log(`screenshot ${await screenshot(page.locator('#errors'), 'errors-390')}`);
  });
});
