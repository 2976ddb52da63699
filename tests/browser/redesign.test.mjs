// The bugs the page's old shape bred, each driven as a visitor would (CPU fallback):
// a worker that dies under the overfitting comparison, an edit then a lookup step then
// Step, one lookup computation per change, a model change that must clear every view of
// the old model, a settings change while paused, and a page that must not scroll or
// grab focus on load.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, loadReference, loadZip, setControl, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

const mse = (page) => page.textContent('#sheet-mse');

test('a worker that dies during the overfitting comparison stops it in words, and training works after', { timeout: 600_000 }, async () => {
  await withPage(CPU, `${url}?epochs=30`, async (page) => {
    await loadZip(page, 200, 150, 11);
    await page.click('#overfit-run');
    await page.waitForFunction(() => /step [1-9]/.test(document.querySelector('#overfit-status').textContent), null, { timeout: 60_000 });
    await page.evaluate(() => window.wasmBindings.crash_training_worker());
    await page.waitForSelector('#overfit[data-state="stopped"]', { timeout: 60_000 });
    assert.match(await page.textContent('#overfit-status'), /^The training worker stopped \(.*\); compare again to start over\.$/);
    assert.doesNotMatch(await page.textContent('#overfit-status'), /Training both/);
    // The restarted worker trains.
    await setControl(page, 'train-epochs', '1');
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
  }, { allow: /worker crashed \(a test hook\)/ }); // the crash itself is the one error the browser reports
});

test('an edit, a step on one rating and Step count as steps of one sheet; each change computes the lookup once', { timeout: 300_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await page.waitForSelector('#lookup[data-state="ready"]', { timeout: 60_000 });
    const count = () => page.evaluate(() => window.wasmBindings.lookup_computations());
    const before = await count();
    const shown = await page.textContent('#lookup-pred-index');
    const cell = '#sheet-grid td[data-path="user_factors.weight"][data-row="0"][data-col="0"]';
    await page.click(cell);
    await page.keyboard.type('1.75');
    await page.keyboard.press('Enter');
    await page.waitForFunction((c) => document.querySelector(c).title.startsWith('1.75'), cell);
    await page.waitForFunction((old) => document.querySelector('#lookup-pred-index').textContent !== old, shown, { timeout: 60_000 });
    await page.waitForTimeout(300);
    assert.equal((await count()) - before, 1, 'one lookup computation for one edit');
    // A step on the picked rating, then Step: two steps, two points of loss.
    let old = await mse(page);
    await page.click('#lookup-step');
    await page.waitForFunction(() => document.querySelector('#lookup-moved').textContent.length > 0, null, { timeout: 60_000 });
    await page.waitForFunction((o) => document.querySelector('#sheet-mse').textContent !== o, old, { timeout: 60_000 });
    assert.equal(await page.textContent('#sheet-steps'), '1');
    old = await mse(page);
    await page.click('#sheet-step');
    await page.waitForFunction((o) => document.querySelector('#sheet-mse').textContent !== o, old, { timeout: 60_000 });
    assert.equal(await page.textContent('#sheet-steps'), '2');
    assert.equal((await page.$$('#sheet-chart polyline')).length, 1, 'two losses make a line');
  });
});

test('a new model clears every view of the old one', { timeout: 600_000 }, async () => {
  await withPage(CPU, `${url}?epochs=1&model=dotbias`, async (page) => {
    await loadZip(page, 200, 150, 11);
    await page.click('#train-start');
    await page.waitForSelector('#learned[data-state="ready"]', { timeout: 240_000 });
    await page.fill('#rec-user', '1');
    await page.click('#rec-go');
    await page.waitForFunction(() => document.querySelectorAll('#rec-list li').length === 10);
    // Another user that does not exist: the old list goes, the reason shows.
    await page.fill('#rec-user', 'nobody');
    await page.click('#rec-go');
    await page.waitForFunction(() => /not in the training data/.test(document.querySelector('#learned-message').textContent));
    assert.equal(await page.locator('#rec-list li').count(), 0, "user 1's list does not stay under another user");
    await page.click('#rec-go');
    await page.fill('#rec-user', '1');
    await page.click('#rec-go');
    await page.waitForFunction(() => document.querySelectorAll('#rec-list li').length === 10);
    await page.locator('#rate-list select').first().selectOption('5');
    await page.click('#you-go');
    await page.waitForFunction(() => document.querySelectorAll('#you-list li').length === 10);
    // Now EmbeddingNN: nothing of DotProductBias may stay on screen.
    await page.click('#train-reset');
    await setControl(page, 'train-model', 'embnn');
    await page.click('#train-start');
    await page.waitForSelector('#learned[data-state="neural"]', { timeout: 240_000 });
    for (const list of ['#bias-low li', '#bias-high li', '#map circle', '#rec-list li', '#similar-list li', '#you-list li', '#avg-list li', '#rate-list select']) {
      assert.equal(await page.locator(list).count(), 0, `${list} is cleared`);
    }
    assert.match(await page.textContent('#learned-message'), /neural network/);
    assert.equal(await page.textContent('#you-fit'), '');
    assert.ok((await page.textContent('#model-check')).length > 0, 'the save/load check is of the new model');
  });
});

test('changing a setting while paused keeps the paused fit and says so', { timeout: 600_000 }, async () => {
  await withPage(CPU, `${url}?epochs=40`, async (page) => {
    await loadReference(page);
    await page.click('#train-start');
    await page.waitForFunction(() => Number(document.querySelector('#train-progress').value) >= 50, null, { timeout: 60_000 });
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="paused"]');
    await page.waitForTimeout(300);
    const paused = Number(await page.getAttribute('#train-progress', 'value'));
    await setControl(page, 'train-lr', '0.02');
    assert.match(await page.textContent('#train-message'), /^The fit under way keeps its settings \(dotbias, 40 epochs, lr 0\.005/);
    assert.equal(await page.getAttribute('#train', 'data-state'), 'paused');
    assert.equal(await page.textContent('#train-start'), 'Resume');
    assert.equal(await page.textContent('#train-status'), `Paused at step ${paused} of ${await page.getAttribute('#train-progress', 'max')}.`);
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
    assert.equal(await page.locator('#train-rows tr').count(), 40, 'the paused fit went on to its end');
  });
});

for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
  test(`on load the page stays at the top and leaves focus alone (${viewport.width} px)`, { timeout: 300_000 }, async () => {
    await withPage(CPU, url, async (page) => {
      await page.waitForSelector('#lookup[data-state="ready"]', { timeout: 60_000 });
      await page.waitForSelector('#proof[data-state="done"]', { timeout: 60_000 });
      await page.waitForTimeout(500);
      assert.equal(await page.evaluate(() => window.scrollY), 0);
      assert.equal(await page.evaluate(() => document.activeElement.closest('#sheet-grid') === null), true, 'focus is not in the grid');
    }, viewport);
  });
}
