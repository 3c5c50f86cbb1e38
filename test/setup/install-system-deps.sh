#!/usr/bin/env bash
# Installs what the tests and the demo need from Debian, only when missing:
# JupyterHub 3.0 (hub, configurable-http-proxy, jupyterhub-singleuser), R + Shiny, Jupyter Notebook,
# Chromium (browser tests; never downloaded by a test tool), docker-registry (daemonless build tests),
# nginx and wrk (benchmarks: the speed reference and the load generator). Exits non-zero, loudly, on failure.
set -euo pipefail

packages=(jupyterhub r-base-core r-cran-shiny jupyter-notebook chromium binutils-aarch64-linux-gnu docker-registry nginx wrk openssl)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: system packages present (${packages[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
  exit 3
fi
echo "setup: installing ${missing[*]} (apt-get, a few minutes the first time)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/hubify-apt.log 2>&1 || {
  echo "setup: apt-get install failed; last lines of /tmp/hubify-apt.log:" >&2
  tail -n 30 /tmp/hubify-apt.log >&2
  exit 3
}
echo "setup: installed ${missing[*]}"
