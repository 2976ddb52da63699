// The training worker's loader. The page posts { collabBoot: { glue, module } } once: the
// URL of a wasm-bindgen script and its wasm (a compiled WebAssembly.Module, so nothing is
// compiled twice, or a URL). That is the page's own CPU module, or the GPU module when
// training runs on WebGPU. Commands can arrive before it (the page posts them at once,
// while the GPU module may still be downloading); they wait in collabEarly, where the wasm
// side (crates/collab-web/src/web/worker.rs) picks them up.
self.collabEarly = [];
self.onmessage = async (event) => {
  const boot = event.data && event.data.collabBoot;
  if (!boot) {
    self.collabEarly.push(event.data);
    return;
  }
  self.onmessage = (later) => self.collabEarly.push(later.data);
  const bindings = await import(boot.glue);
  await bindings.default({ module_or_path: boot.module });
};
