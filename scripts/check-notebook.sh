#!/usr/bin/env bash
# Runs the page's exported notebook in fastai, top to bottom, for every model of section 8,
# on generated data in MovieLens-100k's layout, and checks that the spreadsheet cell prints
# the page's own losses. Not part of ./scripts/test.sh: it needs fastai and PyTorch
# (several GB), which the test command never installs. Set up once with
#   python3 -m venv .venv-fastai && .venv-fastai/bin/pip install fastai nbclient ipykernel
# then run  PYTHON=.venv-fastai/bin/python ./scripts/check-notebook.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import fastai, nbclient, ipykernel' 2>/dev/null; then
  echo "check-notebook: $PYTHON has no fastai/nbclient/ipykernel; see the top of this script" >&2
  exit 2
fi
out="${COLLAB_NOTEBOOK_OUT:-$CARGO_TARGET_DIR/notebook-check}"
rm -rf "$out" && mkdir -p "$out"
cargo run --quiet --release -p collab-web --example notebook -- "$out"
"$PYTHON" scripts/check_notebook.py "$out"
