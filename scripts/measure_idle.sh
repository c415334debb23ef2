#!/usr/bin/env bash
# Measures what the cockpit costs while nobody touches it: the release binary
# on the demo market (built-in defaults: a 2 s candle in 8 ticks, 4 updates/s)
# in a detached 160×48 tmux session. Prints the CPU it used over the sample
# (percent of one core) and its resident memory, then quits it with `q`.
# Targets: CPU < 2 % of a core, RSS < 60 MB; exits 1 when one is missed.
#
#   scripts/measure_idle.sh            # 10 s warm-up, 30 s sample
#   WARM=5 SAMPLE=60 scripts/measure_idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."

warm=${WARM:-10}
sample=${SAMPLE:-30}
if ! command -v tmux >/dev/null 2>&1; then
  echo "error: this needs tmux: install it (sudo apt-get install tmux)" >&2
  exit 1
fi

cargo build --release --locked
bin="$(realpath "${CARGO_TARGET_DIR:-target}")/release/cockpit"

# A throwaway data dir keeps the user's journal and logs out of it; no user
# config, so the figures are for the defaults. A private tmux server, so no
# session of the user's is touched.
data=$(mktemp -d)
socket="cockpit-idle-$$"
tmux_() { tmux -L "$socket" -f /dev/null "$@"; }
trap 'tmux_ kill-server 2>/dev/null || true; rm -rf "$data"' EXIT
tmux_ new-session -d -s idle -x 160 -y 48 \
  "exec env XDG_CONFIG_HOME=/nonexistent COCKPIT_PATHS_DATA_DIR=$data TERM=xterm-256color $bin"
# `exec` all the way down: the pane's process is the cockpit itself.
pid=$(tmux_ display-message -p -t idle '#{pane_pid}')

for _ in $(seq 50); do
  tmux_ capture-pane -p -t idle | grep -q 'Candles' && break
  sleep 0.2
done
if ! tmux_ capture-pane -p -t idle | grep -q 'Candles'; then
  echo "error: the cockpit screen never showed; the pane holds:" >&2
  tmux_ capture-pane -p -t idle >&2 || true
  exit 1
fi
echo "cockpit pid $pid: warming up ${warm} s, then sampling ${sample} s"
sleep "$warm"

hz=$(getconf CLK_TCK)
# utime + stime of every thread, in clock ticks: fields 14 and 15 of
# /proc/PID/stat, counted after the ")" that ends the command name.
cpu_ticks() { sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }'; }
t0=$(cpu_ticks)
w0=$(date +%s.%N)
sleep "$sample"
t1=$(cpu_ticks)
w1=$(date +%s.%N)
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")

cpu=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v a="$w0" -v b="$w1" \
  'BEGIN { printf "%.2f", 100 * t / hz / (b - a) }')
rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
hwm_mb=$(awk -v k="$hwm_kb" 'BEGIN { printf "%.1f", k / 1024 }')
echo "cpu:  ${cpu} % of one core ($((t1 - t0)) ticks of 1/${hz} s over ${sample} s)"
echo "rss:  ${rss_mb} MiB now, ${hwm_mb} MiB at most (VmRSS/VmHWM); ${threads} threads"

tmux_ send-keys -t idle q
exited=no
for _ in $(seq 50); do
  if ! kill -0 "$pid" 2>/dev/null; then
    exited=yes
    break
  fi
  sleep 0.1
done
echo "quit: $([ "$exited" = yes ] && echo "exited after q" || echo "STILL RUNNING 5 s after q")"
if [ -f "$data/logs/cockpit.log" ]; then
  echo "log file: $(wc -l <"$data/logs/cockpit.log") line(s) in <data dir>/logs/cockpit.log"
fi

status=0
awk -v c="$cpu" 'BEGIN { exit !(c < 2) }' || { echo "MISSED: cpu ${cpu} % >= 2 %"; status=1; }
awk -v k="$rss_kb" 'BEGIN { exit !(k * 1024 < 60e6) }' || { echo "MISSED: rss ${rss_mb} MiB >= 60 MB"; status=1; }
[ "$exited" = yes ] || status=1
exit "$status"
