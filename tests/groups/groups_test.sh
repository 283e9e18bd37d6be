#!/usr/bin/env bash
# Tasks on groups of ranks (--ranks-per-task N), through a program on the contract
# (tests/groups/group_check.cpp): built out of tree against an installed taskfarm when
# BUILD_DIR and SOURCE_DIR are given (the release build), else the PROGRAM built in tree
# (the sanitizer build). Every output is compared with awk's serial formula: task x on a
# group of N ranks sums to x * N * (N + 1) / 2.
# Usage: groups_test.sh PROGRAM [BUILD_DIR SOURCE_DIR]
TF=${1:?usage: groups_test.sh PROGRAM [BUILD_DIR SOURCE_DIR]}
source "$(dirname "$0")/../e2e/lib.sh"
GC=$TF
KILL_TASKS=${KILL_TASKS:-2000000}  # the kill tests' (fewer under the sanitizers)
if [ $# -ge 3 ]; then
  build_on_install "$2" "$3/tests/groups/group_check.cpp" group_check
  GC=$BUILT
fi

reference() {  # reference TASKS N [EXTRA_COLUMN]: "x<TAB>sum[<TAB>N]" lines, sorted
  awk -v t="$1" -v n="$2" -v extra="${3:-}" \
    'BEGIN { for (x = 0; x < t; x++) printf "%d\t%.0f%s\n", x, x * n * (n + 1) / 2, extra ? "\t" n : "" }' | sort
}
fold_reference() {  # fold_reference TASKS N: the sum of every task's sum
  python3 -c "print(sum(x * $2 * ($2 + 1) // 2 for x in range($1)))"
}
export -f reference

for case in "5 2" "7 3" "9 4" "3 2" "4 2"; do
  read -r p n <<<"$case"
  run "value$p.$n" "${MPIRUN[@]}" -n "$p" "$GC" --tasks 3000 --ranks-per-task "$n" --expect "$n" --progress none
  check "$p ranks in groups of $n: exit 0, the lines equal the serial formula's (every kernel saw g.size() == $n)" \
    bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/value$p.$n.out') <(reference 3000 $n)"
done
run lines "${MPIRUN[@]}" -n 5 "$GC" --form lines --tasks 3000 --ranks-per-task 2 --expect 2 --progress none
check "void kernel(const T&, const Group&, Out&) at 5 ranks in groups of 2: the lines equal the formula's" \
  bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/lines.out') <(reference 3000 2 1)"
run alone "${MPIRUN[@]}" -n 3 "$GC" --tasks 500 --expect 1 --progress none
check "without --ranks-per-task a group kernel runs on a group of 1" \
  bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/alone.out') <(reference 500 1)"
check "the checker rejects another group size's lines" fails cmp -s <(sort "$TMP/alone.out") <(reference 500 2)

# A rank left over, and the report's groups.
run leftover "${MPIRUN[@]}" -n 4 "$GC" --tasks 1000 --ranks-per-task 2 --report "$TMP/leftover.json" --progress none
check "4 ranks in groups of 2: one line says rank 3 runs no task; the report lists the groups and the idle rank" \
  bash -c "[ $rc -eq 0 ] && [ \$(grep -c 'runs no task' '$TMP/leftover.err') -eq 1 ] && grep -q 'rank 3 runs no task: 3 worker ranks make 1 group of 2' '$TMP/leftover.err' &&
           python3 -c \"import json,sys; r=json.load(open('$TMP/leftover.json')); sys.exit(not (r['groups'] == [[1, 2]] and r['idle_ranks'] == [3] and r['ranks_per_task'] == 2 and r['ranks'] == 4))\""

# Too few worker ranks.
run too_few "${MPIRUN[@]}" -n 2 "$GC" --tasks 10 --ranks-per-task 2
check "2 ranks with --ranks-per-task 2: exit 2, one line naming the option" \
  bash -c "[ $rc -eq 2 ] && [ \$(grep -c 'ranks-per-task' '$TMP/too_few.err') -eq 1 ] && [ ! -s '$TMP/too_few.out' ]"

# Folds, on rank 0 and through part files.
run fold "${MPIRUN[@]}" -n 7 "$GC" --form fold --tasks 20000 --ranks-per-task 3 --progress none
check "a fold at 7 ranks in groups of 3 equals the serial value" \
  bash -c "[ $rc -eq 0 ] && [ \"\$(tail -n 1 '$TMP/fold.out')\" = '$(fold_reference 20000 3)' ]"
run fold_out "${MPIRUN[@]}" -n 5 "$GC" --form fold --tasks 20000 --ranks-per-task 2 --output "$TMP/fold.d" --progress none
check "a fold with --output at 5 ranks in groups of 2: DIR/result equals the serial value" \
  bash -c "[ $rc -eq 0 ] && [ \"\$(cat '$TMP/fold.d/result')\" = '$(fold_reference 20000 2)' ]"

# A kernel that throws on the group's last rank, after the group's collective.
run throws "${MPIRUN[@]}" -n 5 "$GC" --tasks 3000 --ranks-per-task 2 --throw-every 97 --retries 0 \
  --output "$TMP/throws.d" --progress none
awk 'BEGIN { for (x = 0; x < 3000; x++) if (x % 97 == 1) print x }' >"$TMP/throws.ref"
check "tasks that throw on the group's last rank fail, exactly those: exit 1, _failed lists them" \
  bash -c "[ $rc -eq 1 ] && cmp -s <(sort -n '$TMP/throws.d/_failed') '$TMP/throws.ref'"
check "... each with that rank's message" grep -q 'failed on rank [0-9]*: task 98 thrown on group rank 1' "$TMP/throws.err"

# The same, thrown as taskfarm::PermanentError, with retries allowed: each fails once.
run permanent "${MPIRUN[@]}" -n 5 "$GC" --tasks 3000 --ranks-per-task 2 --throw-every 97 --permanent --retries 2 \
  --output "$TMP/permanent.d" --progress none
check "PermanentError on the group's last rank, --retries 2: exit 1, _failed lists exactly those tasks" \
  bash -c "[ $rc -eq 1 ] && cmp -s <(sort -n '$TMP/permanent.d/_failed') '$TMP/throws.ref'"
check "... each tried once, its log line saying it is not retried" \
  bash -c "[ \$(grep -c 'not to be retried: task [0-9]* thrown on group rank 1' '$TMP/permanent.err') -eq \$(wc -l <'$TMP/throws.ref') ] &&
           [ \$(grep -c 'failed on rank' '$TMP/permanent.err') -eq \$(wc -l <'$TMP/throws.ref') ]"

# A leader that throws before the collective strands its group inside it: --task-timeout
# gives its tasks to the other group; the run commits everything, then ends (exit 5).
run strand "${MPIRUN[@]}" -n 5 "$GC" --tasks 3000 --ranks-per-task 2 --strand 1500 --task-timeout 2 \
  --output "$TMP/strand.d" --report "$TMP/strand.json" --progress none
check "a group stranded in a collective: its tasks go to the other group; every line committed, exit 5" \
  bash -c "[ $rc -eq 5 ] && [ -e '$TMP/strand.d/_SUCCESS' ] && cmp -s <(cat '$TMP/strand.d'/part-* | sort) <(reference 3000 2) &&
           python3 -c \"import json,sys; r=json.load(open('$TMP/strand.json')); sys.exit(len(r['stuck_ranks']) != 1)\""

# One rank of a group dies (not its leader): mpirun ends the job, and the resume counts
# the group's tasks in flight as a dead rank's (suspects, each run alone), not as a
# stopped rank's.
setsid mpirun --oversubscribe -n 5 "$GC" --form fold --tasks "$KILL_TASKS" --ranks-per-task 2 --slow-us 1 \
  --output "$TMP/dead.d" --progress none >/dev/null 2>"$TMP/dead.err" &
job=$!
wait_for_journal "$TMP/dead.d" 1000 "$job"
victim=""
for p in $(pgrep -s "$job" -f "$GC"); do
  grep -qzx 'OMPI_COMM_WORLD_RANK=2' "/proc/$p/environ" 2>/dev/null && victim=$p
done
check "rank 2 (rank 1's group) was found running" test -n "$victim"
kill -9 $victim
wait "$job"
kill_job "$job"
run dead_resume "${MPIRUN[@]}" -n 5 "$GC" --form fold --tasks "$KILL_TASKS" --ranks-per-task 2 --slow-us 1 \
  --output "$TMP/dead.d" --resume --progress none
check "a group's rank killed: the resume treats the group's tasks as a dead rank's, and the fold is exact" \
  bash -c "[ $rc -eq 0 ] && grep -q 'in flight on a rank that died' '$TMP/dead_resume.err' &&
           [ \"\$(cat '$TMP/dead.d/result')\" = '$(fold_reference "$KILL_TASKS" 2)' ]"

# kill -9 of the whole job at a random moment, then --resume: the exact fold, three times.
fold_reference "$KILL_TASKS" 2 >"$TMP/kill.ref"
for round in 1 2 3; do
  KILL_RANKS=5 KILLS=1 kill_and_resume "group_fold$round" "$TMP/kill.ref" "$GC" --form fold --tasks "$KILL_TASKS" \
    --ranks-per-task 2 --slow-us 1 --progress none
done
finish
