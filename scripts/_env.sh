# Shared by scripts/run.sh, scripts/test.sh and scripts/dist.sh: system packages, then the locked Python deps.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
UV="$(command -v uv || echo "$HOME/.local/bin/uv")"
export UV_PYTHON_DOWNLOADS=never   # use the system Python 3.11+, never download one
"$UV" sync --frozen --python python3 --quiet
