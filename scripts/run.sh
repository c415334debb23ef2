#!/usr/bin/env bash
# Builds and opens the cockpit (arguments go to it), after fetching ONNX
# Runtime when it is missing. Without it (offline, another platform) the
# cockpit still runs and says why its model is unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ./scripts/fetch-onnxruntime.sh; then
  echo "warning: ONNX Runtime could not be fetched; the cockpit will run without its model" >&2
fi
exec cargo run --release --locked -- "$@"
