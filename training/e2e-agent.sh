#!/usr/bin/env bash
# Local check of the agent's pipeline (not of the policy's quality; never run by CI,
# which has no torch): installs training/.venv-agent, runs the agent's unit tests,
# trains a quick policy into OUT_DIR from the real shared data through the cockpit's
# feature export, and checks the files with training/.venv's check_model.py, the way
# CI checks the GBM. Usage: training/e2e-agent.sh OUT_DIR   (cockpit binary:
# $COCKPIT_BIN, else target/release/cockpit; data: $COCKPIT_SHARED_DATA, else ../shared/data)
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: training/e2e-agent.sh OUT_DIR" >&2
  exit 2
fi
out="$1"
here="$(cd "$(dirname "$0")" && pwd)"
export PYTHONDONTWRITEBYTECODE=1

"$here/setup.sh"
"$here/setup-agent.sh"
if ! tests="$("$here/.venv-agent/bin/python" -m unittest discover -s "$here" -p 'agenttest_*.py' 2>&1)"; then
  echo "$tests" >&2
  exit 1
fi
echo "$tests" | tail -n 3
"$here/.venv-agent/bin/python" "$here/train_agent.py" --quick --out-dir "$out" --name ppo
"$here/.venv/bin/python" "$here/check_model.py" "$out/ppo.json"
