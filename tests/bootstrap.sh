#!/usr/bin/env bash
# Create (or reuse) the test virtualenv with the pinned tools in tests/requirements.txt.
# The venv lives in .venv/ and is rebuilt when the requirements file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${DOCOPS_VENV:-$PWD/.venv}
stamp="$venv/.requirements.sha256"
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    exit 0
fi
echo "bootstrap: creating $venv from tests/requirements.txt"
python3 -m venv --clear "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
echo "$want" > "$stamp"
