// On a phone (issue: every number a section is about visible at 390 px; chart and map
// text at least 11 px): with every section filled (data, a fit, the model read, the
// weight-decay pair), no number, field or output of a table lies beyond the screen's
// edge, and no text of a chart or the map is drawn under 11 px. The spreadsheet and the
// 15 x 15 cross-table are grids meant to scroll; the two 600-unit charts keep their
// drawn size and scroll inside their box.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, loadZip, screenshot, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

/** What does not fit: cells, fields and outputs past the right edge; chart text under 11 px as drawn. */
const measure = (page) => page.evaluate(() => {
  const width = innerWidth;
  const cut = [];
  for (const el of document.querySelectorAll('main td, main th, main output, main input, main select, main button')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 0.5 && !el.closest('#sheet-grid, #data-cross')) {
      cut.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} in #${el.closest('section')?.id}: right edge ${Math.round(r.right)}`);
    }
  }
  const small = [];
  for (const t of document.querySelectorAll('main svg text')) {
    if (!t.getBoundingClientRect().height) continue;
    const svg = t.ownerSVGElement;
    const px = parseFloat(getComputedStyle(t).fontSize) * (svg.getBoundingClientRect().width / svg.viewBox.baseVal.width);
    if (px < 10.95) small.push(`#${svg.id || svg.getAttribute('class')} “${t.textContent.slice(0, 20)}”: ${px.toFixed(1)} px`);
  }
  return { cut: [...new Set(cut)], small: [...new Set(small)], scrollWidth: document.documentElement.scrollWidth };
});

for (const [width, height] of [[390, 844], [1280, 900]]) {
  test(`at ${width} px every number is on screen and chart text is at least 11 px`, { timeout: 600_000 }, async () => {
    await withPage(CPU, `${url}?epochs=2`, async (page) => {
      await loadZip(page, 200, 150, 11);
      await page.click('#train-start');
      await page.waitForSelector('#train[data-state="done"]', { timeout: 300_000 });
      await page.waitForSelector('#learned[data-state="ready"]', { timeout: 60_000 });
      await page.click('#overfit-run');
      await page.waitForSelector('#overfit[data-state="done"]', { timeout: 300_000 });
      const { cut, small, scrollWidth } = await measure(page);
      console.log(`${width} px: ${cut.length} cut, ${small.length} small; page ${scrollWidth} px wide`);
      assert.equal(scrollWidth, width, 'the page does not scroll sideways');
      assert.deepEqual(cut, [], 'every number, field and output within the screen');
      assert.deepEqual(small, [], 'chart and map text at least 11 px as drawn');
      for (const id of ['factors', 'train', 'errors', 'learned']) await screenshot(page.locator(`#${id}`), `phone-${id}-${width}`);
    }, { width, height });
  });
}

test('at 390 px with the sheet at its most factors (10), the lookup tables scroll in their own boxes, not the page', { timeout: 300_000 }, async () => {
  await withPage(CPU, `${url}?sk=10`, async (page) => {
    await page.waitForSelector('#lookup-user table.onehot');
    await page.click('#lookup-all');
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'the page does not scroll sideways');
    for (const id of ['lookup-user', 'lookup-item']) {
      // Scrolled to its end, the table's box shows its last factor's column on screen.
      const { columns, before, after } = await page.$eval(`#${id} table.onehot`, (t) => {
        const last = () => [...t.querySelectorAll('thead th')].at(-1).getBoundingClientRect().right;
        const before = last();
        t.scrollLeft = t.scrollWidth;
        return { columns: t.querySelector('thead tr').cells.length, before, after: last() };
      });
      console.log(`#${id}: ${columns} columns; the last ends at ${Math.round(before)} px, ${Math.round(after)} px scrolled`);
      assert.ok(columns >= 11, `#${id} shows every factor (${columns} columns)`);
      assert.ok(after <= 390.5, `#${id}: the last column is reached by scrolling its box`);
    }
    await screenshot(page.locator('#lookup'), 'phone-lookup-k10-390');
  }, { width: 390, height: 844 });
});
