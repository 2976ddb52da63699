// The runs table: every fit of section 8 and every series of sheet steps is kept with
// its settings and losses, drawn on one chart, restored in one click or by its link, and
// still there after a reload (the browser keeps it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, loadZip, screenshot, setControl, sheetReady, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

/** Every row of the runs table, as the visitor reads it. */
const rows = (page) =>
  page.$$eval('#runs-rows tr', (trs) =>
    trs.map((tr) => {
      const text = (selector) => tr.querySelector(selector).textContent.trim();
      return {
        number: Number(tr.dataset.run),
        where: text('.where'),
        model: text('.model'),
        settings: text('.settings'),
        device: text('.device'),
        train: text('td.train-loss'),
        valid: text('td.valid-loss'),
        state: text('td.state'),
        link: tr.querySelector('a').getAttribute('href'),
        shown: tr.querySelector('input[data-show]').checked,
      };
    }));

/** Trains section 8 to the end and returns its last epoch's valid loss as fastai's table prints it. */
async function fit(page) {
  await page.click('#train-start');
  await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
  return page.$eval('#train-rows tr:last-child td:nth-child(3)', (td) => td.textContent);
}

const values = (page, ids) => page.evaluate((ids) => ids.map((id) => document.getElementById(id).value), ids);
const TRAIN = ['train-model', 'train-epochs', 'train-lr', 'train-wd', 'train-bs', 'train-seed', 'train-on'];

test('each fit and sheet series is a run with its losses; restore, its link and a reload bring it back', { timeout: 600_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await loadZip(page, 300, 200, 7);
    assert.match(await page.textContent('#runs-status'), /^No runs yet/);
    await setControl(page, 'train-on', 'cpu');
    await setControl(page, 'train-epochs', '2');
    await setControl(page, 'train-lr', '0.01');
    const first = await fit(page);
    const wanted = await values(page, TRAIN);
    await page.waitForFunction(() => document.querySelector('#runs-rows tr td.valid-loss')?.textContent !== '—');
    let table = await rows(page);
    assert.equal(table.length, 1);
    assert.deepEqual(
      [table[0].number, table[0].where, table[0].model, table[0].device, table[0].state],
      [1, 'section 8', 'DotProductBias', 'CPU', 'done'],
    );
    assert.equal(Number(table[0].valid).toFixed(4), Number(first).toFixed(4), 'the run holds the fit\'s last valid loss');
    assert.match(table[0].settings, /^50 factors, 2 epochs, lr 0\.01, wd 0\.1 \(decoupled\), batch 64, seed 42$/);

    // A second fit with other settings is a second run; the first keeps its numbers.
    await setControl(page, 'train-epochs', '1');
    await setControl(page, 'train-wd', '0.01');
    const second = await fit(page);
    await page.waitForFunction(() => document.querySelectorAll('#runs-rows tr').length === 2);
    await page.waitForFunction(() => document.querySelector('#runs-rows tr[data-run="2"] td.valid-loss').textContent !== '—');
    table = await rows(page);
    assert.deepEqual(table.map((r) => r.number), [2, 1], 'the newest first');
    assert.equal(Number(table[0].valid).toFixed(4), Number(second).toFixed(4));
    assert.equal(Number(table[1].valid).toFixed(4), Number(first).toFixed(4));

    // Both are drawn on the one chart, each with the losses the table gives.
    const drawn = await page.$$eval('#runs-chart g.run', (gs) => gs.map((g) => ({ run: Number(g.dataset.run), valid: JSON.parse(g.dataset.valid) })));
    assert.deepEqual(drawn.map((d) => d.run), [1, 2]);
    assert.deepEqual(drawn[0].valid.map((p) => p[0]), [1, 2], 'run 1: a valid loss at the end of each of its 2 epochs');
    assert.equal(drawn[0].valid.at(-1)[1].toFixed(4), Number(first).toFixed(4));
    assert.equal(drawn[1].valid.at(-1)[1].toFixed(4), Number(second).toFixed(4));
    const labels = await page.$$eval('#runs-chart > text', (ts) => ts.map((t) => t.textContent));
    assert.ok(labels.includes('MSE (log scale)') && labels.some((l) => l.startsWith('epochs')), `axes labelled: ${labels}`);

    // A step of the sheet is a run of its own, with the sheet's loss.
    await page.click('#sheet-step');
    await page.waitForFunction(() => document.querySelector('#sheet-steps').textContent === '1');
    await page.waitForFunction(() => document.querySelectorAll('#runs-rows tr').length === 3);
    table = await rows(page);
    assert.equal(table[0].where, 'sheet');
    assert.equal(table[0].train, await page.textContent('#sheet-mse'), "the sheet run's loss is the sheet's MSE");
    await screenshot(page.locator('#runs'), 'runs-1280');

    // Unticked, a run leaves the chart.
    await page.click('#runs-rows input[data-show="2"]');
    await page.waitForFunction(() => !document.querySelector('#runs-chart g.run[data-run="2"]'));
    assert.equal(await page.$eval('#runs-rows input[data-show="2"]', (i) => i.checked), false);

    // Restore puts run 1's settings back into section 8's fields and the address.
    await page.click('#runs-rows button[data-restore="1"]');
    await page.waitForFunction(() => document.querySelector('#runs-status').textContent.includes("Run 1's settings are back in section 8's controls."));
    assert.deepEqual(await values(page, TRAIN), wanted);
    assert.equal(new URL(page.url()).searchParams.get('epochs'), '2');
    assert.equal(new URL(page.url()).searchParams.get('wd'), '0.1');

    // Its link opens the page with those settings, and the runs are still there after the reload.
    const link = table.find((r) => r.number === 1).link;
    await setControl(page, 'train-epochs', '4');
    await page.goto(new URL(link, url).href);
    await sheetReady(page);
    await page.waitForFunction(() => document.querySelectorAll('#runs-rows tr').length === 3);
    assert.deepEqual(await values(page, TRAIN), wanted, 'the link sets every field');
    const kept = await rows(page);
    assert.deepEqual(kept.map((r) => [r.number, r.where, r.valid, r.shown]), table.map((r) => [r.number, r.where, r.valid, r.number !== 2]));
    assert.ok(kept.every((r) => r.state !== 'running'));
    assert.equal(await page.$$eval('#runs-chart g.run', (gs) => gs.length), 2, 'what was ticked is still ticked');

    // Forgotten, they are gone from the page and from the browser.
    await page.click('#runs-forget');
    await page.waitForFunction(() => document.querySelectorAll('#runs-rows tr').length === 0);
    await page.reload();
    await sheetReady(page);
    assert.match(await page.textContent('#runs-status'), /^No runs yet/);
  });
});

test('the runs at 390 px: each run a card on screen, the page does not scroll sideways, and the chart text is at least 11 px', { timeout: 300_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await page.click('#sheet-step');
    await page.waitForFunction(() => document.querySelector('#sheet-steps').textContent === '1');
    await page.click('#sheet-step');
    await page.waitForFunction(() => document.querySelector('#sheet-steps').textContent === '2');
    await page.waitForSelector('#runs-chart g.run');
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'no sideways scrolling of the page');
    // Each run is a card: every figure on screen, with its label.
    const cut = await page.$$eval('#runs-rows td', (tds) => tds.filter((td) => td.getBoundingClientRect().right > innerWidth + 0.5).length);
    assert.equal(cut, 0, 'every cell of the runs within the screen');
    assert.equal(await page.$eval('#runs-rows td.valid-loss', (td) => getComputedStyle(td, '::before').content), '"valid loss: "');
    const sizes = await page.$$eval('#runs-chart text', (ts) => ts.map((t) => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a));
    assert.ok(Math.min(...sizes) >= 11, `chart text ${Math.min(...sizes)} px`);
    await screenshot(page.locator('#runs'), 'runs-390');
  }, { width: 390, height: 844 });
});
