// What a student reads (issue: teach better than the notebook): no false sums, every term
// of a prediction shown, the real sparsity, Adam's step explained, the neural models'
// sizes; the page works by keyboard and on a phone. Screenshots of every section at 1280
// and 390 pixels wide land in tests/output/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, loadZip, screenshot, setControl, sheetReady, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());
const SECTIONS = ['proof', 'data', 'factors', 'sheet', 'lookup', 'bias', 'decay', 'train', 'learned', 'you'];

test('the decoupled view shows no false sum and the lookup shows every term of its prediction', { timeout: 240_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    // Biases and sigmoid_range on: the lookup's prediction is its shown terms.
    await page.check('#sheet-bias');
    await page.check('#sheet-range');
    await page.waitForFunction(() => /sigmoid_range squashes/.test(document.querySelector('#lookup-terms').textContent), null, { timeout: 60_000 });
    const terms = await page.textContent('#lookup-terms');
    const userRow = (await page.textContent('#lookup-user-index')).split(', ').map(Number);
    const itemRow = (await page.textContent('#lookup-item-index')).split(', ').map(Number);
    const dot = userRow.reduce((s, u, f) => s + u * itemRow[f], 0);
    const [shownDot] = terms.match(/user row · movie row = (-?[\d.]+)/).slice(1).map(Number);
    assert.ok(Math.abs(shownDot - dot) < 5e-3, `the dot of the rows shown (3 decimals each): ${dot} vs ${terms}`);
    const [, ub, ib, x] = terms.match(/user bias (-?[\d.]+) \+ movie bias (-?[\d.]+) = (-?[\d.]+)/).map(Number);
    assert.ok(Math.abs(shownDot + ub + ib - x) < 2e-4, terms);
    const pred = Number(await page.textContent('#lookup-pred-product'));
    assert.ok(Math.abs(5.5 / (1 + Math.exp(-x)) - pred) < 2e-3, `prediction ${pred} = 5.5·σ(${x}): ${terms}`);
    // The focused cell's formula: a rating as a sum of products; a factor's gradient.
    await page.click('#sheet-grid td.rated');
    await page.waitForFunction(() => /SUMPRODUCT/.test(document.querySelector('#sheet-formula').textContent));
    const formula = await page.textContent('#sheet-formula');
    const products = [...formula.split('SUMPRODUCT = ')[1].split(' = ')[0].matchAll(/(-?[\d.]+)×(-?[\d.]+)/g)];
    const [, sum] = formula.match(/SUMPRODUCT = [^=]+ = (-?[\d.]+)/);
    assert.ok(Math.abs(products.reduce((s, [, a, b]) => s + a * b, 0) - Number(sum)) < 5e-3, formula);
    assert.match(formula, /Rated [\d.]+: error/);
    await page.click('#sheet-grid td[data-path="user_factors.weight"][data-row="0"][data-col="0"]');
    await page.waitForFunction(() => /∂MSE\/∂w = 2\/\d+ × \[/.test(document.querySelector('#sheet-formula').textContent));
    console.log(`formula: ${formula} | ${await page.textContent('#sheet-formula')}`);
    // Decoupled decay: no sum that does not add up.
    await setControl(page, 'sheet-wd', '0.1');
    await setControl(page, 'sheet-wdkind', 'decoupled');
    await page.waitForFunction(() => /adds nothing to the loss/.test(document.querySelector('#wd-figure').textContent), null, { timeout: 60_000 });
    const figure = await page.textContent('#wd-figure');
    assert.ok(!/\+ wd·Σw²/.test(figure), figure);
    assert.equal(await page.textContent('#wd-total'), await page.textContent('#wd-mse'));
    // The sheet says which step it takes; section 1 the real sparsity.
    assert.match(await page.textContent('#sheet'), /plain gradient descent: w ← w − lr × gradient/);
    assert.match(await page.textContent('#data-density'), /^Of all \d+ users × \d+ movies = [\d,]+ cells, [\d,]+ hold a rating: [\d.]+%/);
    // The neural models: the factors field rests and the sizes are said.
    await setControl(page, 'train-model', 'nn');
    assert.equal(await page.isDisabled('#train-factors'), true);
    assert.match(await page.textContent('#train-factors-note'), /74 for 944 users, 102 for 1,665 movies/);
    await setControl(page, 'train-model', 'dotbias');
    assert.equal(await page.isDisabled('#train-factors'), false);
  });
});

test('a diverging sheet run stops with a warning and goes back on request', { timeout: 240_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    const mse = await page.textContent('#sheet-mse');
    await setControl(page, 'sheet-lr', '5');
    await page.waitForFunction((m) => document.querySelector('#sheet-mse').textContent === m, mse);
    assert.equal(await page.isHidden('#sheet-rewind'), true);
    await page.click('#sheet-run');
    await page.waitForFunction(() => /Learning rate too high/.test(document.querySelector('#sheet-message').textContent), null, { timeout: 60_000 });
    const said = await page.textContent('#sheet-message');
    console.log(`sheet: ${said}`);
    assert.match(said, new RegExp(`^Learning rate too high: the loss grew from ${mse} to [\\d.]+e\\d+ in \\d+ steps`));
    assert.equal(await page.getAttribute('#sheet-run', 'aria-pressed'), 'false');
    await page.click('#sheet-rewind');
    await page.waitForFunction((m) => document.querySelector('#sheet-mse').textContent === m, mse);
    assert.equal(await page.textContent('#sheet-message'), 'Back to the numbers before the first step.');
    assert.equal(await page.isHidden('#sheet-rewind'), true);
  });
});

test('the code behind each section, and the notebook export with the current settings', { timeout: 240_000 }, async () => {
  await withPage(CPU, `${url}?model=embnn&epochs=3&lr=0.01&wd=0.05&bs=128&seed=7`, async (page) => {
    assert.match(await page.textContent('#code-train'), /use_nn=True/);
    assert.match(await page.textContent('#code-train'), /learn\.fit_one_cycle\(3, 0\.01, wd=0\.05\)/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-notebook')]);
    assert.equal(download.suggestedFilename(), 'collab-filtering.ipynb');
    const notebook = JSON.parse(await (await import('node:fs/promises')).readFile(await download.path(), 'utf8'));
    assert.equal(notebook.nbformat, 4);
    const code = notebook.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join('')).join('\n');
    assert.match(code, /CollabDataLoaders\.from_df\(ratings, item_name='title', bs=128, seed=7\)/);
    assert.match(code, /learn\.fit_one_cycle\(3, 0\.01, wd=0\.05\)/);
    console.log(`notebook: ${notebook.cells.length} cells`);
  });
});

test("the header counts the page module's bytes while it downloads", { timeout: 240_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await page.waitForSelector('#proof[data-state="done"]', { timeout: 200_000 });
    const counted = Number(await page.getAttribute('html', 'data-module-bytes'));
    const size = await page.evaluate(async () => {
      const href = document.querySelector('link[rel=preload][as=fetch]').href;
      return (await (await fetch(href)).arrayBuffer()).byteLength;
    });
    assert.equal(counted, size, 'the last count is the whole module, decompressed');
  });
});

test("a link carries the sheet's settings and edits", { timeout: 240_000 }, async () => {
  await withPage(CPU, `${url}?sk=3&slr=0.1&sbias=1&swdkind=decoupled`, async (page) => {
    assert.equal(await page.inputValue('#sheet-k'), '3');
    assert.equal(await page.inputValue('#sheet-lr'), '0.1');
    assert.equal(await page.isChecked('#sheet-bias'), true);
    assert.equal(await page.inputValue('#sheet-wdkind'), 'decoupled');
    assert.equal(await page.locator('#sheet-grid td[data-path="user_factors.weight"][data-row="0"]').count(), 3, 'three factors');
    await setControl(page, 'sheet-lr', '0.2');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('slr') === '0.2');
    assert.equal(new URL(page.url()).searchParams.get('sbias'), '1');
    // An edited factor travels too: the link opens on the edited numbers.
    const cell = '#sheet-grid td[data-path="user_factors.weight"][data-row="0"][data-col="1"]';
    await page.click(cell);
    await page.keyboard.type('1.5');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (new URLSearchParams(location.search).get('sw') ?? '').length > 0);
    const link = page.url();
    const again = await page.context().browser().newPage();
    await again.goto(link);
    await sheetReady(again);
    assert.ok((await again.getAttribute(cell, 'title')).startsWith('1.5'), await again.getAttribute(cell, 'title'));
    assert.equal(await again.textContent('#sheet-mse'), await page.textContent('#sheet-mse'));
  });
});

test('Tab leaves the spreadsheet: one stop in the grid, arrows inside it', { timeout: 240_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await page.focus('#sheet-randomise');
    const path = [];
    for (let n = 0; n < 3; n++) {
      await page.keyboard.press('Tab');
      path.push(await page.evaluate(() => document.activeElement.id || `${document.activeElement.tagName} ${document.activeElement.closest('[id]')?.id}`));
      if (path.at(-1) === 'lookup-pick') break;
    }
    console.log(`Tab from Randomise: ${path.join(' → ')}`);
    assert.equal(path.at(-1), 'lookup-pick', `the first control after the grid within 3 Tabs: ${path.join(' → ')}`);
    assert.ok(path.length <= 3);
  });
});

for (const [width, height] of [[1280, 900], [390, 844]]) {
  test(`every section at ${width} px wide${width < 500 ? ', nothing scrolls sideways' : ''}`, { timeout: 400_000 }, async () => {
    await withPage(CPU, url, async (page) => {
      await loadZip(page, 200, 150, 11);
      await setControl(page, 'train-epochs', '1');
      await page.click('#train-start');
      await page.waitForSelector('#learned[data-state="ready"]', { timeout: 240_000 });
      if (width > 500) {
        // Taste profiles: each picked one lists its own recommendations.
        const lists = [];
        for (const n of [0, 1]) {
          await page.click(`#profiles button[data-profile="${n}"]`);
          await page.waitForFunction((n) => document.querySelector(`#profiles button[data-profile="${n}"]`).getAttribute('aria-pressed') === 'true', n);
          lists.push(await page.$$eval('#profile-list li', (lis) => lis.map((li) => li.firstChild.textContent.trim())));
        }
        console.log(`profiles: ${await page.textContent('#profiles')}`);
        // The map is coloured by genre (generated u.item flags), with a legend.
        assert.match(await page.textContent('#map-legend'), /other/);
        const fills = await page.$$eval('#map circle', (cs) => new Set(cs.map((c) => c.style.fill)).size);
        assert.ok(fills >= 2, `several genre colours on the map: ${fills}`);
        // A dot on the map lists the movies like it.
        const dot = page.locator('#map g[data-item]').first();
        const title = (await dot.locator('title').textContent()).replace(/: click for similar movies$/, '');
        await dot.locator('circle').click();
        await page.waitForFunction(() => document.querySelectorAll('#similar-list li').length === 10);
        assert.equal(await page.inputValue('#similar-query'), title);
        assert.equal(lists[0].length, 10);
        assert.notDeepEqual(lists[0], lists[1], 'two tastes, two lists');
      }
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      const shots = [];
      for (const id of SECTIONS) {
        const section = page.locator(`#${id}`);
        if (await section.count()) shots.push(await screenshot(section, `section-${id}-${width}`));
      }
      console.log(`${width} px: page ${wide} px wide; ${shots.length} screenshots, e.g. ${shots[0]}`);
      if (width < 500) {
        const over = await page.evaluate(() => [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.scroll'))
          .slice(0, 5).map((e) => `${e.tagName}#${e.id}.${e.className}`));
        assert.ok(wide <= width, `the page is ${wide} px wide at ${width}: ${over.join(', ')}`);
      }
    }, { width, height });
  });
}
