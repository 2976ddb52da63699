// The spreadsheet and the data section, driven like a visitor would, on WebGPU
// (SwiftShader) and on the CPU. Expected numbers are recomputed here from the factors the
// page shows (each factor cell's title holds its full value).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, screenshot, sheetReady, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

/** The sheet's numbers as the page shows them. */
async function readSheet(page) {
  return page.evaluate(() => {
    const nums = {};
    for (const td of document.querySelectorAll('#sheet-grid td.num')) {
      const key = `${td.dataset.path}:${td.dataset.row}:${td.dataset.col}`;
      nums[key] = Number(td.title.split(';')[0]);
    }
    const preds = [];
    for (const td of document.querySelectorAll('#sheet-grid td.rated, #sheet-grid td.unrated')) {
      preds.push({ label: td.getAttribute('aria-label'), text: td.querySelector('.pred')?.textContent ?? td.textContent });
    }
    return { nums, preds, mse: Number(document.querySelector('#sheet-mse').textContent) };
  });
}


async function settle(page, previousMse) {
  await page.waitForFunction((old) => document.querySelector('#sheet-mse').textContent !== old, String(previousMse), { timeout: 60_000 });
}

for (const mode of MODES) {
  test(`spreadsheet edits, steps and refuses bad input on ${mode.name}`, { timeout: 300_000 }, async () => {
    await withPage(mode, url, async (page) => {
      const before = await readSheet(page);
      const k = 5;
      // The first user's first factor: click it, type a new value, Enter.
      const cell = page.locator('#sheet-grid td[data-path="user_factors.weight"][data-row="0"][data-col="0"]');
      await cell.click();
      await page.keyboard.type('2.5');
      await page.keyboard.press('Enter');
      await settle(page, before.mse.toFixed(4));
      const edited = await readSheet(page);
      assert.equal(edited.nums['user_factors.weight:0:0'], 2.5);
      // Row 0's predictions are the new dot products; other rows did not move.
      const dot = (u, i) => Array.from({ length: k }, (_, f) => edited.nums[`user_factors.weight:${u}:${f}`] * edited.nums[`item_factors.weight:${i}:${f}`]).reduce((a, b) => a + b);
      const nItems = 15;
      for (let i = 0; i < nItems; i++) {
        assert.ok(Math.abs(Number(edited.preds[i].text) - dot(0, i)) < 0.006, `user 0, movie ${i}: ${edited.preds[i].text} vs ${dot(0, i)}`);
      }
      for (let j = nItems; j < edited.preds.length; j++) assert.equal(edited.preds[j].text, before.preds[j].text);
      assert.notEqual(edited.mse, before.mse);

      // Invalid text is refused, with a message, and nothing changes.
      const other = page.locator('#sheet-grid td[data-path="item_factors.weight"][data-row="3"][data-col="2"]');
      await other.click();
      await page.keyboard.type('abc');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /is not a number/.test(document.querySelector('#sheet-message').textContent));
      for (const bad of ['NaN', 'inf']) {
        await other.click();
        await page.keyboard.type(bad);
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => /is not a finite number/.test(document.querySelector('#sheet-message').textContent));
      }
      const refused = await readSheet(page);
      assert.deepEqual(refused.nums, edited.nums);
      assert.equal(refused.mse, edited.mse);

      // Step lowers the loss on the demo table.
      await page.click('#sheet-step');
      await settle(page, edited.mse.toFixed(4));
      const stepped = await readSheet(page);
      assert.ok(stepped.mse < edited.mse, `Step must lower the loss: ${edited.mse} -> ${stepped.mse}`);
      assert.equal(await page.textContent('#sheet-steps'), '1');
      const shaded = await page.locator('#sheet-grid td.num[style*="background"]').count();
      assert.ok(shaded > 0, 'gradients are shown after a step');

      // Keyboard: arrows move the cursor, Escape cancels an edit.
      await cell.click();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Enter');
      await page.keyboard.type('9');
      await page.keyboard.press('Escape');
      assert.equal((await readSheet(page)).nums['user_factors.weight:0:1'], stepped.nums['user_factors.weight:0:1']);
      console.log(`${mode.name}: MSE ${before.mse} -> edit ${edited.mse} -> step ${stepped.mse}; ${await screenshot(page.locator('#sheet'), `sheet-${mode.name}`)}`);
    });
  });

  test(`loading a generated ml-100k.zip through the file input on ${mode.name}`, { timeout: 300_000 }, async () => {
    await withPage(mode, url, async (page) => {
      const zip = await page.evaluate(() => Array.from(window.wasmBindings.synth_ml100k_zip(60, 40, 5)));
      await page.setInputFiles('#data-file', { name: 'ml-100k.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
      await page.waitForFunction(() => /^Loaded your file ml-100k\.zip/.test(document.querySelector('#data-progress').textContent));
      assert.match(await page.textContent('#data-label'), /60 users, 40 movies/);
      await sheetReady(page);
      // A broken file is refused and the loaded data stays.
      await page.setInputFiles('#data-file', { name: 'u.data', mimeType: 'text/plain', buffer: Buffer.from('1\t2\t3\n') });
      await page.waitForFunction(() => document.querySelector('#data-progress').dataset.state === 'error');
      assert.match(await page.textContent('#data-progress'), /u\.data, line 1: expected 4 fields/);
      assert.match(await page.textContent('#data-label'), /60 users, 40 movies/);
      console.log(`${mode.name}: ${await screenshot(page.locator('#data'), `data-${mode.name}`)}`);
    });
  });
}
