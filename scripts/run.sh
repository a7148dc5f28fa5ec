#!/usr/bin/env bash
# Installs what is missing, then starts dxdesk (SQLite under the user data dir, cards through the PC's
# reader). Extra arguments go to dxdesk, e.g. `scripts/run.sh doctor`; `scripts/run.sh --training` opens
# the window in training mode (研修モード: the fictional card, separate records, 見本 on every print).
source "$(dirname "$0")/_env.sh"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && { [ $# -eq 0 ] || [ "$*" = "--training" ]; }; then
  echo "run.sh: no display found; starting on a virtual screen (xvfb-run). Set DISPLAY to use your screen." >&2
  exec xvfb-run -a -s "-screen 0 1400x900x24" "$UV" run --frozen --no-sync dxdesk "$@"
fi
exec "$UV" run --frozen --no-sync dxdesk "$@"
