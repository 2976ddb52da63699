// Where the page follows the book (CPU fallback): the overfitting comparison is the
// book's pair and shows the effect, each model starts at the book's weight decay, the
// book's first model (DotProduct without sigmoid_range) trains, and the map is the
// book's 50 titles.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, loadZip, loadZipBytes, setControl, sheetReady, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

test("the overfitting comparison shows the book's effect: the default decay overfits, more decay does better", { timeout: 600_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await loadZipBytes(page, await page.evaluate(() => Array.from(window.wasmBindings.overfit_ml100k_zip())));
    await page.click('#overfit-run');
    await page.waitForSelector('#overfit[data-state="done"]', { timeout: 400_000 });
    const charts = await page.$$eval('#overfit-charts svg', (svgs) => svgs.map((s) => ({
      label: s.getAttribute('aria-label'),
      train: s.dataset.train.split(' ').map(Number),
      valid: s.dataset.valid.split(' ').map(Number),
    })));
    console.log(JSON.stringify(charts));
    const [base, more] = charts;
    assert.equal(base.label, "fastai's default weight decay 0.01");
    assert.equal(more.label, 'weight decay 0.1');
    assert.equal(base.valid.length, 5);
    const last = base.valid.length - 1;
    assert.ok(more.valid[last] < base.valid[last], `more decay ends lower: ${more.valid[last]} vs ${base.valid[last]}`);
    assert.ok(base.valid[last] > base.valid[last - 2], `the default's valid loss rises over its last epochs: ${base.valid}`);
    assert.ok(base.train[last] < base.train[last - 2], `while its train loss falls: ${base.train}`);
  });
});

test("each model starts at the book's weight decay; the book's first model trains; the map has the book's 50 titles", { timeout: 600_000 }, async () => {
  await withPage(CPU, `${url}?epochs=1`, async (page) => {
    await loadZip(page, 200, 150, 11);
    await setControl(page, 'train-model', 'nn');
    assert.equal(await page.inputValue('#train-wd'), '0.01');
    assert.match(page.url(), /wd=0\.01/);
    await setControl(page, 'train-model', 'dotraw');
    assert.equal(await page.inputValue('#train-wd'), '0.1');
    await page.click('#train-start');
    await page.waitForSelector('#learned[data-state="ready"]', { timeout: 240_000 });
    const valid = Number(await page.$eval('#train-rows tr td:nth-child(3)', (td) => td.textContent));
    assert.ok(Number.isFinite(valid), `DotProduct without sigmoid_range trains: ${valid}`);
    assert.equal(await page.locator('#map circle').count(), 50);
  });
});

test('a model named in the URL starts at its book weight decay unless the URL gives one', { timeout: 300_000 }, async () => {
  await withPage(CPU, `${url}?model=nn`, async (page) => {
    assert.equal(await page.inputValue('#train-wd'), '0.01');
    await page.goto(`${url}?model=nn&wd=0.2`);
    await sheetReady(page);
    assert.equal(await page.inputValue('#train-wd'), '0.2');
  });
});
