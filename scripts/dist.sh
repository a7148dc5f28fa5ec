#!/usr/bin/env bash
# Builds the one-folder app into dist/dxdesk/ with PyInstaller (build.spec), then self-tests it and
# prints the folder size with its largest parts (the numbers docs/performance.md "Packaging" quotes).
source "$(dirname "$0")/_env.sh"
start=$(date +%s)
"$UV" run --frozen --no-sync pyinstaller --noconfirm --clean build.spec
echo "build time: $(( $(date +%s) - start )) s"

# The self-test isolates its own database, but logging starts before it: keep the build's log out of
# the developer's real profile.
selftest_home="$(mktemp -d)"
trap 'rm -rf "$selftest_home"' EXIT
DXDESK_HOME="$selftest_home" ./dist/dxdesk/dxdesk --self-test

du -sh dist/dxdesk
echo "largest files (MB):"
find dist/dxdesk -type f -printf '%s %p\n' | sort -rn | awk 'NR <= 15 {printf "%7.1f  %s\n", $1 / 1048576, $2}'
