#!/usr/bin/env bash
# CI check of the training pipeline (not of the model's quality): installs the venv,
# runs the unit tests, trains a quick model into OUT_DIR from the real shared data
# through the cockpit's feature export, and checks the files it wrote the way the
# cockpit reads them. Usage: training/e2e.sh OUT_DIR   (cockpit binary: $COCKPIT_BIN,
# else target/release/cockpit; data: $COCKPIT_SHARED_DATA, else ../shared/data)
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: training/e2e.sh OUT_DIR" >&2
  exit 2
fi
out="$1"
here="$(cd "$(dirname "$0")" && pwd)"
python="$here/.venv/bin/python"
# No __pycache__ left in the checkout.
export PYTHONDONTWRITEBYTECODE=1

"$here/setup.sh"
# Quiet when green (the count and OK), everything when red.
if ! tests="$("$python" -m unittest discover -s "$here" -p 'test_*.py' 2>&1)"; then
  echo "$tests" >&2
  exit 1
fi
echo "$tests" | tail -n 3
"$python" "$here/train_gbm.py" --quick --out-dir "$out" --name gbm
"$python" "$here/check_model.py" "$out/gbm.json"
