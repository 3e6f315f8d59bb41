#!/usr/bin/env bash
# The whole test suite from a fresh machine: venv with pinned tools, Docker engine,
# images, then every layer (see tests/run.py). Usage: bash tests/run.sh [LAYER ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/bootstrap.sh
exec "${DOCOPS_VENV:-$PWD/.venv}/bin/python" tests/run.py "$@"
