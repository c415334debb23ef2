#!/usr/bin/env bash
# Shows that a backtest's memory follows the symbols and the trades, not the
# candles: the release binary backtests seven years of BTCUSDT 1h, then the
# same candles repeated end to end 4 and 16 times (shifted in time: 28 and
# 112 years, 0.23 M and 0.94 M candles), and prints the peak resident memory
# of each run (GNU time's maximum RSS), with the default strategy and with
# one that never trades (strategy.adx_min = 100). The trade list is the
# result and grows with the trades; without trades the memory must not grow:
# exits 1 when the longest such run takes more than 1.5 times the shortest.
#
#   benches/backtest_memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
  echo "error: this needs GNU time: install it (sudo apt-get install time)" >&2
  exit 1
fi
# The shared data as every test finds it: $COCKPIT_SHARED_DATA, else ../shared/data.
source="${COCKPIT_SHARED_DATA:-../shared/data}/klines/BTCUSDT-1h-umfutures.csv"
if [ ! -f "$source" ]; then
  echo "error: $source not found: check out the shared data beside the project or set COCKPIT_SHARED_DATA" >&2
  exit 1
fi
cargo build --release --locked --quiet
bin="$(realpath "${CARGO_TARGET_DIR:-target}")/release/cockpit"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# N copies of the file, each shifted by the whole file's span plus one hour.
repeat() {
  python3 - "$source" "$1" "$work/BTCUSDT-1h-x$1.csv" <<'PY'
import sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = [l for l in open(src).read().splitlines() if l]
header, rows = lines[0], lines[1:]
first, last = int(rows[0].split(",", 1)[0]), int(rows[-1].split(",", 1)[0])
span = last - first + 3_600_000
with open(out, "w") as f:
    f.write(header + "\n")
    for k in range(n):
        for r in rows:
            t, rest = r.split(",", 1)
            f.write(f"{int(t) + k * span},{rest}\n")
PY
}

peak() { # peak RSS in KB and the seconds of one run; extra env in "$@"
  env "$@" /usr/bin/time -f '%M %e' -o "$work/time" "$bin" backtest --data "$file" --json "$work/out.json" 2>/dev/null
  cat "$work/time"
}
mib() { awk "BEGIN { printf \"%.1f MiB\", $1 / 1024 }"; }

printf '%-7s %9s %7s %8s %11s %14s\n' copies candles trades seconds "peak RSS" "no trades: RSS"
quiet=()
for n in 1 4 16; do
  repeat "$n"
  file="$work/BTCUSDT-1h-x$n.csv"
  candles=$(($(wc -l < "$file") - 1))
  read -r rss secs <<< "$(peak)"
  trades=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['trades']))" "$work/out.json")
  read -r still _ <<< "$(peak COCKPIT_STRATEGY_ADX_MIN=100)"
  printf '%-7s %9s %7s %8s %11s %14s\n' "$n" "$candles" "$trades" "$secs" "$(mib "$rss")" "$(mib "$still")"
  quiet+=("$still")
done
if [ "${quiet[2]}" -gt $((quiet[0] * 3 / 2)) ]; then
  echo "memory grows with the candles: ${quiet[0]} KB → ${quiet[2]} KB without a trade" >&2
  exit 1
fi
