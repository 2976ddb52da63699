// Every MovieLens release through the page's file input (issue 27): a generated zip in
// ml-1m's layout with 1,000,000 ratings is read by a worker (progress, then the release
// named), trained for one epoch there, and the sections after it work on it; a small
// ml-latest-small zip keeps its half stars; a Cancel during a load keeps the data and
// the fit the page had. The zips are written by the CLI (`collab generate`), which
// scripts/test.sh builds before the browser tests.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CPU, OUTPUT, loadZip, screenshot, setControl, startServer, withPage } from './harness.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const { server, url } = await startServer();
after(() => server.close());

const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/collab-notebook/target');
const cli = join(target, 'release/collab');
const dir = join(OUTPUT, 'releases');
const zips = {};

before(() => {
  assert.ok(existsSync(cli), `the CLI is not built (${cli}): cargo build --release -p collab-cli`);
  mkdirSync(dir, { recursive: true });
  for (const [release, ratings] of [['ml-1m', 1_000_000], ['ml-latest-small', 20_000]]) {
    const path = join(dir, `${release}.zip`);
    console.log(execFileSync(cli, ['generate', release, path, '--ratings', String(ratings)], { cwd: ROOT, encoding: 'utf8' }).trim());
    zips[release] = path;
  }
});

const number = (text) => Number(text.replace(/,/g, ''));
const progress = (page) => page.textContent('#data-progress');

/** Picks `path` in the file input and waits for the load to end; returns its last words. */
async function pick(page, path) {
  await page.setInputFiles('#data-file', path);
  await page.waitForFunction(() => ['loaded', 'error'].includes(document.querySelector('#data-progress').dataset.state), null, { timeout: 120_000 });
  return progress(page);
}

/** The numbers of a list's notes (`<li>title <span class="note">0.123</span>`), in order. */
const scores = (page, id) => page.$$eval(`#${id} li`, (lis) => lis.map((li) => Number(li.querySelector('.note').textContent)));
const titles = (page, id) => page.$$eval(`#${id} li`, (lis) => lis.map((li) => li.firstChild.textContent.trim()));
const descending = (xs) => xs.every((x, n) => n === 0 || xs[n - 1] >= x);

test('a Cancel during a load keeps the data and the fit; a generated ml-1m zip of 1,000,000 ratings loads in a worker, trains an epoch, and every section after it works on it', { timeout: 900_000 }, async () => {
  await withPage(CPU, `${url}?epochs=1`, async (page) => {
    // Data and a fit to keep.
    await loadZip(page, 120, 90, 3);
    const label = await page.textContent('#data-label');
    await setControl(page, 'train-on', 'cpu');
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
    await page.waitForSelector('#learned[data-state="ready"]', { timeout: 60_000 });
    const rows = await page.locator('#train-rows tr').count();
    const check = await page.textContent('#model-check');

    // Cancel while the worker reads: the bar and Cancel are shown, then hidden; nothing else changes.
    await page.setInputFiles('#data-file', zips['ml-1m']);
    await page.waitForSelector('#data-cancel', { state: 'visible' });
    assert.ok(await page.isVisible('#data-bar'));
    assert.match(await progress(page), /^Reading ml-1m\.zip \(10\.\d MiB\): /);
    await page.click('#data-cancel');
    assert.equal(await progress(page), 'Loading ml-1m.zip (10.1 MiB) was cancelled. The data you had is still here.');
    assert.ok(!(await page.isVisible('#data-cancel')) && !(await page.isVisible('#data-bar')));
    await page.waitForTimeout(2000); // the ended worker says nothing more
    assert.equal(await progress(page), 'Loading ml-1m.zip (10.1 MiB) was cancelled. The data you had is still here.');
    assert.equal(await page.textContent('#data-label'), label);
    assert.equal(await page.getAttribute('#train', 'data-state'), 'done');
    assert.equal(await page.locator('#train-rows tr').count(), rows);
    assert.equal(await page.textContent('#model-check'), check);
    // The kept fit still answers.
    await page.fill('#rec-user', '1');
    await page.click('#rec-go');
    await page.waitForFunction(() => document.querySelectorAll('#rec-list li').length === 10);

    // The whole load: progress in bytes and ratings, then the release named.
    await page.setInputFiles('#data-file', zips['ml-1m']);
    const said = [];
    while ((await page.getAttribute('#data-progress', 'data-state')) === 'loading') {
      said.push(await progress(page));
      await page.waitForTimeout(100);
    }
    console.log(said.filter((s, n) => s !== said[n - 1]).join('\n'));
    assert.ok(said.some((s) => /ratings …$/.test(s)), 'the progress is said while reading');
    const loaded = await progress(page);
    console.log(loaded);
    assert.equal(loaded, 'Loaded your file ml-1m.zip: 1,000,000 ratings, MovieLens 1M (ml-1m).');
    const counts = await page.textContent('#data-label');
    assert.match(counts, /^your file ml-1m\.zip: 1,000,000 ratings, \d+ users, \d+ movies$/);
    const [, users, movies] = /([\d,]+) ratings, (\d+) users, (\d+) movies/.exec(counts).slice(1).map(number);
    assert.ok(users > 5_900 && users <= 6_040 && movies > 3_500 && movies <= 3_883, counts);
    assert.ok(!(await page.isVisible('#data-bar')));
    // Section 1 and the sheet read the new data: its first ratings (ml-1m's whole stars, its
    // ids), and the 15 × 15 corner of the busiest users and movies.
    const first = await page.$$eval('#data-rows tr', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent)));
    assert.equal(first.length, 8);
    for (const [user, movie, , stars] of first) {
      assert.ok(Number(user) >= 1 && Number(user) <= 6040 && Number(movie) >= 1 && Number(movie) <= 3952, `${user} ${movie}`);
      assert.ok([1, 2, 3, 4, 5].includes(Number(stars)), stars);
    }
    assert.equal(await page.locator('#data-cross tbody tr').count(), 15);
    const density = await page.textContent('#data-density');
    assert.match(density, new RegExp(`^Of all ${users.toLocaleString('en-US')} users × ${movies.toLocaleString('en-US')} movies`));
    await page.waitForSelector('#sheet[data-state="ready"]', { timeout: 60_000 });
    // The old fit is forgotten with the old data.
    assert.notEqual(await page.getAttribute('#train', 'data-state'), 'done');

    // One epoch in the worker that read the file.
    assert.ok(page.workers().some((w) => w.url().endsWith('/worker.js')));
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 600_000 });
    const epoch = await page.$$eval('#train-rows tr', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent)));
    assert.equal(epoch.length, 1);
    const [trainLoss, validLoss] = [Number(epoch[0][1]), Number(epoch[0][2])];
    console.log(`ml-1m, one epoch: train ${trainLoss}, valid ${validLoss}`);
    // Planted tastes plus noise of 0.6: one epoch learns well below the ratings' own spread.
    assert.ok(validLoss > 0.3 && validLoss < 1.2, `valid loss ${validLoss}`);
    const split = await page.textContent('#train-split');
    const [train, valid] = /([\d,]+) training ratings, ([\d,]+) validation ratings/.exec(split).slice(1).map(number);
    assert.equal(train + valid, 1_000_000);
    assert.equal(valid, 200_000, 'a fifth held out');
    // Section 9 shows the earlier model until this fit's is read: wait for the new one.
    await page.waitForFunction((old) => document.querySelector('#learned').dataset.state === 'ready'
      && document.querySelector('#model-check').textContent !== old, check, { timeout: 120_000 });

    // Section 9: biases, the map, similar movies, recommendations and why.
    const low = await scores(page, 'bias-low');
    const high = await scores(page, 'bias-high');
    assert.equal(low.length, 10);
    assert.equal(high.length, 10);
    assert.ok(Math.max(...low) < Math.min(...high), `low ${low} high ${high}`);
    assert.equal(await page.locator('#map circle').count(), 50, 'the 50 most rated movies on the map');
    const query = (await titles(page, 'bias-high'))[0];
    await page.fill('#similar-query', query);
    await page.click('#similar-go');
    await page.waitForFunction(() => document.querySelectorAll('#similar-list li').length === 10, null, { timeout: 30_000 }).catch(async (e) => {
      console.log(`similar to "${query}": ${await page.textContent('#learned-message')} | ${await page.innerHTML('#similar-list')}`);
      throw e;
    });
    const similar = await scores(page, 'similar-list');
    assert.ok(descending(similar) && similar.every((s) => s <= 1 && s >= -1), `${similar}`);
    assert.ok(!(await titles(page, 'similar-list')).includes(query));
    await page.fill('#rec-user', '1');
    await page.click('#rec-go');
    await page.waitForFunction(() => document.querySelectorAll('#rec-list li').length === 10);
    const recs = await scores(page, 'rec-list');
    assert.ok(descending(recs) && recs.every((s) => s > 0 && s < 5.5), `${recs}`);
    // "why?": the three movies of user 1's own closest to it, with the stars user 1 gave them.
    await page.locator('#rec-list button.why').first().click();
    await page.waitForFunction(() => document.querySelectorAll('#rec-why ol li').length === 3);
    const own = await page.$$eval('#rec-why ol li', (lis) => lis.map((li) => li.textContent));
    for (const li of own) assert.match(li, /\(cosine -?[\d.]+, rated [1-5]\)$/, li);

    // A new user from five ratings: fitted, and recommended movies they did not rate.
    const selects = page.locator('#rate-list select');
    const rated = [];
    for (let n = 0; n < 5; n++) {
      await selects.nth(n).selectOption(n % 2 ? '1' : '5');
      rated.push(await selects.nth(n).getAttribute('aria-label'));
    }
    await page.click('#you-go');
    await page.waitForFunction(() => document.querySelectorAll('#you-list li').length === 10, null, { timeout: 30_000 }).catch(async (e) => {
      console.log(`you: ${await page.textContent('#you-message')} | ${await page.textContent('#you-fit')} | ${await page.innerHTML('#you-list')} | ${await page.innerHTML('#rate-list')}`.slice(0, 3000));
      throw e;
    });
    assert.match(await page.textContent('#you-fit'), /^Fitted from 5 ratings/);
    const you = await scores(page, 'you-list');
    assert.ok(descending(you) && you.every((s) => s > 0 && s < 5.5), `${you}`);
    const mine = await titles(page, 'you-list');
    for (const label of rated) assert.ok(!mine.includes(label.replace(/^your rating of /, '')), `${label} is recommended back`);
    for (const id of ['data', 'learned']) await screenshot(page.locator(`#${id}`), `releases-ml-1m-${id}`);
  });
});

test('a generated ml-latest-small zip loads with its half stars and the release named', { timeout: 300_000 }, async () => {
  await withPage(CPU, url, async (page) => {
    const said = await pick(page, zips['ml-latest-small']);
    assert.equal(said, 'Loaded your file ml-latest-small.zip: 20,000 ratings, MovieLens latest small (ml-latest-small).');
    // Half stars keep their value: the busiest corner holds some.
    const cells = await page.$$eval('#data-cross td:not(.blank)', (tds) => tds.map((td) => Number(td.textContent)));
    assert.ok(cells.length >= 10, `${cells.length} rated cells`);
    assert.ok(cells.every((c) => c >= 0.5 && c <= 5 && Number.isInteger(2 * c)), `${cells}`);
    assert.ok(cells.some((c) => !Number.isInteger(c)), 'half stars are read as such');
    // A file that is not a release: said next to the input, and what was loaded stays.
    const label = await page.textContent('#data-label');
    const refused = await pick(page, { name: 'ratings.csv', mimeType: 'text/csv', buffer: Buffer.from('userId,movieId,rating,timestamp\n1,2,9,3\n') });
    assert.equal(refused, 'Nothing was loaded: ratings.csv, line 2: rating 9 is outside 0.5 to 5. The data you had is still here.');
    assert.equal(await page.textContent('#data-label'), label);
  });
});

test("section 8 offers lazy Adam: from the same start, it trains to a finite loss that differs from fastai's Adam's", { timeout: 400_000 }, async () => {
  await withPage(CPU, `${url}?epochs=2`, async (page) => {
    await loadZip(page, 150, 120, 5);
    await setControl(page, 'train-on', 'cpu');
    const fit = async (optim) => {
      await setControl(page, 'train-optim', optim);
      assert.match(page.url(), new RegExp(`[?&]optim=${optim}(&|$)`), 'the choice is in the address');
      await page.click('#train-start');
      await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
      return page.$$eval('#train-rows tr', (trs) => trs.map((tr) => [Number(tr.cells[1].textContent), Number(tr.cells[2].textContent)]));
    };
    const adam = await fit('adam');
    const lazy = await fit('lazy');
    console.log(`fastai's Adam: ${JSON.stringify(adam)}; lazy Adam: ${JSON.stringify(lazy)}`);
    assert.equal(adam.length, 2);
    assert.equal(lazy.length, 2);
    for (const [train, valid] of [...adam, ...lazy]) assert.ok(Number.isFinite(train) && Number.isFinite(valid) && valid > 0 && valid < 5);
    assert.notDeepEqual(lazy, adam, 'only the rows in the batch move: other numbers');
    // Both learn: the second epoch's training loss is below the first's.
    assert.ok(lazy[1][0] < lazy[0][0] && adam[1][0] < adam[0][0], `${JSON.stringify(lazy)} ${JSON.stringify(adam)}`);
  });
});
