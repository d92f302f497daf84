#!/usr/bin/env bash
# Times what `make lint` adds for Spectral, in a scratch copy (the repo's .tools is untouched):
# npm ci with an empty npm cache (a fresh CI machine), npm ci with a warm cache (setup-node's
# npm cache), and three Spectral runs on spec/openapi.yaml. Usage: .tools/time-spectral.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "time-spectral: npm not found: install Node.js 20+" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp .tools/package.json .tools/package-lock.json "$scratch/"

seconds() { # seconds LABEL COMMAND...: run COMMAND quietly, print how long it took
  local label=$1 start end
  shift
  start=$(date +%s%N)
  "$@" >/dev/null
  end=$(date +%s%N)
  printf '%-34s %6d ms\n' "$label" $(((end - start) / 1000000))
}

install() { npm ci --prefix "$scratch" --cache "$scratch/npm-cache" --ignore-scripts \
  --no-audit --no-fund --loglevel=error; }

echo "node $(node --version), npm $(npm --version), $(nproc) CPUs"
seconds "npm ci (empty npm cache)" install
seconds "npm ci (warm npm cache)" install
for run in 1 2 3; do
  seconds "spectral lint, run $run" "$scratch/node_modules/.bin/spectral" lint spec/openapi.yaml \
    --ruleset .spectral.yaml --fail-severity=warn --quiet
done
