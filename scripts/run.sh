#!/usr/bin/env bash
# Installs what is missing, then starts dxdesk (SQLite under the user data dir; the simulated
# card when no reader is connected). Extra arguments go to dxdesk, e.g. `scripts/run.sh doctor`.
source "$(dirname "$0")/_env.sh"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ $# -eq 0 ]; then
  echo "run.sh: no display found; starting on a virtual screen (xvfb-run). Set DISPLAY to use your screen." >&2
  exec xvfb-run -a -s "-screen 0 1400x900x24" "$UV" run --frozen --no-sync dxdesk "$@"
fi
exec "$UV" run --frozen --no-sync dxdesk "$@"
