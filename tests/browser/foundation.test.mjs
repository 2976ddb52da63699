// The whole chain in a real browser: the wasm loads, the device is chosen and named,
// and the core crate computes a loss on that device. Run with and without WebGPU.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, openPage, screenshot, startServer } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

for (const mode of MODES) {
  test(`page computes a loss on ${mode.name}`, { timeout: 240_000 }, async () => {
    const { browser, page, problems } = await openPage(mode, url);
    try {
      await page.waitForSelector('#proof[data-state="done"], #fatal:not(:empty)', { timeout: 200_000 });
      assert.equal(await page.textContent('#fatal'), '', 'the page reported a start-up failure');
      const device = await page.textContent('#device');
      if (mode.name === 'webgpu') {
        assert.match(device, /^WebGPU: /, device);
        assert.match(device, /swiftshader/i, `expected the SwiftShader adapter: ${device}`);
      } else {
        assert.match(device, /^CPU \(wasm\): .*(no adapter|no WebGPU)/, device);
      }
      const before = Number(await page.textContent('#proof-loss'));
      const afterStep = Number(await page.textContent('#proof-loss-after'));
      assert.ok(Number.isFinite(before) && before > 0.5 && before < 20, `loss before: ${before}`);
      assert.ok(afterStep < before, `one Adam step must lower the loss: ${before} -> ${afterStep}`);
      console.log(`${mode.name}: ${device}; loss ${before} -> ${afterStep}; screenshot ${await screenshot(page, `foundation-${mode.name}`)}`);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
}
