#!/usr/bin/env bash
# Every row of the bad-input table in docs/reference.md, as it stands there: one line on
# stderr naming the problem, exit 2, nothing on stdout, nothing written. The table is read
# from the reference itself, so the two cannot drift apart. Each answer's time is printed (the
# bar is 2 s; tests assert no times, only a hang-catching timeout).
# Usage: bad_input_test.sh path/to/taskfarm path/to/docs/reference.md
TF=${1:?usage: bad_input_test.sh path/to/taskfarm path/to/docs/reference.md}
REFERENCE=$(realpath "${2:?usage: bad_input_test.sh path/to/taskfarm path/to/docs/reference.md}")
source "$(dirname "$0")/lib.sh"

# The rows: | `taskfarm` and | the error names |, between that header and a blank line.
mapfile -t rows < <(awk '/^\| `taskfarm` and \| the error names \|$/ {on = 1; next}
                         on && /^$/ {exit}
                         on && /^\| `/ {print}' "$REFERENCE")
check "the reference's table has at least 30 rows (found ${#rows[@]})" test "${#rows[@]}" -ge 30

# The fixtures the table names.
WORK="$TMP/work"
mkdir -p "$WORK/empty" "$WORK/fifo"
printf 'one two\nthree\n' >"$WORK/words.txt"
printf 'true\ntrue\n' >"$WORK/tasks.txt"
mkfifo "$WORK/fifo/pipe"
(cd "$WORK" && timeout 60 "$TF" square --tasks 3 --seed 1 --output done >/dev/null 2>"$TMP/done.err")
check "the fixture 'done' is a finished run" test -e "$WORK/done/_SUCCESS"
snapshot() { (cd "$WORK" && find . -printf '%p %s %T@\n' | sort); }
before=$(snapshot)

slowest=0
for row in "${rows[@]}"; do
  command=$(sed -E 's/^\| `([^`]*)` \|.*/\1/' <<<"$row")
  names=$(sed -E 's/^\| `[^`]*` \| `([^`]*)` \|$/\1/' <<<"$row")
  read -ra args <<<"$command"
  start=$(date +%s%N)
  (cd "$WORK" && timeout 20 "$TF" "${args[@]}" >"$TMP/out" 2>"$TMP/err" </dev/null)
  rc=$?
  took=$((($(date +%s%N) - start) / 1000000))
  ((took > slowest)) && slowest=$took
  check "taskfarm $command: exit 2 (got $rc)" test "$rc" -eq 2
  check "taskfarm $command: one line on stderr, 'taskfarm: error:' naming $names ($(head -c 300 "$TMP/err"))" \
    bash -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -qF -- "taskfarm: error: " "$1" && grep -qF -- "$2" "$1"' _ "$TMP/err" "$names"
  check "taskfarm $command: nothing on stdout" test ! -s "$TMP/out"
  check "taskfarm $command: nothing written" test "$(snapshot)" = "$before"
  echo "  answered in $took ms"
done
echo "slowest answer: $slowest ms (bar 2000 ms)"
finish
