#!/usr/bin/env bash
# Puts MovieLens-100k at data/ml-100k.zip for the visitor (never in git: its licence
# forbids redistribution). First the file fastai downloads, from GroupLens; offline, the
# same 100,000 ratings from the PyPI wheel recbole 1.2.1, rewritten as u.data/u.item.
# Failing is not an error: the page and every test work without it.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
out=data/ml-100k.zip
if [ -s "$out" ]; then
  echo "data: $out already here"
  exit 0
fi
if curl -fsSL --max-time 60 -o "$out.part" https://files.grouplens.org/datasets/movielens/ml-100k.zip 2>/dev/null; then
  mv "$out.part" "$out"
  echo "data: fetched $out from GroupLens"
  exit 0
fi
rm -f "$out.part"
echo "data: GroupLens unreachable; trying the copy inside the recbole 1.2.1 wheel"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if python3 -m pip download --quiet --no-deps --dest "$tmp" recbole==1.2.1 >/dev/null 2>&1 &&
  python3 scripts/recbole_to_ml100k.py "$tmp"/recbole-1.2.1-*.whl "$out"; then
  echo "data: wrote $out from recbole 1.2.1"
else
  rm -f "$out"
  echo "data: MovieLens-100k not available; the page offers its demo table and a file picker"
fi
exit 0
