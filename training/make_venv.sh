#!/usr/bin/env bash
# make_venv.sh VENV REQUIREMENTS MIN_FREE_GB [HASHED_FILE ...]  (default: REQUIREMENTS)
# Creates training/VENV with `pip install -r REQUIREMENTS`, shared by setup.sh and
# setup-agent.sh. Idempotent: a stamp holds the hash of the hashed files (the
# requirements and whatever they include) and the Python version, so a second run
# returns at once, and a changed file rebuilds the venv from scratch (no stale
# packages). Refuses with less than MIN_FREE_GB free, before touching anything.
# Python: $PYTHON, else python3.11 (the pins are checked for CPython 3.11).
set -euo pipefail
cd "$(dirname "$0")"

venv="$1"
requirements="$2"
min_free_gb="$3"
shift 3
hashed=("$@")
[ ${#hashed[@]} -gt 0 ] || hashed=("$requirements")
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

want="$( (cat "${hashed[@]}"; echo "python $version") | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

free_kb="$(df -Pk . | awk 'NR == 2 { print $4 }')"
if [ "$free_kb" -lt $((min_free_gb * 1024 * 1024)) ]; then
  echo "error: $(pwd) has $((free_kb / 1024 / 1024)) GB free; training/$venv needs $min_free_gb GB while installing" >&2
  exit 1
fi

echo "setting up training/$venv (pinned $requirements)…" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r "$requirements"
# Written last: an interrupted install leaves no stamp and is redone next time.
echo "$want" > "$stamp"
