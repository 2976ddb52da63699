// Nothing a file or a link holds can freeze the page or slip past its checks: a u.item
// whose one title is 1 MB long is cut where it is read and said so, and after a spreadsheet
// Step and a one-epoch fit no element holds a long string; a link's bad settings are named
// and the fields hold valid values. Nothing here is timed: the bound is asserted on the DOM.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, sheetReady, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

/** The longest attribute value and the longest text node on the page, and where. */
async function longest(page) {
  return page.evaluate(() => {
    let attr = { length: 0, where: '' };
    let text = { length: 0, where: '' };
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        if (a.value.length > attr.length) attr = { length: a.value.length, where: `${el.tagName.toLowerCase()}#${el.id} ${a.name}` };
      }
      // A field's value is not an attribute once typed or set: count it too.
      if ('value' in el && typeof el.value === 'string' && el.value.length > attr.length) {
        attr = { length: el.value.length, where: `${el.tagName.toLowerCase()}#${el.id} value` };
      }
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.data.length > text.length) {
        const el = node.parentElement;
        text = { length: node.data.length, where: `${el?.tagName.toLowerCase()}#${el?.id}` };
      }
    }
    return { attr, text };
  });
}

/** u.data and u.item of 100 users and 40 movies; movie 1 is rated by everyone (so it is on the sheet) and its title is `title`. */
function files(title) {
  const data = [];
  for (let u = 1; u <= 100; u++) {
    for (let i = 1; i <= 40; i++) {
      if (i === 1 || (u * 7 + i * 13) % 3 === 0) data.push(`${u}\t${i}\t${1 + ((u + i) % 5)}\t881250949`);
    }
  }
  const items = [];
  for (let i = 1; i <= 40; i++) items.push(`${i}|${i === 1 ? title : `Movie ${i} (1995)`}|01-Jan-1995||http://example.invalid/${i}|0|1|0`);
  return [
    { name: 'u.data', mimeType: 'text/plain', buffer: Buffer.from(`${data.join('\n')}\n`) },
    { name: 'u.item', mimeType: 'text/plain', buffer: Buffer.from(`${items.join('\n')}\n`, 'latin1') },
  ];
}

test('a 1 MB title is cut where it is read, and no element holds a long string after a step and a fit', { timeout: 600_000 }, async () => {
  await withPage(CPU, `${url}?epochs=1`, async (page) => {
    const before = await longest(page);
    const title = `A Very Long Title ${'x'.repeat(1 << 20)} (1995)`;
    await page.setInputFiles('#data-file', files(title));
    await page.waitForFunction(() => /^Loaded|^Nothing/.test(document.querySelector('#data-progress').textContent));
    assert.equal(
      await page.textContent('#data-progress'),
      'Loaded your file u.data + u.item: 1,400 ratings. 1 title cut to 200 characters.',
    );
    // The sheet shows the cut title in its header (whole, 200 characters, in the title).
    await sheetReady(page);
    const header = await page.$$eval('#sheet-grid th[role="columnheader"]', (ths) => ths.map((th) => th.title).filter((t) => t.startsWith('A Very Long Title')));
    assert.equal(header.length, 1);
    assert.equal([...header[0]].length, 200);
    assert.ok(header[0].endsWith('…'));

    // A step after an edit, then one epoch of training.
    const cell = '#sheet-grid td[data-path="user_factors.weight"][data-row="0"][data-col="0"]';
    await page.click(cell);
    await page.keyboard.type('0.75');
    await page.keyboard.press('Enter');
    await page.waitForFunction((c) => document.querySelector(c).title.startsWith('0.75'), cell);
    const steps = Number(await page.textContent('#sheet-steps'));
    await page.click('#sheet-step');
    await page.waitForFunction((n) => Number(document.querySelector('#sheet-steps').textContent) === n + 1, steps, { timeout: 120_000 });
    await sheetReady(page);
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 300_000 });
    await page.waitForSelector('#learned[data-state="ready"]', { timeout: 120_000 });
    assert.equal(await page.$$eval('#train-rows tr', (rows) => rows.length), 1);

    const after = await longest(page);
    console.log(`longest before: attribute ${before.attr.length} (${before.attr.where}), text ${before.text.length} (${before.text.where}); after: attribute ${after.attr.length} (${after.attr.where}), text ${after.text.length} (${after.text.where})`);
    assert.ok(after.attr.length < 1000, `an attribute of ${after.attr.length} characters at ${after.attr.where}`);
    assert.ok(after.text.length < 1000, `a text of ${after.text.length} characters at ${after.text.where}`);
    // No element holds more of the title than the cut: 200 characters of it at most.
    const copies = await page.evaluate(() => {
      const run = 'x'.repeat(300);
      const html = document.documentElement.outerHTML;
      return { long: html.includes(run), cut: html.split('x'.repeat(150)).length - 1 };
    });
    assert.equal(copies.long, false, 'no element holds more than 200 characters of the title');
    console.log(`the cut title's copies in the page: ${copies.cut}`);
  });
});

test("a link's bad settings are named next to the training controls, which hold valid values", { timeout: 300_000 }, async () => {
  await withPage(CPU, `${url}?model=nonsense&lr=NaN&epochs=1`, async (page) => {
    await page.waitForFunction(() => /the link's/.test(document.querySelector('#train-message').textContent));
    assert.equal(
      await page.textContent('#train-message'),
      "the link's model 'nonsense' is not a model this notebook trains (dotraw, dot, dotbias, scratch, nn, embnn); " +
        "dotbias is used; the link's learning rate 'NaN' is not a number; 0.005 is used.",
    );
    assert.equal(await page.inputValue('#train-model'), 'dotbias');
    assert.equal(await page.inputValue('#train-lr'), '0.005');
    assert.equal(await page.inputValue('#train-epochs'), '1', "the link's good values are kept");
    assert.equal(await page.inputValue('#train-wd'), '0.1');
    // Training takes them: a step, not "unknown model ''".
    await page.click('#train-step');
    await page.waitForSelector('#train[data-state="paused"]', { timeout: 120_000 });
    await page.waitForSelector('#train-batch-loss', { timeout: 120_000 });
    assert.doesNotMatch(await page.textContent('#train-message'), /unknown model/);
  });
});
