// Shared set-up of the browser tests: serve dist/, start Debian's Chromium with or
// without WebGPU, and fail on any console error or uncaught page error.
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serve } from '../../scripts/serve.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
/** Where screenshots go; CI prints this path. */
export const OUTPUT = process.env.COLLAB_TEST_OUTPUT ?? join(ROOT, 'tests/output');

/** The two ways the page must work. */
export const MODES = [
  { name: 'webgpu', flags: ['--enable-unsafe-webgpu'] },
  { name: 'cpu', flags: ['--disable-gpu'] },
];

/** Serves the built page on a free port; `data` may point at a folder of test data. */
export async function startServer(data = join(ROOT, 'tests/output/no-data')) {
  const server = await serve({ root: join(ROOT, 'dist'), data, port: 0 });
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** Opens the page in a fresh Chromium (Playwright gives it a new empty profile); `problems` collects console errors and page errors. */
export async function openPage(mode, url, { width = 1280, height = 900 } = {}) {
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
