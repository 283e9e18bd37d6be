#!/usr/bin/env bash
# End-to-end tests of the taskfarm program as users run it, under mpirun and alone.
# Oracles are independent of the program: awk recomputes every square, coreutils compare.
# Usage: cli_test.sh path/to/taskfarm
TF=${1:?usage: cli_test.sh path/to/taskfarm}
source "$(dirname "$0")/lib.sh"

# Every line is "n * n = r" with 0 <= n <= 10000 and r = n*n, recomputed by awk.
squares_correct() {  # squares_correct FILE EXPECTED_LINES
  awk -v want="$2" '
    $2 != "*" || $4 != "=" || $1 != $3 || $1 < 0 || $1 > 10000 || $1 * $1 != $5 || NF != 5 { bad++ }
    END { exit !(bad == 0 && NR == want) }' "$1"
}

# 1. The README example: 4 ranks, 10 tasks.
"${MPIRUN[@]}" -n 4 "$TF" square --tasks 10 --seed 1 >"$TMP/ex4.out" 2>"$TMP/ex4.err"
check "mpirun -n 4 square --tasks 10 exits 0" test $? -eq 0
check "mpirun -n 4 prints 10 correct lines" squares_correct "$TMP/ex4.out" 10
check "the summary line goes to stderr" grep -q "square complete: 10 done, 0 failed of 10" "$TMP/ex4.err"

# 2. Without mpirun the master runs the tasks itself, with the same results.
"$TF" square --tasks 10 --seed 1 >"$TMP/ex1.out" 2>/dev/null
check "one rank without mpirun exits 0" test $? -eq 0
check "one rank prints the same lines as four" cmp -s <(sort "$TMP/ex1.out") <(sort "$TMP/ex4.out")
check "the default is 10 tasks" bash -c "'$TF' square 2>/dev/null | wc -l | grep -qx 10"

# 3. Results do not depend on the rank count.
"$TF" square --tasks 3000 --seed 99 2>/dev/null | sort >"$TMP/ref.sorted"
for n in 2 3 5; do
  "${MPIRUN[@]}" -n "$n" "$TF" square --tasks 3000 --seed 99 2>/dev/null | sort >"$TMP/n$n.sorted"
  check "-n $n gives exactly the one-rank output" cmp -s "$TMP/ref.sorted" "$TMP/n$n.sorted"
done

# 4. 100000 tasks on 8 ranks (2 cores): correct, and no rank spins the others out.
timeout 120 "${MPIRUN[@]}" -n 8 "$TF" square --tasks 100000 --seed 5 --report "$TMP/r.json" >"$TMP/big.out" 2>/dev/null
check "-n 8 with 100000 tasks exits 0" test $? -eq 0
check "-n 8 with 100000 tasks prints 100000 correct lines" squares_correct "$TMP/big.out" 100000
check "the report has the documented fields" python3 -c "
import json, sys
r = json.load(open('$TMP/r.json'))
need = ['job', 'ranks', 'workers', 'tasks_total', 'tasks_done', 'tasks_failed', 'elapsed_s', 'tasks_per_s', 'per_worker']
assert all(k in r for k in need), r.keys()
assert r['job'] == 'square' and r['ranks'] == 8 and r['workers'] == 7
assert r['tasks_total'] == r['tasks_done'] == 100000 and r['tasks_failed'] == 0
assert sum(w['tasks'] for w in r['per_worker']) == 100000
assert all(set(w) >= {'rank', 'tasks', 'busy_s'} for w in r['per_worker'])
"

# 5. Zero tasks, and more workers than tasks.
check "zero tasks end cleanly" bash -c "'${MPIRUN[0]}' --oversubscribe -n 3 '$TF' square --tasks 0 2>/dev/null | wc -c | grep -qx 0"
"${MPIRUN[@]}" -n 5 "$TF" square --tasks 2 --seed 3 >"$TMP/few.out" 2>/dev/null
check "two tasks on four workers" squares_correct "$TMP/few.out" 2

# 6. Bad input: one line from rank 0 naming the problem, exit 2, every rank gone.
usage_case() {  # usage_case EXPECTED_SUBSTRING ARGS...
  local want=$1
  shift
  timeout 20 "${MPIRUN[@]}" -q -n 3 "$TF" "$@" >"$TMP/u.out" 2>"$TMP/u.err"
  local rc=$?
  check "'$*' exits 2" test "$rc" -eq 2
  check "'$*' prints exactly one line" test "$(wc -l <"$TMP/u.err")" -eq 1
  check "'$*' names the problem" grep -q -- "$want" "$TMP/u.err"
  check "'$*' prints nothing on stdout" test ! -s "$TMP/u.out"
}
usage_case "--tasks: expected a non-negative integer, got '-3'" square --tasks -3
usage_case "unknown option '--bogus'" square --bogus
usage_case "unknown job 'nosuchjob'" nosuchjob
usage_case "--batch" --batch zero square
# Without -q mpirun adds its own notice box; ours is still the only "taskfarm:" line.
"${MPIRUN[@]}" -n 3 "$TF" square --bogus 2>"$TMP/box.err" >/dev/null
check "exactly one taskfarm line among mpirun's notices" test "$(grep -c '^taskfarm:' "$TMP/box.err")" -eq 1

# 7. --verbose narrates the example's steps.
"${MPIRUN[@]}" -n 3 "$TF" square --tasks 4 --seed 2 --verbose >/dev/null 2>"$TMP/v.err"
check "verbose master puts tasks" test "$(grep -c 'master: Put task [0-9]*\.\.\.' "$TMP/v.err")" -eq 4
check "verbose workers run tasks, with their rank" test "$(grep -cE 'rank [12]: run task ([0-9]+) \* \1\.\.\.' "$TMP/v.err")" -eq 4

# 8. --output DIR: workers write part files, committed only when every task succeeded.
OUT="$TMP/out"
"${MPIRUN[@]}" -n 4 "$TF" square --tasks 5000 --seed 8 --output "$OUT" >"$TMP/o.stdout" 2>/dev/null
check "--output exits 0" test $? -eq 0
check "--output prints no results on stdout" test ! -s "$TMP/o.stdout"
check "--output writes one part file per worker, _SUCCESS and _report.json" \
  test -f "$OUT/_SUCCESS" -a -f "$OUT/_report.json" -a -f "$OUT/part-00000" -a -f "$OUT/part-00002" -a ! -e "$OUT/part-00003" -a ! -e "$OUT/_temporary"
"$TF" square --tasks 5000 --seed 8 2>/dev/null | sort >"$TMP/o.ref"
check "the part files hold exactly the one-rank results" cmp -s <(cat "$OUT"/part-* | sort) "$TMP/o.ref"
check "the report in DIR counts every task" python3 -c "
import json; r = json.load(open('$OUT/_report.json'))
assert r['status'] == 'complete' and r['tasks_done'] == 5000
assert sum(w['bytes_written'] for w in r['per_worker']) == $(wc -c <"$TMP/o.ref")"
usage_case "already holds results" square --tasks 5 --output "$OUT"
check "a refused run leaves the old results" cmp -s <(cat "$OUT"/part-* | sort) "$TMP/o.ref"
"${MPIRUN[@]}" -n 3 "$TF" square --tasks 5 --seed 8 --output "$OUT" --overwrite >/dev/null 2>&1
check "--overwrite replaces them" test "$(cat "$OUT"/part-* | wc -l)" -eq 5 -a ! -e "$OUT/part-00002"
"$TF" square --tasks 9 --seed 8 --output "$TMP/alone" >/dev/null 2>&1
check "one rank writes part-00000 itself" test "$(wc -l <"$TMP/alone/part-00000")" -eq 9 -a -f "$TMP/alone/_SUCCESS"
"${MPIRUN[@]}" -n 3 "$TF" sleep --tasks 20 --mean-us 10 --fail-every 5 --output "$TMP/failed" >/dev/null 2>"$TMP/f.err"
check "a run with failed tasks exits 1" test $? -eq 1
check "each failed attempt is logged with its task and message (4 tasks x 3 attempts)" \
  test "$(grep -c 'task [0-9]* failed on rank [12]: injected failure' "$TMP/f.err")" -eq 12
check "a failed run leaves no part file and no _SUCCESS" \
  bash -c "! ls '$TMP/failed' | grep -qE '^(part-|_SUCCESS)'"
check "a failed run still reports" python3 -c "
import json; r = json.load(open('$TMP/failed/_report.json'))
assert r['status'] == 'failed' and r['tasks_failed'] == 4 and r['tasks_done'] == 16"

# 9. Retries, _failed and --halt-on-error.
"${MPIRUN[@]}" -n 3 "$TF" sleep --tasks 20 --mean-us 10 --fail-every 5 --fail-attempts 2 --retries 2 >"$TMP/r.out" 2>"$TMP/r.err"
check "tasks that fail twice succeed on the third attempt: exit 0" test $? -eq 0
check "... and every task is done once" test "$(cut -f1 "$TMP/r.out" | sort -n | uniq | wc -l)" -eq 20 -a "$(wc -l <"$TMP/r.out")" -eq 20
check "... each retry on the other worker" bash -c "
  grep -o 'task [0-9]* failed on rank [0-9]' '$TMP/r.err' | sort | uniq -c | awk '\$1 != 1 { bad = 1 } END { exit bad }'"
"${MPIRUN[@]}" -n 3 "$TF" sleep --tasks 20 --mean-us 10 --fail-every 5 --retries 2 --output "$TMP/always" >/dev/null 2>&1
check "a task that always fails: exit 1" test $? -eq 1
check "... it is in _failed, one line per task" test "$(wc -l <"$TMP/always/_failed")" -eq 4
check "... after 3 attempts, and every other task is done" python3 -c "
import json; r = json.load(open('$TMP/always/_report.json'))
assert r['tasks_done'] == 16 and r['tasks_failed'] == 4
assert sorted(f['id'] for f in r['failed_tasks']) == [4, 9, 14, 19]
assert all(f['attempts'] == 3 for f in r['failed_tasks'])"
"${MPIRUN[@]}" -n 2 "$TF" --batch 1 sleep --tasks 200 --mean-us 1000 --fail-every 3 --retries 0 --halt-on-error \
  --report "$TMP/halt.json" >/dev/null 2>"$TMP/halt.err"
check "--halt-on-error: exit 1" test $? -eq 1
check "--halt-on-error: stops handing out tasks" python3 -c "
import json; r = json.load(open('$TMP/halt.json'))
assert r['tasks_failed'] >= 1 and r['tasks_done'] + r['tasks_failed'] < 200, r"
check "--halt-on-error says so" grep -q "halting on error" "$TMP/halt.err"

# 10. --result-timeout: the master stops waiting on stuck ranks, keeps what is done, exits 3.
start=$(date +%s)
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" --result-timeout 1 sleep --tasks 3 --mean-us 30000000 --output "$TMP/rt" \
  >/dev/null 2>"$TMP/rt.err"
rc=$?
check "--result-timeout: exit 3" test "$rc" -eq 3
check "--result-timeout: well before the 30 s tasks end" test $(($(date +%s) - start)) -lt 20
check "--result-timeout: says why it stops" grep -q 'stopping: no result for 1 s (--result-timeout)' "$TMP/rt.err"
check "--result-timeout: names the stuck ranks" \
  test "$(grep -c 'rank [12] did not answer the stop message: it is stuck' "$TMP/rt.err")" -eq 2
check "--result-timeout: the report names them too" \
  python3 -c "import json; assert json.load(open('$TMP/rt/_report.json'))['stuck_ranks'] == [1, 2]"
check "--result-timeout: report and journal kept, nothing published" \
  bash -c "[ -f '$TMP/rt/_report.json' -a -f '$TMP/rt/_journal' ] && ! ls '$TMP/rt' | grep -qE '^(part-|_SUCCESS)'"

# 12. --task-timeout: a hanging task gets a backup attempt on another worker; the job
# commits every result, then ends with MPI_Abort (exit 5) because the stuck rank never
# answers.
"$TF" sleep --tasks 30 --mean-us 1000 2>/dev/null | sort >"$TMP/hang.ref"
timeout 120 "${MPIRUN[@]}" -q -n 4 "$TF" --task-timeout 1 sleep --tasks 30 --mean-us 1000 --hang-every 15 \
  --output "$TMP/hang" >/dev/null 2>"$TMP/hang.err"
check "--task-timeout with hanging tasks: exit 5 (done, a rank aborted)" test $? -eq 5
check "--task-timeout: committed (_SUCCESS)" test -f "$TMP/hang/_SUCCESS"
check "--task-timeout: every task's result is there, once" cmp -s <(cat "$TMP/hang"/part-* | sort) "$TMP/hang.ref"
check "--task-timeout: the log names the retired rank" grep -q "no more work for it" "$TMP/hang.err"
check "--task-timeout: the report names the stuck ranks" python3 -c "
import json; r = json.load(open('$TMP/hang/_report.json'))
assert r['stuck_ranks'] and all(w['retired'] for w in r['per_worker'] if w['rank'] in r['stuck_ranks']), r['stuck_ranks']"
check "--task-timeout is refused for wordcount (its map lives in memory)" bash -c \
  "'$TF' --task-timeout 1 wordcount --input /dev/null --output '$TMP/x' 2>&1 | grep -q 'task-timeout: job wordcount cannot'"

# 13. SIGUSR1, as Slurm sends before the walltime: no new tasks, commit, exit 3; --resume
# then finishes with exactly an uninterrupted run's output. Progress lines on the way.
"$TF" sleep --tasks 1500 --mean-us 3000 --seed 5 2>/dev/null | sort >"$TMP/sig.ref"
setsid "${MPIRUN[@]}" -n 3 "$TF" --progress log --progress-interval 0.2 sleep --tasks 1500 --mean-us 3000 --seed 5 \
  --output "$TMP/sig" >/dev/null 2>"$TMP/sig.err" &
job=$!
for _ in $(seq 100); do grep -q "progress:" "$TMP/sig.err" 2>/dev/null && break; sleep 0.1; done
kill -USR1 "$job"
wait "$job"
check "SIGUSR1: exit 3 (incomplete, resumable)" test $? -eq 3
check "SIGUSR1: the log says so" grep -q "SIGUSR1 received: no new tasks" "$TMP/sig.err"
check "SIGUSR1: progress lines carry counts, rate and ETA" \
  grep -qE "progress: [0-9]+/1500 [0-9.]+% \| [0-9.]+ tasks/s \| ETA [0-9:]+ \| [0-2]/2 workers busy \| 0 failed" "$TMP/sig.err"
check "SIGUSR1: the report says incomplete, nothing published" bash -c \
  "grep -q '\"status\": \"incomplete\"' '$TMP/sig/_report.json' && ! ls '$TMP/sig' | grep -q '^part-'"
timeout 120 "${MPIRUN[@]}" -n 3 "$TF" sleep --tasks 1500 --mean-us 3000 --seed 5 --output "$TMP/sig" --resume \
  >/dev/null 2>/dev/null
check "SIGUSR1: --resume completes" test $? -eq 0
check "SIGUSR1: the output equals an uninterrupted run" cmp -s <(cat "$TMP/sig"/part-* | sort) "$TMP/sig.ref"
check "scripts/plot-report draws a PNG from the report" bash -c \
  "'$(dirname "$0")/../../scripts/plot-report' '$TMP/sig/_report.json' '$TMP/sig.png' >/dev/null && head -c 8 '$TMP/sig.png' | grep -q PNG"

# 11. --help and --version.
check "--help exits 0 and lists the jobs" bash -c "'$TF' --help | grep -q square"
check "--version" bash -c "'$TF' --version | grep -q '^taskfarm '"

finish
