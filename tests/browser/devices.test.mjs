// Two modules, CPU first (issue: make the GPU worth using): the page opens and computes
// on its CPU module without asking for the GPU module; before a fit the page times both
// devices and trains on the faster, saying so; the switch forces WebGPU, which then
// trains to the CPU's numbers. The first test opens the release build, as published.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CPU, WEBGPU, MODES, loadZip, screenshot, setControl, startServer, withPage } from './harness.mjs';

const { server, url } = await startServer();
const published = await startServer({ build: 'release' });
after(() => {
  server.close();
  published.server.close();
});

const isGpuModule = (u) => /\/gpu\/collab-gpu-/.test(u);

for (const mode of MODES) {
  test(`the published page computes on its CPU module without fetching the GPU module, and has no test hooks (${mode.name})`, { timeout: 240_000 }, async () => {
    await withPage(mode, published.url, async (page) => {
      await page.waitForSelector('#proof[data-state="done"]', { timeout: 200_000 });
      const exported = await page.evaluate(() => Object.keys(window.wasmBindings).filter((k) => !k.startsWith('__') && k !== 'default' && k !== 'initSync'));
      assert.deepEqual(exported, ['start'], 'the release module exports its start and nothing for tests');
      await page.waitForFunction(() => document.querySelector('#device').dataset.gpu !== 'asking');
      const wasm = page.responses.filter((r) => r.url.endsWith('.wasm'));
      const bytes = wasm.reduce((sum, r) => sum + r.bytes, 0);
      console.log(`${mode.name}: wasm fetched before the first computation: ${wasm.map((r) => `${r.url.split('/').pop()} ${r.bytes} bytes ${r.encoding ?? 'identity'}`).join(', ')}`);
      assert.deepEqual(page.requests.filter(isGpuModule), [], 'the GPU module must not be fetched to open the page');
      assert.equal(wasm.length, 1, "one module: the page's own");
      assert.ok(bytes < 1.5 * 1048576, `the page's module on the wire: ${bytes} bytes (goal: 1.5 MB compressed)`);
      const device = await page.textContent('#device');
      if (mode === WEBGPU) {
        assert.match(device, /^CPU \(wasm, burn-flex\) for the page's cells; WebGPU: .*swiftshader/i, device);
        assert.equal(await page.getAttribute('#device', 'data-gpu'), 'yes');
      } else {
        assert.match(device, /^CPU \(wasm, burn-flex\); no WebGPU for training: .*(no adapter|no WebGPU)/, device);
        assert.equal(await page.getAttribute('#device', 'data-gpu'), 'no');
      }
    }, { watch: true });
  });
}

test('before a fit the page races the CPU and WebGPU, trains on the faster, and says why', { timeout: 600_000 }, async () => {
  await withPage(WEBGPU, url, async (page) => {
    await loadZip(page, 200, 150, 11);
    await setControl(page, 'train-epochs', '1');
    await page.click('#train-start');
    await page.waitForFunction(() => /^Timed/.test(document.querySelector('#train-race').textContent), null, { timeout: 300_000 });
    const said = await page.textContent('#train-race');
    console.log(`race: ${said}`);
    // SwiftShader runs WebGPU on the same two cores, behind a shader interpreter: the CPU wins.
    // It also says how much of WebGPU's time went on queueing the work (the floor under
    // a batch on any GPU).
    assert.match(said, /^Timed 30 batches of dotbias \(batch 64\): CPU [\d.]+ ms\/batch, WebGPU [\d.]+ ms\/batch \([\d.]+ ms of it to queue the work\): training on the CPU \(the CPU is faster here\)\.$/);
    const [cpuMs, gpuMs] = [...said.matchAll(/([\d.]+) ms\/batch/g)].map((m) => Number(m[1]));
    const queueMs = Number(/([\d.]+) ms of it to queue/.exec(said)[1]);
    assert.ok(cpuMs < gpuMs && queueMs <= gpuMs, said);
    assert.ok(page.requests.some(isGpuModule), 'the race fetched the GPU module');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
    assert.match(await page.textContent('#train-device'), /^CPU/);
    // A second fit of the same model and batch size does not race again.
    const asked = page.requests.filter(isGpuModule).length;
    await page.click('#train-reset');
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 240_000 });
    assert.equal(page.requests.filter(isGpuModule).length, asked, 'no new GPU module request');
    assert.equal(await page.textContent('#train-race'), said);
    console.log(`screenshot ${await screenshot(page.locator('#train'), 'devices-race')}`);
  }, { watch: true });
});

/** Trains 2 epochs of DotProductBias on the same generated data; the final valid MSE and where it ran. */
async function fitOn(mode, device) {
  return withPage(mode, `${url}?epochs=2&bs=64&device=${device}`, async (page) => {
    await loadZip(page, 200, 150, 11);
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"]', { timeout: 400_000 });
    const rows = await page.$$eval('#train-rows tr', (trs) => trs.map((tr) => Array.from(tr.cells, (c) => Number(c.textContent))));
    const where = await page.textContent('#train-device');
    return { valid: rows.at(-1)[2], where, said: await page.textContent('#train-race') };
  });
}

test('the switch forces WebGPU, which trains to the same valid MSE as the CPU', { timeout: 900_000 }, async () => {
  const gpu = await fitOn(WEBGPU, 'webgpu');
  const cpu = await fitOn(CPU, 'cpu');
  console.log(`WebGPU (${gpu.where}): ${gpu.valid}; CPU (${cpu.where}): ${cpu.valid}`);
  assert.match(gpu.where, /^WebGPU: /);
  assert.equal(gpu.said, 'Training on WebGPU, as chosen.');
  assert.match(cpu.where, /^CPU/);
  assert.equal(cpu.said, 'Training on the CPU, as chosen.');
  assert.ok(Math.abs(gpu.valid - cpu.valid) < 5e-4, `valid MSE ${gpu.valid} on WebGPU, ${cpu.valid} on the CPU`);
});

// The dot-product models train on a GPU with two kernels a step (crates/collab-core/src/
// train/gpu/). Here their numbers are held against the CPU's host step, which the native
// tests hold against burn's autodiff: the same seed, the same batches, 200 steps of
// Adam, every loss and every weight compared. Generated data of MovieLens-100k's size.
test('the GPU kernels compute the CPU host step\'s losses and weights', { timeout: 600_000 }, async () => {
  await withPage(WEBGPU, url, async (page) => {
    // The hooks exist once the page's module has started (a busy machine can take seconds).
    const base = { kind: 'DotProductBias', factors: 50, epochs: 5, lr: 5e-3, wd: 0.1, wd_kind: 'Decoupled', batch_size: 64, seed: 42, y_range: true };
    const cases = [
      base,
      // The book's first model: no biases, no sigmoid_range.
      { ...base, kind: 'DotProduct', y_range: false },
      // The from-scratch model with the lesson's L2 penalty and a larger batch.
      { ...base, kind: 'Scratch', wd_kind: 'L2', batch_size: 512 },
    ];
    for (const settings of cases) {
      const probe = JSON.parse(await page.evaluate((s) => window.wasmBindings.probe_devices(undefined, s, 200), settings));
      const name = `${settings.kind} ${settings.wd_kind} bs ${settings.batch_size}`;
      console.log(`${name}: CPU ${probe.cpu.step_kind}, GPU ${probe.gpu.step_kind} (${probe.gpu.device}); ` +
        `largest loss gap ${probe.loss_gap}, weight gap ${probe.weight_gap}; mean loss ${probe.cpu.first_tenth} -> ${probe.cpu.last_tenth}; ` +
        `first losses CPU ${probe.cpu.losses.join(' ')}, GPU ${probe.gpu.losses.join(' ')}`);
      assert.match(probe.gpu.device, /^WebGPU: /);
      assert.equal(probe.cpu.step_kind, 'whole step on the host');
      assert.equal(probe.gpu.step_kind, 'two GPU kernels a step');
      assert.ok(probe.loss_gap !== null && probe.loss_gap < 1e-4, `${name}: losses differ by ${probe.loss_gap}`);
      assert.ok(probe.weight_gap !== null && probe.weight_gap < 1e-4, `${name}: weights differ by ${probe.weight_gap}`);
      // And the steps learned something: the loss fell.
      assert.ok(probe.cpu.last_tenth < probe.cpu.first_tenth - 0.05, `${name}: the loss did not fall: ${probe.cpu.first_tenth} -> ${probe.cpu.last_tenth}`);
    }
    // The neural models keep burn's autodiff on the GPU, and agree too.
    const nn = JSON.parse(await page.evaluate((s) => window.wasmBindings.probe_devices(undefined, s, 50), { ...cases[0], kind: 'EmbeddingNn' }));
    console.log(`EmbeddingNn: GPU ${nn.gpu.step_kind}; loss gap ${nn.loss_gap}, weight gap ${nn.weight_gap}`);
    assert.equal(nn.gpu.step_kind, 'burn autodiff, optimizer as tensor operations');
    assert.ok(nn.loss_gap < 1e-3, `EmbeddingNn: losses differ by ${nn.loss_gap}`);
  });
});
