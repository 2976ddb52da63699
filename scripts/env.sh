# Sourced by the other scripts: picks the Rust toolchain that can build for wasm32 and
# keeps one build cache outside the clone, so that a second run (and CI on the same
# machine) does not rebuild burn from nothing.
#
# Two cases:
# - rustup's toolchain has the wasm32 standard library (a machine with internet, after
#   `rustup target add wasm32-unknown-unknown`): use it as it is.
# - it has not (this project's offline machines): use Debian's rustc-web/cargo-web 1.96
#   and build std for wasm32 from rust-web-src with cargo's build-std
#   (see ../shared/docs/toolchain.md, "Building for wasm32").

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/collab-notebook/target}"
export PATH="$HOME/.cargo/bin:$PATH"

rustup_has_wasm_std() {
  command -v rustup >/dev/null 2>&1 &&
    [ -d "$(rustc --print sysroot 2>/dev/null)/lib/rustlib/wasm32-unknown-unknown/lib" ]
}

if rustup_has_wasm_std; then
  export COLLAB_TOOLCHAIN=rustup
else
  export COLLAB_TOOLCHAIN=debian
  # Debian's cargo and rustc (1.96) go first so that they build both native and wasm:
  # one compiler, one cache, and std's source matches the compiler.
  export PATH="/usr/bin:$PATH"
  export RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-22/bin/wasm-ld
fi

# build-std only where it is needed (it is refused for builds without --target).
wasm_env() {
  if [ "$COLLAB_TOOLCHAIN" = debian ]; then
    export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  fi
}
