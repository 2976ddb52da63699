#!/usr/bin/env bash
# Installs what is missing to build and test the project, and nothing that is already
# there (a second run takes seconds). Works offline on this project's Debian machines
# (package registries only) and on an ordinary machine with internet.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

log() { printf 'setup: %s\n' "$*"; }
apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    # "install ok installed", not a removed package whose config files remain.
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  if ! command -v apt-get >/dev/null; then
    log "please install: ${missing[*]} (no apt-get here)"; return 1
  fi
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  if [ $apt_updated = 0 ]; then $sudo apt-get update -qq; apt_updated=1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# 1. A Rust that can build for wasm32: rustup's target if it can be had, else Debian's
#    rustc-web with std's source for build-std (see scripts/env.sh).
if [ "$COLLAB_TOOLCHAIN" = debian ]; then
  if command -v rustup >/dev/null 2>&1 && rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
    log "rustup's wasm32 target installed"
    source scripts/env.sh
  else
    apt_install rustc-web cargo-web rust-web-src rust-web-clippy lld-22
    source scripts/env.sh
  fi
fi
if command -v rustup >/dev/null 2>&1 && ! cargo fmt --version >/dev/null 2>&1; then
  rustup component add rustfmt >/dev/null 2>&1 || log "no rustfmt: formatting will not be checked"
fi
log "rust: $(rustc --version) ($COLLAB_TOOLCHAIN)"

# 2. Chromium for the browser tests; Node.js for them and the static server.
apt_install chromium
command -v node >/dev/null 2>&1 || apt_install nodejs npm

# 3. Trunk, and wasm-bindgen-cli at exactly the version in Cargo.lock (Trunk would
#    otherwise try to download one).
need_version() { # command, version
  command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"
}
TRUNK_VERSION=0.21.14
if ! need_version trunk "$TRUNK_VERSION"; then
  log "installing trunk $TRUNK_VERSION (a few minutes)"
  cargo install --quiet trunk --version "$TRUNK_VERSION" --locked --no-default-features --features rustls
fi
BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[version =" ]/, ""); print; exit }' Cargo.lock)
if ! need_version wasm-bindgen "$BINDGEN_VERSION"; then
  # --locked fails against this registry (a locked dependency version is missing).
  log "installing wasm-bindgen-cli $BINDGEN_VERSION (a few minutes)"
  cargo install --quiet wasm-bindgen-cli --version "$BINDGEN_VERSION" --force
fi

# 4. playwright-core for the browser tests (it drives the system Chromium).
if [ ! -d tests/node_modules/playwright-core ]; then
  log "installing playwright-core"
  (cd tests && npm ci --no-audit --no-fund --silent)
fi
log "ready"
