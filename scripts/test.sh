#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite (Qt offscreen; real pcscd + vpcd and a
# throwaway PostgreSQL are started by the tests themselves). Extra arguments go to pytest.
source "$(dirname "$0")/_env.sh"
export QT_QPA_PLATFORM=offscreen
set +e
"$UV" run --frozen --no-sync pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "test.sh: pytest collected no tests; treating that as a failure" >&2
  exit 1
fi
exit "$rc"
