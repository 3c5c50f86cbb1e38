#!/bin/bash
# Starts the desktop: TigerVNC on display :1 (port 5901, localhost only, no VNC password: whatever
# proxies the desktop does the authentication) with /usr/local/bin/desktop-session, then noVNC on
# NOVNC_PORT (default 6080) through websockify, in the foreground.
set -euo pipefail
vncserver "${DISPLAY:-:1}" -localhost yes -SecurityTypes None --I-KNOW-THIS-IS-INSECURE \
  -geometry "${VNC_GEOMETRY:-1280x800}" -depth 24 -xstartup /usr/local/bin/desktop-session
display=${DISPLAY:-:1}
exec websockify --web /usr/share/novnc "${NOVNC_PORT:-6080}" "localhost:$((5900 + ${display#:}))"
