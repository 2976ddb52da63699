// The map as it forms (issue: the map is a still): after a fit, a slider plays the movie
// factors' map epoch by epoch, from the untrained model's to the trained model's, with
// the axes turned to agree so that points move instead of flipping.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, loadZip, screenshot, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

/** The map's dots: item and position. */
const dots = (page) => page.$$eval('#map g[data-item] circle', (cs) => cs.map((c) => [Number(c.closest('g').dataset.item), Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]));
const slide = (page, epoch) => page.$eval('#map-epoch', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input', { bubbles: true })); }, epoch);

test('the map plays back from the untrained model to the trained one, epoch by epoch', { timeout: 600_000 }, async () => {
  await withPage(CPU, `${url}?epochs=3`, async (page) => {
    await loadZip(page, 200, 150, 11);
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 300_000 });
    await page.waitForSelector('#learned[data-state="ready"]', { timeout: 60_000 });
    assert.equal(await page.getAttribute('#map-epochs', 'hidden'), null, 'the slider shows for a model trained here');
    assert.equal(await page.getAttribute('#map-epoch', 'max'), '3', 'the untrained map and one after each of 3 epochs');
    assert.match(await page.textContent('#map-epoch-label'), /^trained: after epoch 2/);

    // The worker's last map is the page's own map of the trained model (each axis up to its sign),
    // and its first is the untrained model's: random factors near zero, so a map far smaller.
    const { frames, trained } = JSON.parse(await page.evaluate(() => window.wasmBindings.map_frames()));
    assert.equal(frames.length, 4);
    const last = frames.at(-1);
    assert.deepEqual(last.map((p) => p[0]), trained.map((p) => p[0]), 'the same movies');
    for (const axis of [1, 2]) {
      const sign = Math.sign(last.reduce((s, p, n) => s + p[axis] * trained[n][axis], 0));
      const gap = Math.max(...last.map((p, n) => Math.abs(sign * p[axis] - trained[n][axis])));
      assert.ok(gap < 1e-4, `axis ${axis}: the last frame is the trained map to ${gap}`);
    }
    const spread = (f) => Math.max(...f.map((p) => Math.max(Math.abs(p[1]), Math.abs(p[2]))));
    console.log(`spread of the map by epoch: ${frames.map((f) => spread(f).toFixed(4)).join(', ')}`);
    assert.ok(spread(frames[0]) < spread(last) / 5, 'the untrained map is the random start, far smaller');

    // Played back: every epoch draws another picture, and the end is the map as it was.
    const atEnd = await dots(page);
    const seen = [];
    for (const epoch of [0, 1, 2, 3]) {
      await slide(page, epoch);
      await page.waitForFunction((e) => document.querySelector('#map-epoch').value === String(e), epoch);
      seen.push(await dots(page));
      if (epoch === 0) {
        assert.match(await page.textContent('#map-epoch-label'), /^untrained/);
        console.log(`screenshot ${await screenshot(page.locator('#learned'), 'map-epoch-0')}`);
      }
    }
    for (let e = 1; e < seen.length; e++) assert.notDeepEqual(seen[e], seen[e - 1], `epoch ${e} moves the map`);
    assert.deepEqual(seen[3], atEnd, 'the slider at its end shows the trained map');
    assert.deepEqual(seen[0].map((d) => d[0]), atEnd.map((d) => d[0]), 'the same movies throughout');
  });
});

test('the weight-decay pair shows its two maps forming side by side, from the same start', { timeout: 900_000 }, async () => {
  await withPage(CPU, `${url}?epochs=3`, async (page) => {
    await loadZip(page, 200, 150, 11);
    assert.equal(await page.getAttribute('#overfit-maps', 'hidden'), '', 'no maps before the pair trains');
    await page.click('#overfit-run');
    await page.waitForSelector('#overfit[data-state="done"]', { timeout: 600_000 });
    assert.equal(await page.getAttribute('#overfit-maps', 'hidden'), null);
    assert.equal(await page.getAttribute('#overfit-map-epoch', 'max'), '3');
    const maps = () => page.evaluate(() => ['low', 'high'].map((id) => document.querySelector(`#overfit-map-${id}`).innerHTML));
    const [low, high] = await maps();
    assert.equal((low.match(/<circle/g) ?? []).length, 50, 'the 50 most rated movies');
    assert.notEqual(low, high, 'trained with other weight decays, the maps differ');
    const slideTo = (v) => page.$eval('#overfit-map-epoch', (e, v) => { e.value = String(v); e.dispatchEvent(new Event('input', { bubbles: true })); }, v);
    await slideTo(0);
    await page.waitForFunction(() => /^untrained/.test(document.querySelector('#overfit-map-label').textContent));
    const [low0, high0] = await maps();
    assert.equal(low0, high0, 'the same seed: the same random start');
    assert.notEqual(low0, low);
    await slideTo(2);
    await page.waitForFunction(() => document.querySelector('#overfit-map-label').textContent === 'after epoch 1');
    console.log(`screenshot ${await screenshot(page.locator('#overfit'), 'overfit-maps')}`);
  });
});
