#!/usr/bin/env bash
# The side-by-side with vectorbt: makes benches/vectorbt/.venv if missing (or
# when requirements.txt changed), builds cockpit in release, and runs
# compare.py; arguments go to compare.py (e.g. a candle CSV, --runs 5).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv" >&2
    "$python" -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
    echo "$want" > "$stamp"
fi

(cd "$repo" && cargo build --release --quiet)
exec "$venv/bin/python" "$here/compare.py" "$@"
