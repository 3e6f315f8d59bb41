#!/usr/bin/env bash
# The demo deployment: a disposable Debian 12 server container, the site playbook run
# against it over SSH, then where the Document Server answers and a check of it.
# Usage: bash demo/run.sh [--real-image] [--down]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/bootstrap.sh
bash tests/bed/engine.sh
exec "${DOCOPS_VENV:-$PWD/.venv}/bin/python" demo/demo.py "$@"
