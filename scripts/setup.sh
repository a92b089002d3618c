#!/usr/bin/env bash
# Create .venv (if missing) and install the project with everything it needs.
# torch is installed first, pinned to the local CPU wheel: otherwise sentence-transformers
# pulls a multi-GB CUDA build from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PY" >&2
  "$PY" -m venv .venv
fi
VPIP=".venv/bin/python -m pip --disable-pip-version-check -q"
stamp=.venv/.installed-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing torch==2.13.0 (CPU) and the project; first run takes a few minutes" >&2
  $VPIP install --upgrade pip >/dev/null
  $VPIP install "torch==2.13.0"
  $VPIP install -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# Convert the bundled multilingual-e5-small into a sentence-transformers folder once (git-ignored cache).
.venv/bin/python -m assistant model ensure >&2
