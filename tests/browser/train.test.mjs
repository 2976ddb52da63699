// Section 8-10 on a generated ML-100k-format zip, on WebGPU (SwiftShader) and the CPU:
// one epoch of every model, stepping batches, interpretation, a new user, save/load,
// settings from the URL, training in a worker, and a lost GPU. No test here asserts a
// duration: the main thread's long tasks are figures of the benchmark.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, WEBGPU, MODES, loadReference, loadZip, screenshot, setControl, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

/** The generated data every test here trains on. */
const loadGenerated = (page) => loadZip(page, 200, 150, 11);

/** Types `text` into a user-factor cell of the spreadsheet and waits for it to be taken. */
async function editCell(page, row, col, text) {
  const cell = `#sheet-grid td[data-path="user_factors.weight"][data-row="${row}"][data-col="${col}"]`;
  await page.click(cell);
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await page.waitForFunction(([cell, text]) => document.querySelector(cell).title.startsWith(text), [cell, text]);
}

async function trainToEnd(page) {
  await page.click('#train-start');
  await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
  const rows = await page.$$eval('#train-rows tr', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent)));
  const points = await page.$eval('#train-chart polyline', (p) => p.getAttribute('points').trim().split(/\s+/).map((xy) => Number(xy.split(',')[1])));
  return { rows, points };
}

for (const mode of MODES) {
  test(`one epoch of every model on ${mode.name}`, { timeout: 600_000 }, async () => {
    await withPage(mode, url, async (page) => {
      await loadGenerated(page);
      await page.evaluate(() => {
        window.longTasks = [];
        new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longTasks.push(e.duration); }).observe({ type: 'longtask' });
      });
      await setControl(page, 'train-epochs', '1');
      // With WebGPU, every model trains there (chosen, not raced: the race has its own test).
      await setControl(page, 'train-on', mode === WEBGPU ? 'webgpu' : 'auto');
      for (const model of ['dot', 'dotbias', 'scratch', 'nn', 'embnn']) {
        await setControl(page, 'train-model', model);
        const { rows, points } = await trainToEnd(page);
        assert.equal(rows.length, 1, `${model}: one row per epoch`);
        const [epoch, trainLoss, validLoss] = rows[0].map(Number);
        assert.equal(epoch, 0);
        assert.ok(Number.isFinite(trainLoss) && Number.isFinite(validLoss) && validLoss < 3, `${model}: ${rows[0]}`);
        // The smoothed train loss falls (SVG y grows downwards: later points lower means larger y).
        assert.ok(points.length >= 2 && points.at(-1) > points[0], `${model}: train loss must fall`);
        const where = await page.textContent('#train-device');
        assert.match(where, mode === WEBGPU ? /^WebGPU: / : /^CPU/, `${model} trained on ${where}`);
        console.log(`${mode.name} ${model} (${where}): ${rows[0].join(' | ')}`);
        await page.click('#train-reset');
      }
      // The grid above still takes edits after training.
      await editCell(page, 1, 0, '1.5');
      const longest = await page.evaluate(() => Math.max(0, ...window.longTasks));
      console.log(`${mode.name}: longest main-thread task while training ${longest.toFixed(0)} ms (figure only; the benchmark reports it)`);
      // Training runs in a Web Worker, not on the page's thread (checked by structure, not
      // by a duration: the main thread's longest task is a figure of the benchmark).
      assert.ok(page.workers().some((w) => w.url().endsWith('/worker.js')), `no training worker: ${page.workers().map((w) => w.url())}`);
    });
  });

  test(`stepping, interpretation, a new user, save and load on ${mode.name}`, { timeout: 600_000 }, async () => {
    await withPage(mode, url, async (page) => {
      await loadGenerated(page);
      await setControl(page, 'train-epochs', '2');
      if (mode === WEBGPU) await setControl(page, 'train-on', 'webgpu');
      for (let n = 1; n <= 3; n++) {
        await page.click('#train-step');
        await page.waitForFunction((n) => document.querySelector('#train-batch').textContent.includes(`Step ${n - 1} (epoch 0)`), n, { timeout: 60_000 });
      }
      assert.ok(Number.isFinite(Number(await page.textContent('#train-batch-loss'))));
      assert.match(await page.textContent('#train-batch'), /user row/);
      assert.match(await page.textContent('#train-split'), /#na#/);
      const { rows } = await trainToEnd(page);
      assert.equal(rows.length, 2);
      // A step past the end is refused in words; on WebGPU that is no reason to leave the GPU.
      const where = await page.textContent('#train-device');
      assert.match(where, mode === WEBGPU ? /^WebGPU: / : /^CPU/);
      await page.click('#train-step');
      await page.waitForFunction(() => /fit is complete/.test(document.querySelector('#train-message').textContent));
      assert.equal(await page.textContent('#train-device'), where);
      await page.waitForSelector('#learned[data-state="ready"]', { timeout: 60_000 });
      assert.equal(await page.locator('#bias-low li').count(), 10);
      assert.ok((await page.locator('#map circle').count()) > 10);
      const title = await page.$eval('#bias-high li', (li) => li.firstChild.textContent.trim());
      await page.fill('#similar-query', title);
      await page.click('#similar-go');
      await page.waitForFunction(() => document.querySelectorAll('#similar-list li').length === 10);
      await page.click('#rec-go');
      await page.waitForFunction(() => document.querySelectorAll('#rec-list li').length === 10);
      // A new user from five ratings.
      const selects = page.locator('#rate-list select');
      for (let n = 0; n < 5; n++) await selects.nth(n).selectOption(n % 2 ? '1' : '5');
      await page.click('#you-go');
      await page.waitForFunction(() => document.querySelectorAll('#you-list li').length === 10);
      assert.match(await page.textContent('#you-fit'), /Fitted from 5 ratings/);
      // Overfitting: the same settings with and without weight decay, side by side.
      await page.click('#overfit-run');
      await page.waitForSelector('#overfit[data-state="done"]', { timeout: 240_000 });
      assert.equal(await page.locator('#overfit-charts svg').count(), 2);
      // Save, then load: same predictions.
      const check = await page.textContent('#model-check');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#model-save')]);
      const path = await download.path();
      await page.click('#train-reset');
      await page.setInputFiles('#model-file', path);
      await page.waitForFunction(() => /^Loaded/.test(document.querySelector('#model-message').textContent));
      await page.waitForFunction((c) => document.querySelector('#model-check').textContent === c, check);
      // The loaded model's users stay in the worker that read the file, which answers for
      // the one asked about.
      await page.fill('#rec-user', '1');
      await page.click('#rec-go');
      await page.waitForFunction(() => document.querySelectorAll('#rec-list li').length === 10);
      assert.equal(await page.textContent('#learned-message'), '');
      for (const id of ['train', 'learned', 'you']) await screenshot(page.locator(`#${id}`), `section-${id}-${mode.name}`);
    });
  });
}

test('pause holds the fit where it is, resume goes on, reset starts over', { timeout: 300_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await loadReference(page);
    await setControl(page, 'train-epochs', '40');
    const progress = () => page.$eval('#train-progress', (p) => Number(p.value));
    await page.click('#train-start');
    await page.waitForFunction(() => Number(document.querySelector('#train-progress').value) >= 50, null, { timeout: 60_000 });
    await page.click('#train-start');
    assert.equal(await page.textContent('#train-start'), 'Resume');
    await page.waitForTimeout(300); // a slice already under way may still report
    const paused = await progress();
    await page.waitForTimeout(500);
    assert.equal(await progress(), paused, 'no step while paused');
    assert.ok(paused < Number(await page.getAttribute('#train-progress', 'max')));
    // A step while paused goes on from the same place.
    await page.click('#train-step');
    await page.waitForFunction((p) => document.querySelector('#train-batch').textContent.includes(`Step ${p} `), paused);
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
    assert.equal(await page.locator('#train-rows tr').count(), 40);
    // Train after a finished fit trains a new one from step 0.
    await page.evaluate(() => {
      window.progressSeen = [];
      new MutationObserver(() => window.progressSeen.push(Number(document.querySelector('#train-progress').value)))
        .observe(document.querySelector('#train-progress'), { attributes: true, attributeFilter: ['value'] });
    });
    await page.click('#train-start');
    await page.waitForFunction(() => document.querySelector('#train').dataset.state === 'done' && window.progressSeen.length > 2, null, { timeout: 240_000 });
    const seen = await page.evaluate(() => window.progressSeen);
    assert.equal(Math.min(...seen), 0, 'a new fit starts at step 0');
    assert.equal(seen.at(-1), Number(await page.getAttribute('#train-progress', 'max')));
    await page.click('#train-reset');
    assert.equal(await progress(), 0);
    assert.equal(await page.locator('#train-rows tr').count(), 0);
    assert.equal(await page.textContent('#train-status'), 'Not started.');
  });
});

test('losing the GPU mid-training moves training to the CPU from the last completed step', { timeout: 600_000 }, async () => {
  await withPage(WEBGPU, url, async (page) => {
    await loadGenerated(page);
    await setControl(page, 'train-on', 'webgpu');
    await setControl(page, 'train-epochs', '2');
    await page.click('#train-start');
    await page.waitForFunction(() => /WebGPU/.test(document.querySelector('#train-device').textContent), null, { timeout: 120_000 });
    await page.waitForFunction(() => Number(document.querySelector('#train-progress').value) >= 20, null, { timeout: 120_000 });
    await page.evaluate(() => window.wasmBindings.lose_training_gpu());
    await page.waitForFunction(() => /GPU was lost/.test(document.querySelector('#train-message').textContent), null, { timeout: 120_000 });
    const message = await page.textContent('#train-message');
    console.log(`after the loss: ${message}`);
    const step = Number(message.match(/from step (\d+)/)?.[1]);
    assert.ok(step >= 20, `training must go on from where it was, not from the start: ${message}`);
    await page.waitForFunction(() => /^CPU/.test(document.querySelector('#train-device').textContent), null, { timeout: 60_000 });
    assert.ok(Number(await page.getAttribute('#train-progress', 'value')) >= step, 'the progress bar must not go back');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
    assert.match(await page.textContent('#train-device'), /^CPU/);
    assert.equal(await page.getAttribute('#device', 'data-gpu'), 'no');
    assert.match(await page.textContent('#device'), /no WebGPU for training: the WebGPU device was lost/);
    const rows = await page.$$eval('#train-rows tr', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => Number(c.textContent))));
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => Number.isFinite(r[1]) && Number.isFinite(r[2]) && r[2] < 3), JSON.stringify(rows));
    console.log(`finished on the CPU: ${JSON.stringify(rows)}`);
    // The page's own cells (always on the CPU) still take an edit.
    await editCell(page, 2, 1, '0.25');
  });
});

test('settings in the URL are applied', { timeout: 300_000 }, async () => {
  await withPage(CPU, `${url}?model=embnn&factors=20&epochs=3&lr=0.01&wd=0.05&wdkind=l2&bs=128&seed=7&optim=lazy`, async (page) => {
    const values = await page.$$eval('#train .controls input, #train .controls select', (els) => els.map((e) => e.value));
    assert.deepEqual(values, ['embnn', '20', '3', '0.01', '0.05', 'l2', '128', '7', 'auto', 'lazy']);
    await setControl(page, 'train-epochs', '4');
    assert.match(page.url(), /epochs=4/);
  });
});
