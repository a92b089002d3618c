#!/usr/bin/env bash
# Set up (first run only) and run the main job: for now the checker demo on sample replies.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/assistant demo "$@"
