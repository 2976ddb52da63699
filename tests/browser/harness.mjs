// Shared set-up of the browser tests: serve a build of the page, open it in Debian's
// Chromium with or without WebGPU, and fail on any console error or uncaught page error.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serve } from '../../scripts/serve.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
/** Where screenshots go; CI prints this path. */
export const OUTPUT = process.env.COLLAB_TEST_OUTPUT ?? join(ROOT, 'tests/output');

/** The two ways the page must work: WebGPU (on SwiftShader here) and the CPU fallback. */
export const WEBGPU = { name: 'webgpu', flags: ['--enable-unsafe-webgpu'] };
export const CPU = { name: 'cpu', flags: ['--disable-gpu'] };
export const MODES = [WEBGPU, CPU];

/**
 * The two builds of the page: `test` (dist-test/, built with the `hooks` feature: the
 * generated data, probes and crashes the tests call through `window.wasmBindings`) and
 * `release` (dist/, as published: no hooks).
 */
export const BUILDS = { test: 'dist-test', release: 'dist' };

/** Serves a build of the page on a free port, under `base`; `data` may point at a folder of test data. */
export async function startServer({ build = 'test', data = join(ROOT, 'tests/output/no-data'), base = '/' } = {}) {
  const server = await serve({ root: join(ROOT, BUILDS[build]), data, port: 0, base });
  return { server, url: `http://127.0.0.1:${server.address().port}${base}` };
}

/** Waits until the page's module has started and the spreadsheet has computed (the page is ready to use). */
export const sheetReady = (page) => page.waitForSelector('#sheet[data-state="ready"]', { timeout: 200_000 });

/**
 * The one way a test uses the page: opens `url` in a fresh Chromium in `mode`, waits for
 * the sheet (unless `ready: false`), runs `body(page)` and returns what it returns, then
 * fails on any console or page error (those matching `allow` excepted), and closes the
 * browser whatever happened. `width`, `height`, `watch`: as for `openPage`.
 */
export async function withPage(mode, url, body, { ready = true, allow = null, ...options } = {}) {
  const { browser, page, problems } = await openPage(mode, url, options);
  try {
    if (ready) await sheetReady(page);
    const result = await body(page);
    assert.deepEqual(allow ? problems.filter((p) => !allow.test(p)) : problems, [], 'console or page errors');
    return result;
  } finally {
    await browser.close();
  }
}

/** Opens the page in a fresh Chromium (tests use `withPage`; the benchmark, which reports problems rather than failing, uses this) (Playwright gives it a new empty profile); `problems` collects console errors and page errors; with `watch`, `page.requests` lists every URL asked for, in order, and `page.responses` each response's URL, content encoding and body bytes as sent (compressed, if it was). */
export async function openPage(mode, url, { width = 1280, height = 900, watch = false } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...mode.flags,
    ],
  });
  const page = await browser.newPage({ viewport: { width, height } });
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  if (watch) {
    page.requests = [];
    page.responses = [];
    page.on('request', (r) => page.requests.push(r.url()));
    page.on('requestfinished', async (r) => {
      // A request can finish as the test closes the browser: its sizes are then gone.
      try {
        const response = await r.response();
        if (!response) return;
        const encoding = (await response.allHeaders())['content-encoding'];
        page.responses.push({ url: r.url(), encoding, bytes: (await r.sizes()).responseBodySize });
      } catch {
        /* the page closed first: nothing to record */
      }
    });
  }
  await page.goto(url);
  return { browser, page, problems };
}

/** Saves a screenshot of the page (or an element) under OUTPUT and returns its path. */
export async function screenshot(target, name) {
  await mkdir(OUTPUT, { recursive: true });
  const path = join(OUTPUT, `${name}.png`);
  await target.screenshot({ path, fullPage: target.url ? true : undefined });
  return path;
}

/** Waits for the sheet, then loads a generated `ml-100k.zip` of `users` x `items` through the file input. */
export async function loadZip(page, users, items, seed) {
  await sheetReady(page);
  const zip = await page.evaluate(([u, i, s]) => Array.from(window.wasmBindings.synth_ml100k_zip(u, i, s)), [users, items, seed]);
  await loadZipBytes(page, zip);
}

/** Waits for the sheet, then loads generated data of MovieLens-100k's size (943 users, 1682 movies, 100,000 ratings): a test that must catch a fit still running (to pause it) trains on it, since a fit on a small table ends within a click's delay. */
export async function loadReference(page) {
  await sheetReady(page);
  await loadZipBytes(page, await page.evaluate(() => Array.from(window.wasmBindings.reference_ml100k_zip())));
}

/** Loads `zip` (an array of bytes) as `ml-100k.zip` through the file input. */
export async function loadZipBytes(page, zip) {
  await page.setInputFiles('#data-file', { name: 'ml-100k.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
  await page.waitForFunction(() => /^Loaded/.test(document.querySelector('#data-progress').textContent));
}

/** Sets a control as a visitor would: picks an option, or types and leaves the field. */
export async function setControl(page, id, value) {
  const tag = await page.$eval(`#${id}`, (e) => e.tagName);
  if (tag === 'SELECT') await page.selectOption(`#${id}`, value);
  else {
    await page.fill(`#${id}`, value);
    await page.dispatchEvent(`#${id}`, 'change');
  }
}
