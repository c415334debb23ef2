#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing, and fails
# with a message saying what to install when it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

# The terminal tests drive the real binary inside tmux.
if ! command -v tmux >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing tmux for the terminal tests…"
    apt-get update -qq >/dev/null && apt-get install -y -qq tmux >/dev/null
  else
    echo "error: the terminal tests need tmux: install it (sudo apt-get install tmux)" >&2
    exit 1
  fi
fi

# The backtest report's PNG draws its text with a system font (the project ships none).
has_font() {
  { find /usr/share/fonts /usr/local/share/fonts "$HOME/.local/share/fonts" "$HOME/.fonts" \
      \( -name DejaVuSans.ttf -o -name LiberationSans-Regular.ttf -o -name NotoSans-Regular.ttf \
      -o -name FreeSans.ttf \) 2>/dev/null || true; } | grep -q .
}
if ! has_font; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing fonts-dejavu-core for the backtest report tests…"
    apt-get update -qq >/dev/null && apt-get install -y -qq fonts-dejavu-core >/dev/null
  else
    echo "error: the backtest report tests need a font: install it (sudo apt-get install fonts-dejavu-core)" >&2
    exit 1
  fi
fi

# Tests read real market data from ../shared/data (or $COCKPIT_SHARED_DATA).
data="${COCKPIT_SHARED_DATA:-../shared/data}"
if [ ! -d "$data/klines" ]; then
  echo "error: shared market data not found at $data: check it out beside the project or set COCKPIT_SHARED_DATA" >&2
  exit 1
fi

# The AI tests load ONNX Runtime 1.31.1, one shared library from PyPI's wheel.
./scripts/fetch-onnxruntime.sh

# The training pipeline's end-to-end test trains a small model in training/.venv
# (pinned PyPI packages, about 25 s the first time).
./training/setup.sh

# The terminal tests drive the release binary, the one operators run.
# Cargo says where it put the binary, whatever the target dir is set by.
COCKPIT_TEST_BIN=$(cargo build --release --locked --message-format=json-render-diagnostics |
  sed -n 's/.*"executable":"\([^"]*\/cockpit\)".*/\1/p' | tail -n 1)
if [ ! -x "$COCKPIT_TEST_BIN" ]; then
  echo "error: cargo build --release did not report the cockpit binary" >&2
  exit 1
fi
export COCKPIT_TEST_BIN

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all test binaries.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
