// The page as a teacher would publish it (CPU fallback): served under a sub-path, sent
// compressed, and usable offline after one visit, with the data the visitor loaded kept
// in the browser.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, loadZip, sheetReady, startServer, withPage } from './harness.mjs';

const root = await startServer();
const sub = await startServer(undefined, '/some/sub/path/');
after(() => {
  root.server.close();
  sub.server.close();
});

test('the page works end to end under a sub-path, its module sent compressed', { timeout: 600_000 }, async () => {
  await withPage(CPU, `${sub.url}?epochs=1`, async (page) => {
    await page.waitForSelector('#proof[data-state="done"]', { timeout: 200_000 });
    await loadZip(page, 60, 40, 3);
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
    const wasm = page.responses.find((r) => r.url.endsWith('.wasm'));
    assert.ok(wasm, `the module was fetched: ${page.responses.map((r) => r.url).join(', ')}`);
    assert.ok(wasm.url.startsWith(sub.url), `from under the sub-path: ${wasm.url}`);
    assert.ok(['br', 'gzip'].includes(wasm.encoding), `sent compressed: ${wasm.encoding}`);
  }, { watch: true });
});

test('after one visit the page opens offline and offers the data loaded before', { timeout: 600_000 }, async () => {
  await withPage(CPU, root.url, async (page) => {
    await page.evaluate(() => navigator.serviceWorker.ready);
    await loadZip(page, 60, 40, 3);
    assert.match(await page.textContent('#data-kept'), /^Load again: ml-100k\.zip/);
    await page.context().setOffline(true);
    await page.reload();
    await page.waitForSelector('#proof[data-state="done"]', { timeout: 200_000 });
    await sheetReady(page);
    await page.waitForFunction(() => /^Load again: ml-100k\.zip/.test(document.querySelector('#data-kept').textContent));
    assert.match(await page.textContent('#data-label'), /demo table/, 'a reload starts from the demo table');
    await page.click('#data-kept');
    await page.waitForFunction(() => /^Loaded your file ml-100k\.zip/.test(document.querySelector('#data-progress').textContent));
    assert.match(await page.textContent('#data-label'), /60 users, 40 movies/);
  });
});
