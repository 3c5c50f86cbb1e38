#!/usr/bin/env bash
# `npm run demo` on a fresh Debian machine with only Node: installs what the demo needs (Debian's
# JupyterHub, R + Shiny, Jupyter Notebook; npm dependencies), builds the runtime, starts the demo.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/setup/install-system-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
exec npx tsx test/demo/hub-demo.ts
