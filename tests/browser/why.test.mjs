// Section 9's "why?": a recommended movie's prediction written out term by term. The
// terms the page shows are added up again here and must give the score the list shows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, loadZip, screenshot, setControl, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

/** Trains DotProductBias on generated data and asks for user 1's recommendations. */
async function recommendations(page) {
  await loadZip(page, 150, 120, 5);
  await setControl(page, 'train-on', 'cpu');
  await setControl(page, 'train-epochs', '3');
  await page.click('#train-start');
  await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
  await page.waitForSelector('#learned[data-state="ready"]', { timeout: 60_000 });
  await page.fill('#rec-user', '1');
  await page.click('#rec-go');
  await page.waitForSelector('#rec-list button.why');
}

test("why?: each factor's product, the biases and sigmoid_range add up to the recommendation's score", { timeout: 400_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await recommendations(page);
    for (const n of [0, 4]) {
      const li = page.locator('#rec-list li').nth(n);
      const score = Number(await li.locator('.note').textContent());
      await li.locator('button.why').click();
      await page.waitForFunction((k) => document.querySelectorAll('#rec-list button.why')[k].getAttribute('aria-pressed') === 'true', n);
      const shown = await page.$eval('#rec-why', (why) => {
        // Each number is a float32 written in its shortest form: read back as that float32.
        const value = (el) => Math.fround(Number(el.dataset.value));
        const products = [...why.querySelectorAll('tr.product')].map((tr) => [...tr.querySelectorAll('td[data-value]')].map(value));
        const foot = [...why.querySelectorAll('tfoot td[data-value]')].map(value);
        return { title: why.querySelector('h4').textContent, products, foot, prediction: value(why.querySelector('#why-prediction')), closest: why.querySelectorAll('ol li').length };
      });
      const [dot, userBias, itemBias, total] = shown.foot;
      console.log(`${shown.title}: ${shown.products.length} factors, dot ${dot}, biases ${userBias} ${itemBias}, sum ${total}, prediction ${shown.prediction}, list ${score}`);
      assert.equal(shown.products.length, 50, 'one row per factor');
      for (const [user, movie, product] of shown.products) {
        assert.equal(product, Math.fround(user * movie), 'each product is the user factor times the movie factor');
      }
      const sum = shown.products.reduce((s, p) => s + p[2], 0);
      assert.ok(Math.abs(sum - dot) < 1e-5, `the products add up to the dot product: ${sum} against ${dot}`);
      assert.ok(Math.abs(dot + userBias + itemBias - total) < 1e-5, 'with the biases, to the sum');
      const squashed = 5.5 / (1 + Math.exp(-total));
      assert.ok(Math.abs(squashed - shown.prediction) < 1e-5, `sigmoid_range(0, 5.5) of the sum is the prediction: ${squashed}`);
      assert.ok(Math.abs(shown.prediction - score) <= 5e-4, `the prediction is the list's score: ${shown.prediction} against ${score}`);
      assert.equal(shown.closest, 3, "three of the user's own movies beside it");
    }
    await screenshot(page.locator('#rec-why'), 'why-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'no sideways scrolling at 390 px');
    await screenshot(page.locator('#rec-why'), 'why-390');
  });
});
