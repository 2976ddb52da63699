// What the page says and hands over is held to the standard of its numbers: advice that
// points the way the losses say, every refused setting named beside its field, code that
// is the page's own, and lists a student would not laugh at.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, setControl, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

const text = (page, id) => page.textContent(`#${id}`);

test("section 8's advice on the demo table points the way its losses say, and the rate it names learns", { timeout: 300_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
    await page.waitForFunction(() => /learned too little/.test(document.querySelector('#train-message').textContent));
    const advice = await text(page, 'train-message');
    console.log(`advice: ${advice}`);
    assert.match(advice, /the learning rate 0\.005 is probably too low, try 0\.05/);
    await page.click('#train-reset');
    await setControl(page, 'train-lr', '0.05');
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
    await page.waitForSelector('#learned[data-state="ready"]', { timeout: 60_000 });
    assert.doesNotMatch(await text(page, 'train-message'), /learned|memorised/, 'at 0.05 the fit learns');
  });
});

test('the spreadsheet names every setting it refuses beside the field, until the field is good again', { timeout: 300_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    const steps = async () => Number(await text(page, 'sheet-steps'));
    for (const [typed, said] of [
      ['abc', '“abc” is not a valid learning rate; the sheet keeps 0.05'],
      ['', 'the learning rate is empty; the sheet keeps 0.05'],
      ['0', 'the learning rate must be a number above 0, not 0; the sheet keeps 0.05'],
      ['-0', 'the learning rate must be a number above 0, not -0; the sheet keeps 0.05'],
      ['-0.1', 'the learning rate must be a number above 0, not -0.1; the sheet keeps 0.05'],
    ]) {
      await setControl(page, 'sheet-lr', typed);
      await page.waitForFunction((s) => document.querySelector('#sheet-settings-message').textContent === s, said);
      assert.equal(await page.getAttribute('#sheet-lr', 'aria-invalid'), 'true', typed);
      // A step goes on at the kept rate and does not wipe the refusal.
      const before = await steps();
      await page.click('#sheet-step');
      await page.waitForFunction((n) => Number(document.querySelector('#sheet-steps').textContent) === n + 1, before);
      assert.equal(await text(page, 'sheet-settings-message'), said);
    }
    for (const k of ['0', '11']) {
      await setControl(page, 'sheet-k', k);
      await page.waitForFunction(() => /number of factors/.test(document.querySelector('#sheet-settings-message').textContent));
      assert.match(await text(page, 'sheet-settings-message'), new RegExp(`must be 1 to 10, not ${k}; the sheet keeps 5`));
      assert.equal(await page.getAttribute('#sheet-k', 'aria-invalid'), 'true');
    }
    await setControl(page, 'sheet-k', '5');
    await setControl(page, 'sheet-lr', '0.05');
    await page.waitForFunction(() => document.querySelector('#sheet-settings-message').textContent === '');
    assert.equal(await page.getAttribute('#sheet-lr', 'aria-invalid'), 'false');
    // A rate that makes the loss rise says so at the first step that does.
    await setControl(page, 'sheet-lr', '5');
    const mse = await text(page, 'sheet-mse');
    await page.click('#sheet-step');
    await page.waitForFunction((m) => document.querySelector('#sheet-mse').textContent !== m, mse);
    const rose = await text(page, 'sheet-message');
    console.log(`sheet at lr 5: ${rose}`);
    assert.match(rose, new RegExp(`^The loss rose in this step, from ${mse} to [\\d.]+\\. .* the learning rate 5 is too high for these numbers: try 0\\.5\\.$`));
    // Section 2: a factor far outside anything a factor is, refused in words.
    await setControl(page, 'user-0', '1e9');
    await page.waitForFunction(() => /too large/.test(document.querySelector('#factors-message').textContent));
    assert.match(await text(page, 'factors-message'), /“1e9” is too large: a factor here is between -1000 and 1000/);
    assert.doesNotMatch(await text(page, 'factors-match-0'), /980000000/);
  });
});

test('the code cells are the page’s own, and recommendations leave out what the user rated', { timeout: 300_000 }, async () => {
  await withPage(CPU, `${url}?lr=0.05&model=scratch`, async (page) => {
    assert.match(await text(page, 'code-factors'), /taste = torch\.tensor\(\[0\.9, 0\.8, -0\.6\]\)/);
    assert.match(await text(page, 'code-bias'), /def create_params\(shape\)/);
    assert.match(await text(page, 'code-train'), /DotProductBias\(n_users, n_movies, 50\)/);
    assert.match(await text(page, 'code-sheet'), new RegExp(`print\\(f'before: MSE`));
    await page.click('#train-start');
    await page.waitForSelector('#learned[data-state="ready"]', { timeout: 240_000 });
    // The sheet's first user, and the titles the sheet shows them rating.
    const labels = await page.$$eval('#sheet-grid td.rated', (tds) => tds.map((td) => td.getAttribute('aria-label')));
    const user = labels[0].match(/^user (\d+),/)[1];
    const rated = labels.filter((l) => l.startsWith(`user ${user},`)).map((l) => l.replace(/^user \d+, (.*): predicted .*$/, '$1'));
    await page.fill('#rec-user', user);
    await page.click('#rec-go');
    await page.waitForFunction(() => document.querySelectorAll('#rec-list li').length > 0);
    const recs = await page.$$eval('#rec-list li', (lis) => lis.map((li) => li.firstChild.textContent.trim()));
    console.log(`user ${user} rated ${rated.length} of the sheet's titles; recommended: ${recs.join(' | ')}`);
    assert.ok(rated.length > 3, `user ${user} rated ${rated.length} titles on the sheet`);
    assert.deepEqual(recs.filter((t) => rated.includes(t)), [], 'no title the user rated is recommended');
    assert.match(await text(page, 'code-learned'), new RegExp(`user = ${user}\\n`));
    // Fitting a new user from one rating: said in the singular, with what so close a fit means.
    await page.locator('#rate-list select').first().selectOption('5');
    await page.click('#you-go');
    await page.waitForFunction(() => document.querySelectorAll('#you-list li').length > 0);
    const fit = await text(page, 'you-fit');
    assert.match(fit, /^Fitted from 1 rating \(/);
    assert.match(fit, /almost exactly because your row has 51 numbers to set and only 1 rating to meet/);
    assert.match(await text(page, 'code-you'), /mine = \{\n {4}".*": 5\.0,\n\}/);
  });
});
