// The whole chain in a real browser: the wasm loads, the devices are named (the page's
// cells on the CPU; WebGPU for training when the browser offers it), and the core crate
// computes a loss. Run with and without WebGPU.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { WEBGPU, MODES, screenshot, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
after(() => server.close());

for (const mode of MODES) {
  test(`page computes a loss on ${mode.name}`, { timeout: 240_000 }, async () => {
    await withPage(mode, url, async (page) => {
      await page.waitForSelector('#proof[data-state="done"], #fatal:not(:empty)', { timeout: 200_000 });
      assert.equal(await page.textContent('#fatal'), '', 'the page reported a start-up failure');
      await page.waitForFunction(() => document.querySelector('#device').dataset.gpu !== 'asking');
      const device = await page.textContent('#device');
      if (mode === WEBGPU) {
        assert.match(device, /WebGPU: .*swiftshader/i, `expected the SwiftShader adapter: ${device}`);
      } else {
        assert.match(device, /no WebGPU for training: .*(no adapter|no WebGPU)/, device);
      }
      const before = Number(await page.textContent('#proof-loss'));
      const afterStep = Number(await page.textContent('#proof-loss-after'));
      assert.ok(Number.isFinite(before) && before > 0.5 && before < 20, `loss before: ${before}`);
      assert.ok(afterStep < before, `one Adam step must lower the loss: ${before} -> ${afterStep}`);
      console.log(`${mode.name}: ${device}; loss ${before} -> ${afterStep}; screenshot ${await screenshot(page, `foundation-${mode.name}`)}`);
    });
  });
}
