// Sections 2, 4-7: hand-set factors, one-hot lookup against embedding gather, bias and
// weight decay, on WebGPU (SwiftShader) and on the CPU. Screenshots of every section.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, screenshot, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

for (const mode of MODES) {
  test(`teaching cells compute on ${mode.name}`, { timeout: 300_000 }, async () => {
    await withPage(mode, url, async (page) => {

      // Hand-set factors: the match is the dot product of the visible numbers.
      await page.fill('#user-0', '2');
      await page.waitForFunction(() => document.querySelector('#factors-match-0').textContent === (2 * 0.98 + 0.8 * 0.9 - 0.6 * 0.6).toFixed(3));
      await page.fill('#user-1', 'x');
      await page.waitForFunction(() => /is not a number/.test(document.querySelector('#factors-message').textContent));

      // One-hot product and lookup give identical numbers.
      await page.waitForSelector('#lookup[data-state="ready"]', { timeout: 60_000 });
      assert.equal(await page.textContent('#lookup-same'), 'identical');
      assert.equal(await page.textContent('#lookup-pred-product'), await page.textContent('#lookup-pred-index'));
      assert.equal(await page.textContent('#lookup-loss-product'), await page.textContent('#lookup-loss-index'));
      assert.equal(await page.locator('#lookup-user tr.hit').count(), 1, 'one surviving user row');
      // The product walked row by row: three rows by hand, then played to the end, where the
      // sums are the rows the lookup fetched.
      for (let n = 0; n < 3; n++) await page.click('#lookup-next');
      assert.equal(await page.locator('#lookup-user tr.current').count(), 1);
      assert.match(await page.textContent('#lookup-walk-note'), /^user row 2: the one-hot value is [01]/);
      assert.match(await page.textContent('#lookup-user tfoot'), /sum of rows 0 to 2 so far/);
      assert.match(await page.textContent('#lookup-item tfoot'), /no row yet/);
      assert.equal(await page.locator('#lookup-item tr.current').count(), 0);
      await page.click('#lookup-play');
      await page.waitForSelector('#lookup[data-walk="done"]', { timeout: 60_000 });
      assert.match(await page.textContent('#lookup-walk-note'), /^Done: \d+ rows were multiplied by 0/);
      for (const what of ['user', 'item']) {
        const sums = await page.$$eval(`#lookup-${what} tfoot td`, (tds) => tds.map((td) => td.textContent).join(', '));
        assert.equal(sums, await page.textContent(`#lookup-${what}-index`), `${what}: the product's sums are the looked-up row`);
      }
      const option = await page.$eval('#lookup-pick', (s) => s.options[3].value);
      await page.selectOption('#lookup-pick', option);
      const [u, i] = option.split(':');
      await page.click('#lookup-step');
      await page.waitForFunction(() => document.querySelector('#lookup-moved').textContent.length > 0, null, { timeout: 60_000 });
      assert.match(await page.textContent('#lookup-moved'), new RegExp(`user rows \\[${u}\\] and movie rows \\[${i}\\] changed`));

      // Bias: on the ratings held out, the model with biases predicts better.
      await page.click('#bias-compare');
      await page.waitForSelector('#bias[data-state="done"]', { timeout: 200_000 });
      const without = Number(await page.textContent('#bias-without'));
      const withBias = Number(await page.textContent('#bias-with'));
      assert.ok(Number.isFinite(without) && Number.isFinite(withBias), `${without} ${withBias}`);
      assert.ok(withBias < without, `held-out RMSE with biases ${withBias} should beat ${without} without`);

      // Weight decay: the loss splits into MSE + wd * sum(w^2).
      await page.fill('#sheet-wd', '0.01');
      await page.dispatchEvent('#sheet-wd', 'change');
      await page.waitForFunction(() => Number(document.querySelector('#wd-l2').textContent) > 0, null, { timeout: 60_000 });
      const mse = Number(await page.textContent('#wd-mse'));
      const l2 = Number(await page.textContent('#wd-l2'));
      assert.ok(Math.abs(Number(await page.textContent('#wd-total')) - (mse + l2)) < 2e-4);
      await page.click('#sheet-grid td[data-path="item_factors.weight"][data-row="0"][data-col="0"]');
      await page.click('#sheet-step');
      await page.waitForFunction(() => /weight-decay part/.test(document.querySelector('#wd-detail').textContent), null, { timeout: 60_000 });

      for (const id of ['proof', 'data', 'factors', 'sheet', 'lookup', 'bias', 'decay']) {
        await screenshot(page.locator(`#${id}`), `section-${id}-${mode.name}`);
      }
      console.log(`${mode.name}: RMSE without bias ${without}, with ${withBias}; screenshots saved`);
    });
  });
}
