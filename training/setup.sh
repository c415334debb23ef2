#!/usr/bin/env bash
# Creates training/.venv with the pinned requirements. Idempotent: a stamp holds the
# hash of requirements.txt and the Python version, so a second run returns at once,
# and a changed requirements.txt rebuilds the venv from scratch (no stale packages).
# Python: $PYTHON, else python3.11 (the pins are checked for CPython 3.11).
set -euo pipefail
cd "$(dirname "$0")"

venv=.venv
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

want="$( (cat requirements.txt; echo "python $version") | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

echo "setting up training/.venv (pinned requirements)…" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r requirements.txt
# Written last: an interrupted install leaves no stamp and is redone next time.
echo "$want" > "$stamp"
