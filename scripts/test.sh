#!/usr/bin/env bash
# Set up (first run only) and run every check CI runs: ruff, mypy, then pytest with coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check assistant tests evals benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest --cov=assistant --cov-report=term --cov-fail-under=80 "$@"
