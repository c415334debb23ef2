#!/usr/bin/env bash
# Creates training/.venv with the pinned requirements.txt (~25 s once, then instant;
# see make_venv.sh for the stamp that makes a repeat run free).
set -euo pipefail
exec "$(dirname "$0")/make_venv.sh" .venv requirements.txt 2
