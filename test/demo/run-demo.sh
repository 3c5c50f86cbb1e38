#!/usr/bin/env bash
# `npm run demo` on a fresh Debian machine with only Node: installs what the demo needs (Debian's
# JupyterHub, a Docker engine, debootstrap; npm dependencies), builds hubify, then runs the demo:
# a local R image is made hub-ready with `hubify build` and served by a real JupyterHub.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/setup/install-system-deps.sh
bash test/setup/docker-engine.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
exec npx tsx test/demo/hub-demo.ts
