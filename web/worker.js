// The training worker. It runs the page's own wasm module: the page posts the URL of
// its wasm-bindgen script and the compiled module first, so nothing is downloaded or
// compiled twice. Commands that arrive while the module starts wait in collabEarly,
// where the wasm side (crates/collab-web/src/web/worker.rs) picks them up.
self.collabEarly = [];
self.onmessage = async (event) => {
  self.onmessage = (later) => self.collabEarly.push(later.data);
  const { glue, module } = event.data;
  const bindings = await import(glue);
  await bindings.default({ module_or_path: module });
};
