#!/usr/bin/env bash
# README command 1: install what is missing, build the page, serve it on
# http://127.0.0.1:8080 (with MovieLens-100k under /data/ when it could be fetched).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
wasm_env
bash scripts/fetch-data.sh
trunk build --release
exec node scripts/serve.mjs --port "${PORT:-8080}" --root dist --data data
