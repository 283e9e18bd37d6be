#!/usr/bin/env bash
# --progress auto where people run the farm: under mpirun in a terminal (made by
# script(1)), with stderr redirected to a file, and piped. Without --progress given, a
# terminal at mpirun's end gets the live bar; a file or a pipe gets timestamped log lines,
# the first within 5 s.
# Usage: progress_test.sh path/to/taskfarm
TF=${1:?usage: progress_test.sh path/to/taskfarm}
source "$(dirname "$0")/lib.sh"

# Runs a shell command line inside a new pseudo-terminal; what reaches the terminal goes
# to FILE, flushed as it comes.
in_terminal() {  # in_terminal FILE COMMAND_LINE
  timeout 120 script -qfec "$2" "$1" >/dev/null
}
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f\n", b - a }'; }
farm="${MPIRUN[*]} -n 4 '$TF'"
job="sleep --tasks 3000 --mean-us 6000 --seed 1"  # about 6 s on 3 workers
bar_pattern=$'\r\e\\[K[0-9]+/3000 [0-9.]+% \\| [0-9.]+ tasks/s \\| ETA'

# mpirun's own start-up and shutdown, to which the bar's 3 s are added.
t0=$(now)
in_terminal "$TMP/startup.tty" "$farm square --tasks 0 >/dev/null"
startup_s=$(seconds_since "$t0")

# 1. A terminal at mpirun's end: the bar, within 3 s of taskfarm's start.
t0=$(now)
in_terminal "$TMP/bar.tty" "$farm $job >/dev/null; echo exit=\$?" &
runner=$!
first_bar_s=""
for _ in $(seq 600); do
  if grep -qaE "$bar_pattern" "$TMP/bar.tty" 2>/dev/null; then
    first_bar_s=$(seconds_since "$t0")
    break
  fi
  kill -0 "$runner" 2>/dev/null || break
  sleep 0.05
done
wait "$runner"
echo "mpirun start-up and shutdown ${startup_s} s; first bar after ${first_bar_s:-never} s"
check "under mpirun in a terminal, auto draws the bar" test -n "$first_bar_s"
check "... within 3 s of taskfarm's start (after mpirun's start-up)" \
  awk -v t="${first_bar_s:-999}" -v s="$startup_s" 'BEGIN { exit !(t <= s + 3) }'
check "... the run exits 0" grep -qa "exit=0" "$TMP/bar.tty"
check "... redrawn several times" test "$(grep -aoE "$bar_pattern" "$TMP/bar.tty" | wc -l)" -ge 4
check "... and the line is closed before the summary" grep -qaE "workers busy \| 0 failed"$'\r?$' "$TMP/bar.tty"

# 2. The same command with stderr redirected to a file: log lines, the first within 5 s.
in_terminal "$TMP/log.tty" "$farm $job >/dev/null 2>'$TMP/log.err'"
check "stderr to a file: the run exits 0" grep -q "sleep complete: 3000 done" "$TMP/log.err"
check "stderr to a file: no bar, no carriage return" bash -c "! grep -qa \$'\\r' '$TMP/log.err'"
check "stderr to a file: timestamped progress lines" grep -qE \
  '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9.]+ taskfarm master: progress: [0-9]+/3000 ' "$TMP/log.err"
# The summary says how long the run took and when it ended: so the run began at
# (summary's time - elapsed), and the first progress line must follow within 5 s.
first_line_s=$(awk '
  function t(line) { split($2, hms, ":"); return hms[1] * 3600 + hms[2] * 60 + hms[3] }
  / progress: / && first == "" { first = t($0) }
  /sleep complete:/ { for (i = 1; i <= NF; i++) if ($i == "in") elapsed = $(i + 1); end = t($0) }
  END { if (first == "" || elapsed == "") print "none"; else printf "%.3f\n", first - (end - elapsed) }' "$TMP/log.err")
echo "first log line ${first_line_s} s after the run began"
check "stderr to a file: the first progress line within 5 s" \
  awk -v s="$first_line_s" 'BEGIN { exit !(s != "none" && s <= 5.25) }'

# 3. Piped (mpirun's stderr is a pipe, not the terminal): log lines too.
in_terminal "$TMP/pipe.tty" "$farm $job 2>&1 >/dev/null | cat >'$TMP/pipe.err'"
check "stderr piped: log lines, no bar" bash -c \
  "grep -q 'taskfarm master: progress: ' '$TMP/pipe.err' && ! grep -qa \$'\\r' '$TMP/pipe.err'"

# 4. One rank in a terminal draws the bar; with stderr to a file it logs.
in_terminal "$TMP/alone.tty" "'$TF' sleep --tasks 300 --mean-us 3000 >/dev/null"
check "one rank in a terminal: the bar" grep -qaE $'\r\e\\[K[0-9]+/300 ' "$TMP/alone.tty"

finish
