#!/usr/bin/env bash
# Makes sure a Docker engine answers on /var/run/docker.sock, for the container tests of
# `hubify build` / `hubify test` and the fixture images (test/images/). Idempotent:
#   1. installs Debian's docker.io (dockerd, containerd, runc, the docker CLI) and debootstrap (the
#      fixture base image is made from Debian's archive, no container registry) when missing;
#   2. when `docker version` gets no answer from the daemon, starts dockerd in the background
#      (log /tmp/hubify-dockerd.log, PID in /tmp/hubify-dockerd.pid) and waits up to 60 s for it.
# Exits non-zero, with the tail of the dockerd log, when the engine cannot be had: the container
# tests then FAIL (they never skip because Docker is missing).
#
# dockerd flags, and why (checked on this project's machines: Debian 12 VM, kernel 6.18, cgroup v1,
# ext4 root, docker.io 20.10): no storage or cgroup flag is needed (overlay2 and cgroupfs work as
# is). Networking is the one change: the default bridge (docker0) would put containers on a private
# address range and rewrite the host's iptables (FORWARD policy DROP, NAT rules, ip_forward=1). The
# tests never need that: builds and containers use `--network host` (apt inside a build only works
# there) or no network at all, and reach servers in containers on 127.0.0.1. So dockerd runs with
# no bridge and leaves iptables and ip_forward alone.
set -euo pipefail

LOG=/tmp/hubify-dockerd.log
PIDFILE=/tmp/hubify-dockerd.pid
WAIT_SECONDS=60
DOCKERD_FLAGS=(--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false)

engine_answers() {
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# 1. Packages.
packages=(docker.io debootstrap)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "docker-engine: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
    exit 3
  fi
  echo "docker-engine: installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/hubify-apt-docker.log 2>&1 || {
    echo "docker-engine: apt-get install failed; last lines of /tmp/hubify-apt-docker.log:" >&2
    tail -n 30 /tmp/hubify-apt-docker.log >&2
    exit 3
  }
fi

# 2. The daemon.
if engine_answers; then
  echo "docker-engine: engine answers ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}'))"
  exit 0
fi

started_here=0
pid=""
if [ -f "$PIDFILE" ] && pid=$(cat "$PIDFILE") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
  echo "docker-engine: dockerd (PID $pid) is already starting; waiting for it"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "docker-engine: no Docker engine answers on ${DOCKER_HOST:-unix:///var/run/docker.sock} and starting dockerd needs root" >&2
    exit 3
  fi
  if pgrep -x dockerd >/dev/null 2>&1; then
    echo "docker-engine: a dockerd not started by this script is running (PID $(pgrep -x dockerd | tr '\n' ' ')) but does not answer; not starting a second one" >&2
    exit 3
  fi
  echo "docker-engine: starting dockerd ${DOCKERD_FLAGS[*]} (log $LOG)"
  # setsid: dockerd outlives the shell or test job that started it (it stays up for the next run).
  setsid dockerd "${DOCKERD_FLAGS[@]}" >"$LOG" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PIDFILE"
  started_here=1
fi

deadline=$((SECONDS + WAIT_SECONDS))
until engine_answers; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "docker-engine: dockerd (PID $pid) exited before answering; last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 4
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "docker-engine: dockerd (PID $pid) did not answer within ${WAIT_SECONDS}s; last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 4
  fi
  sleep 0.5
done
if [ "$started_here" -eq 1 ]; then
  echo "docker-engine: dockerd (PID $pid) answers after ${SECONDS}s ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}'))"
else
  echo "docker-engine: dockerd (PID $pid) answers"
fi
