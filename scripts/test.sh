#!/usr/bin/env bash
# README command 2: install what is missing, then run every test: formatting, native
# unit and integration tests (the page crate's pure modules included, and both crates'
# shape tests), the GPU step natively on wgpu where a Vulkan driver is, the parsers'
# fuzz targets (20 s each), clippy with warnings denied (native and wasm32), a release
# build of the page and a test build with its test hooks (checking that the release has
# none), the browser tests (WebGPU on SwiftShader, and the CPU fallback), then the
# benchmark, which prints figures and asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

# Natively the page's crate builds its pure modules only (no wgpu, no web-sys).
NATIVE=(--workspace)

step "formatting"
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all --check
else
  echo "formatting not checked: this toolchain has no rustfmt (Debian's rustc-web path)"
fi

step "clippy, native"
cargo clippy "${NATIVE[@]}" --all-targets --release -- -D warnings

step "native tests (release: training tests need optimised burn)"
# The fuzz targets only replay their seeds here; the next step fuzzes them.
COLLAB_FUZZ_SECONDS=0 cargo test "${NATIVE[@]}" --release

step "the GPU step natively on wgpu, against the host step (where a Vulkan driver is)"
# A Vulkan loader and a driver's manifest: Mesa's software Vulkan (lavapipe) counts.
vulkan_driver() {
  ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' && {
    compgen -G '/usr/share/vulkan/icd.d/*.json' >/dev/null || compgen -G '/etc/vulkan/icd.d/*.json' >/dev/null ||
      [ -n "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]
  }
}
if vulkan_driver; then
  cargo test -p collab-core --release --features gpu --test gpu
  # The GPU engine's own: batches uploaded ahead of their steps, or not.
  cargo test -p collab-core --release --features gpu --lib train::gpu
else
  echo "not run: no Vulkan driver here (on Debian: apt-get install mesa-vulkan-drivers libvulkan1)."
  echo "The kernels are still tested in Chromium below. Where there is a driver (or Metal, DX12):"
  echo "  cargo test -p collab-core --release --features gpu --test gpu"
fi

step "fuzz every parser for 20 s each (u.data, u.item, CSV, zip, model/snapshot)"
COLLAB_FUZZ_SECONDS=20 cargo test -p collab-core --release --test fuzz -- --nocapture

step "clippy, wasm32 (core and the page's CPU module; then the GPU module, the page with its gpu feature)"
( wasm_env
  cargo clippy -p collab-core -p collab-web --target wasm32-unknown-unknown --release -- -D warnings
  cargo clippy -p collab-gpu --target wasm32-unknown-unknown --release -- -D warnings
  # and both again with the test hooks (the test build)
  cargo clippy -p collab-web --features hooks --target wasm32-unknown-unknown --release -- -D warnings
  cargo clippy -p collab-gpu --features hooks --target wasm32-unknown-unknown --release -- -D warnings )

step "release build of the page (dist/, as published: its CPU module and the GPU module)"
( wasm_env; trunk build --release )
for wasm in dist/*_bg.wasm dist/gpu/*_bg.wasm; do
  ctors=$(strings -n 8 "$wasm" | grep -c command_export || true)
  echo "$wasm, $(du -h "$wasm" | cut -f1); command_export wrappers: $ctors"
  if [ "$ctors" != 0 ]; then
    echo "every export re-runs the constructors: __wasm_call_ctors must be called at start" >&2
    exit 1
  fi
done

step "test build of the page (dist-test/: the same, with the test hooks the browser tests call)"
( wasm_env; trunk build --release --features hooks --dist dist-test )
# The hooks (crates/collab-web/src/web/hooks.rs, and the worker's Probe, LoseDevice and
# Crash commands) are built only with the `hooks` feature: none may be in dist/. The
# same search must find them all in dist-test/, or it is searching for the wrong names.
HOOKS=($(sed -n '/^#\[wasm_bindgen\]/{n;s/^pub \(async \)\?fn \([a-z0-9_]*\).*/\2/p}' crates/collab-web/src/web/hooks.rs) LoseDevice Probed)
hooks_in() { for name in "${HOOKS[@]}"; do grep -qa "$name" "$1"/*.js "$1"/*_bg.wasm "$1"/gpu/*.js "$1"/gpu/*_bg.wasm && echo "$name"; done; true; }
found=$(hooks_in dist-test | wc -l)
shipped=$(hooks_in dist | tr '\n' ' ')
echo "test hooks: ${#HOOKS[@]} names; in dist-test/: $found; in dist/: ${shipped:-none}"
if [ "${#HOOKS[@]}" -lt 10 ] || [ "$found" != "${#HOOKS[@]}" ] || [ -n "$shipped" ]; then
  echo "every test hook must be in dist-test/ and none in the published dist/" >&2
  exit 1
fi

step "browser tests (Chromium, WebGPU on SwiftShader and CPU)"
# The CLI writes the releases' stand-ins the browser tests load (tests/browser/releases.test.mjs).
cargo build --release -p collab-cli
export COLLAB_TEST_OUTPUT="$PWD/tests/output"
(cd tests && npm test)
echo "screenshots: $COLLAB_TEST_OUTPUT"

step "benchmark: the reference run in Chromium (CPU, WebGPU, the page) and natively, and ml-1m-size data through the page; prints figures"
(cd tests && npm run bench)
