#!/usr/bin/env bash
# Resume: the whole mpirun is killed with SIGKILL at 10 random moments, resumed each time,
# and the final output must be exactly that of an uninterrupted run. Then a damaged
# journal: a torn last record is recovered from, damage elsewhere is a clear error.
# Usage: resume_test.sh path/to/taskfarm
TF=${1:?usage: resume_test.sh path/to/taskfarm}
source "$(dirname "$0")/lib.sh"

TASKS=8000000
ARGS=(--batch 1 square --tasks "$TASKS" --seed 21)
"$TF" "${ARGS[@]}" 2>/dev/null | sort >"$TMP/reference"
check "the reference run has every line" test "$(wc -l <"$TMP/reference")" -eq "$TASKS"

OUT="$TMP/out"
killed_mid_run=0
for i in $(seq 10); do
  setsid mpirun --oversubscribe -n 3 "$TF" "${ARGS[@]}" --output "$OUT" --resume >/dev/null 2>&1 &
  pid=$!
  sleep "$(python3 -c "import random; print(round(random.uniform(0.3, 1.5), 3))")"
  kill_job "$pid"
  [ -e "$OUT/_SUCCESS" ] || killed_mid_run=$((killed_mid_run + 1))
  check "kill $i: no part file looks final before the job completes" \
    bash -c "[ -e '$OUT/_SUCCESS' ] || ! ls '$OUT' 2>/dev/null | grep -q '^part-'"
done
echo "$killed_mid_run of 10 kills hit a running job"
check "most kills hit a running job" test "$killed_mid_run" -ge 5
timeout 300 mpirun --oversubscribe -n 3 "$TF" "${ARGS[@]}" --output "$OUT" --resume >/dev/null 2>"$TMP/final.err"
check "the last resume completes" test $? -eq 0 -a -e "$OUT/_SUCCESS"
check "after 10 kills the output equals the uninterrupted run" cmp -s <(cat "$OUT"/part-* | sort) "$TMP/reference"
timeout 60 mpirun --oversubscribe -n 3 "$TF" "${ARGS[@]}" --output "$OUT" --resume >/dev/null 2>"$TMP/again.err"
check "resuming a completed job exits 0 and changes nothing" \
  bash -c "[ $? -eq 0 ] && grep -q 'already complete' '$TMP/again.err' && cmp -s <(cat '$OUT'/part-* | sort) '$TMP/reference'"
timeout 60 mpirun --oversubscribe -q -n 3 "$TF" --batch 1 square --tasks "$TASKS" --seed 22 --output "$OUT" --resume \
  >/dev/null 2>"$TMP/other.err"
check "other arguments are refused with exit 2" test $? -eq 2
check "... naming both" grep -q 'holds a run of other arguments.*"seed":21.*this run is.*"seed":22' "$TMP/other.err"

# A damaged journal. Make a killed run first, then damage copies of it.
BASE="$TMP/base"
setsid mpirun --oversubscribe -n 3 "$TF" "${ARGS[@]}" --output "$BASE" >/dev/null 2>&1 &
pid=$!
sleep 1.2
kill_job "$pid"
size=$(stat -c %s "$BASE/_journal")
check "the killed run left a journal" test "$size" -gt 100
cp -r "$BASE" "$TMP/torn"
truncate -s $((size - 5)) "$TMP/torn/_journal"
timeout 300 mpirun --oversubscribe -n 3 "$TF" "${ARGS[@]}" --output "$TMP/torn" --resume >/dev/null 2>&1
check "a torn last record is dropped and the resume is exact" \
  bash -c "[ $? -eq 0 ] && cmp -s <(cat '$TMP/torn'/part-* | sort) '$TMP/reference'"
cp -r "$BASE" "$TMP/damaged"
printf 'X' | dd of="$TMP/damaged/_journal" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
timeout 60 mpirun --oversubscribe -q -n 3 "$TF" "${ARGS[@]}" --output "$TMP/damaged" --resume >/dev/null 2>"$TMP/d.err"
check "damage inside the journal: exit 2 and a clear error" \
  bash -c "[ $? -eq 2 ] && grep -q 'journal .* is damaged at byte' '$TMP/d.err'"
cp -r "$BASE" "$TMP/garbage"
head -c 100 /dev/urandom >"$TMP/garbage/_journal"
timeout 60 mpirun --oversubscribe -q -n 3 "$TF" "${ARGS[@]}" --output "$TMP/garbage" --resume >/dev/null 2>"$TMP/g.err"
check "a journal that is not one: exit 2 and a clear error" bash -c "[ $? -eq 2 ] && grep -q 'journal' '$TMP/g.err'"
timeout 60 mpirun --oversubscribe -q -n 3 "$TF" "${ARGS[@]}" --output "$BASE" >/dev/null 2>"$TMP/n.err"
check "an unfinished run is not overwritten without --resume or --overwrite" \
  bash -c "[ $? -eq 2 ] && grep -q 'unfinished run' '$TMP/n.err'"
timeout 60 mpirun --oversubscribe -q -n 3 "$TF" wordcount --input "$TMP/reference" --output "$TMP/wc" --resume \
  >/dev/null 2>"$TMP/w.err"
check "wordcount refuses --resume, saying why" bash -c "[ $? -eq 2 ] && grep -q 'cannot resume yet' '$TMP/w.err'"

finish
