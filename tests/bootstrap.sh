#!/usr/bin/env bash
# Create (or reuse) a virtualenv with pinned tools, rebuilt when its requirements change.
# Usage: bash tests/bootstrap.sh [REQUIREMENTS VENV]
#   default: tests/requirements.txt into $DOCOPS_VENV or .venv/
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-tests/requirements.txt}
venv=${2:-${DOCOPS_VENV:-$PWD/.venv}}
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    exit 0
fi
echo "bootstrap: creating $venv from $requirements"
python3 -m venv --clear "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
echo "$want" > "$stamp"
