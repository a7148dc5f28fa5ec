#!/usr/bin/env bash
# Installs what is missing, then lints (ruff), type-checks (mypy: strict on the Qt-free core, see
# pyproject.toml) and runs the whole test suite (Qt offscreen; real pcscd + vpcd and a throwaway
# PostgreSQL are started by the tests themselves). Extra arguments go to pytest.
source "$(dirname "$0")/_env.sh"
export QT_QPA_PLATFORM=offscreen
echo "test.sh: ruff check" >&2
"$UV" run --frozen --no-sync ruff check .
echo "test.sh: mypy" >&2
"$UV" run --frozen --no-sync mypy
set +e
"$UV" run --frozen --no-sync pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "test.sh: pytest collected no tests; treating that as a failure" >&2
  exit 1
fi
exit "$rc"
