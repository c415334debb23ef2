#!/usr/bin/env bash
# Creates training/.venv-agent for the reinforcement-learning agent (train_agent.py)
# with the pinned requirements-agent.txt (which includes requirements.txt). About
# 5.8 GB (torch's default PyPI wheel brings its CUDA libraries) and a few minutes the
# first time; CI never runs it. Idempotent like setup.sh: a stamp holds the hash of
# both requirement files and the Python version, so a second run returns at once and
# a changed file rebuilds the venv from scratch.
# Python: $PYTHON, else python3.11 (the pins are checked for CPython 3.11).
set -euo pipefail
cd "$(dirname "$0")"

venv=.venv-agent
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3.11}"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found: install Python 3.11 or set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$version" != "3.11" ]; then
  echo "error: $python is Python $version; the pinned wheels are for 3.11: set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

want="$( (cat requirements.txt requirements-agent.txt; echo "python $version") | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

free_kb="$(df -Pk . | awk 'NR == 2 { print $4 }')"
if [ "$free_kb" -lt $((8 * 1024 * 1024)) ]; then
  echo "error: $(pwd) has $((free_kb / 1024 / 1024)) GB free; the agent's venv needs about 6 GB (8 GB while installing)" >&2
  exit 1
fi

echo "setting up training/.venv-agent (pinned requirements, ~5.8 GB: torch with its CUDA libraries)…" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r requirements-agent.txt
# Written last: an interrupted install leaves no stamp and is redone next time.
echo "$want" > "$stamp"
