#!/usr/bin/env bash
# End-to-end tests of the taskfarm program as users run it, under mpirun and alone.
# Oracles are independent of the program: square's lines come from square_reference.c
# (the documented seed-to-value rule), sleep's from its rule (id<TAB>mean), awk recomputes
# every square, coreutils compare. Every run has its own timeout and its exit code checked.
# Usage: cli_test.sh path/to/taskfarm
TF=${1:?usage: cli_test.sh path/to/taskfarm}
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)

# Every line is "n * n = r" with 0 <= n <= 10000 and r = n*n, recomputed by awk.
squares_correct() {  # squares_correct FILE EXPECTED_LINES
  awk -v want="$2" '
    $2 != "*" || $4 != "=" || $1 != $3 || $1 < 0 || $1 > 10000 || $1 * $1 != $5 || NF != 5 { bad++ }
    END { exit !(bad == 0 && NR == want) }' "$1"
}
# Whether FILE's lines, sorted, equal the sorted file REFERENCE.
same_lines() { cmp -s <(sort "$1") "$2"; }

# 1. The README example: 4 ranks, 10 tasks.
run ex4 "${MPIRUN[@]}" -n 4 "$TF" square --tasks 10 --seed 1
check "mpirun -n 4 square --tasks 10 exits 0" test "$rc" -eq 0
check "mpirun -n 4 prints 10 correct lines" squares_correct "$TMP/ex4.out" 10
check "... exactly the tasks of seed 1" same_lines "$TMP/ex4.out" <(square_reference 10 1)
check "the summary line goes to stderr" grep -q "square complete: 10 done, 0 failed of 10" "$TMP/ex4.err"

# 2. Without mpirun the master runs the tasks itself.
run ex1 "$TF" square --tasks 10 --seed 1
check "one rank without mpirun exits 0" test "$rc" -eq 0
check "one rank prints the tasks of seed 1" same_lines "$TMP/ex1.out" <(square_reference 10 1)
run default "$TF" square
check "without --tasks: exit 0" test "$rc" -eq 0
check "... the default is 10 tasks" squares_correct "$TMP/default.out" 10

# 3. Results do not depend on the rank count; a fresh seed is recorded and reproduces them.
square_reference 3000 99 >"$TMP/ref.sorted"
for n in 1 2 3 5; do
  run "n$n" "${MPIRUN[@]}" -n "$n" "$TF" square --tasks 3000 --seed 99
  check "-n $n exits 0 and prints exactly the tasks of seed 99" \
    bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/n$n.out') '$TMP/ref.sorted'"
done
run fresh "${MPIRUN[@]}" -n 3 "$TF" square --tasks 500 --report "$TMP/fresh.json"
seed=$(python3 -c "import json; print(json.load(open('$TMP/fresh.json'))['parameters']['seed'])" 2>/dev/null)
check "without --seed: exit 0, and the report records the seed drawn ($seed)" test "$rc" -eq 0 -a -n "$seed"
check "... the output is that seed's tasks" same_lines "$TMP/fresh.out" <(square_reference 500 "${seed:-0}")
run rerun "${MPIRUN[@]}" -n 2 "$TF" square --tasks 500 --seed "${seed:-0}"
check "... and a rerun with that seed gives the same output" \
  bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/rerun.out') <(sort '$TMP/fresh.out')"

# 4. 100000 tasks on 8 ranks (2 cores): correct, and no rank spins the others out.
run big "${MPIRUN[@]}" -n 8 "$TF" square --tasks 100000 --seed 5 --report "$TMP/r.json"
check "-n 8 with 100000 tasks exits 0" test "$rc" -eq 0
check "-n 8 with 100000 tasks prints 100000 correct lines" squares_correct "$TMP/big.out" 100000
check "... exactly the tasks of seed 5" same_lines "$TMP/big.out" <(square_reference 100000 5)
check "the report has the documented fields, master_peak_rss_bytes plausible" python3 -c "
import json, sys
r = json.load(open('$TMP/r.json'))
need = ['job', 'ranks', 'workers', 'tasks_total', 'tasks_done', 'tasks_failed', 'elapsed_s', 'tasks_per_s', 'per_worker',
        'stop_reason', 'master_peak_rss_bytes']
assert all(k in r for k in need), r.keys()
assert r['job'] == 'square' and r['ranks'] == 8 and r['workers'] == 7
assert r['tasks_total'] == r['tasks_done'] == 100000 and r['tasks_failed'] == 0
assert r['stop_reason'] == '', r['stop_reason']
# Above the program's own text and below a gigabyte: a real reading, not a placeholder.
assert 4 << 20 < r['master_peak_rss_bytes'] < 1 << 30, r['master_peak_rss_bytes']
assert sum(w['tasks'] for w in r['per_worker']) == 100000
# The master's own time, within the run (with 7 workers it may never wait).
assert 0 < r['master_busy_s'] and 0 <= r['master_idle_s'], (r['master_busy_s'], r['master_idle_s'])
assert r['master_busy_s'] + r['master_idle_s'] <= r['elapsed_s'] * 1.01, r
assert all(set(w) >= {'rank', 'tasks', 'busy_s'} for w in r['per_worker'])
"

# A master whose worker sleeps through its tasks mostly waits: master_idle_s says so.
run idle "${MPIRUN[@]}" -n 2 "$TF" sleep --tasks 20 --mean-us 30000 --seed 1 --report "$TMP/idle.json"
check "the master of a sleeping worker is idle most of the run" python3 -c "
import json
r = json.load(open('$TMP/idle.json'))
assert r['master_idle_s'] > 0.3 and r['master_idle_s'] > 5 * r['master_busy_s'], (r['master_idle_s'], r['master_busy_s'])
"

# 5. Zero tasks, and more workers than tasks.
run zero "${MPIRUN[@]}" -n 3 "$TF" square --tasks 0
check "zero tasks end cleanly: exit 0, no output" test "$rc" -eq 0 -a ! -s "$TMP/zero.out"
check "... and say so" grep -q "square complete: 0 done, 0 failed of 0" "$TMP/zero.err"
run few "${MPIRUN[@]}" -n 5 "$TF" square --tasks 2 --seed 3
check "two tasks on four workers: exit 0" test "$rc" -eq 0
check "... the two tasks of seed 3" same_lines "$TMP/few.out" <(square_reference 2 3)

# 6. Bad input: one line from rank 0 naming the problem, exit 2, every rank gone.
usage_case() {  # usage_case EXPECTED_SUBSTRING ARGS...
  local want=$1
  shift
  run u timeout 20 "${MPIRUN[@]}" -q -n 3 "$TF" "$@"
  check "'$*' exits 2" test "$rc" -eq 2
  check "'$*' prints exactly one line" test "$(wc -l <"$TMP/u.err")" -eq 1
  check "'$*' names the problem" grep -q -- "$want" "$TMP/u.err"
  check "'$*' prints nothing on stdout" test ! -s "$TMP/u.out"
}
usage_case "--tasks: expected a non-negative integer, got '-3'" square --tasks -3
usage_case "unknown option '--bogus'" square --bogus
usage_case "unknown job 'nosuchjob'" nosuchjob
usage_case "--batch" --batch zero square
usage_case "--window" --window 0 square
usage_case "--resume needs --output" square --resume
usage_case "--resume and --overwrite" square --resume --overwrite --output "$TMP/ro"
usage_case "task-timeout: job wordcount cannot" --task-timeout 1 wordcount --input /dev/null --output "$TMP/x"
# Without -q mpirun adds its own notice box; ours is still the only "taskfarm:" line.
run box "${MPIRUN[@]}" -n 3 "$TF" square --bogus
check "exactly one taskfarm line among mpirun's notices (exit 2)" \
  test "$rc" -eq 2 -a "$(grep -c '^taskfarm:' "$TMP/box.err")" -eq 1

# 7. --verbose narrates the example's steps.
run v "${MPIRUN[@]}" -n 3 "$TF" square --tasks 4 --seed 2 --verbose
check "--verbose exits 0" test "$rc" -eq 0
check "verbose master puts tasks" test "$(grep -c 'master: Put task [0-9]*\.\.\.' "$TMP/v.err")" -eq 4
check "verbose workers run tasks, with their rank" test "$(grep -cE 'rank [12]: run task ([0-9]+) \* \1\.\.\.' "$TMP/v.err")" -eq 4

# 8. --output DIR: workers write part files, committed only when every task succeeded.
OUT="$TMP/out"
run o "${MPIRUN[@]}" -n 4 "$TF" square --tasks 5000 --seed 8 --output "$OUT"
check "--output exits 0" test "$rc" -eq 0
check "--output prints no results on stdout" test ! -s "$TMP/o.out"
check "--output writes one part file per worker, _SUCCESS and _report.json" \
  test -f "$OUT/_SUCCESS" -a -f "$OUT/_report.json" -a -f "$OUT/part-00000" -a -f "$OUT/part-00002" -a ! -e "$OUT/part-00003" -a ! -e "$OUT/_temporary"
square_reference 5000 8 >"$TMP/o.ref"
check "the part files hold exactly the tasks of seed 8" cmp -s <(cat "$OUT"/part-* | sort) "$TMP/o.ref"
check "the report in DIR counts every task" python3 -c "
import json; r = json.load(open('$OUT/_report.json'))
assert r['status'] == 'complete' and r['tasks_done'] == 5000
assert sum(w['bytes_written'] for w in r['per_worker']) == $(wc -c <"$TMP/o.ref")"
usage_case "already holds results" square --tasks 5 --output "$OUT"
check "a refused run leaves the old results" cmp -s <(cat "$OUT"/part-* | sort) "$TMP/o.ref"
run ow "${MPIRUN[@]}" -n 3 "$TF" square --tasks 5 --seed 8 --output "$OUT" --overwrite
check "--overwrite replaces them (exit 0)" test "$rc" -eq 0 -a "$(cat "$OUT"/part-* | wc -l)" -eq 5 -a ! -e "$OUT/part-00002"
run alone "$TF" square --tasks 9 --seed 8 --output "$TMP/alone"
check "one rank writes part-00000 itself (exit 0)" test "$rc" -eq 0 -a "$(wc -l <"$TMP/alone/part-00000")" -eq 9 -a -f "$TMP/alone/_SUCCESS"
run f "${MPIRUN[@]}" -n 3 "$TF" sleep --tasks 20 --mean-us 10 --fail-every 5 --output "$TMP/failed"
check "a run with failed tasks exits 1" test "$rc" -eq 1
check "each failed attempt is logged with its task and message (4 tasks x 3 attempts)" \
  test "$(grep -c 'task [0-9]* failed on rank [12]: injected failure' "$TMP/f.err")" -eq 12
check "a failed run leaves no part file and no _SUCCESS" \
  bash -c "! ls '$TMP/failed' | grep -qE '^(part-|_SUCCESS)'"
check "a failed run still reports" python3 -c "
import json; r = json.load(open('$TMP/failed/_report.json'))
assert r['status'] == 'failed' and r['tasks_failed'] == 4 and r['tasks_done'] == 16"

# 9. Retries, _failed and --halt-on-error.
run r "${MPIRUN[@]}" -n 3 "$TF" sleep --tasks 20 --mean-us 10 --fail-every 5 --fail-attempts 2 --retries 2
check "tasks that fail twice succeed on the third attempt: exit 0" test "$rc" -eq 0
check "... and every task is done once, with its documented line" same_lines "$TMP/r.out" <(sleep_reference 20 10)
check "... the failures were injected and logged: 4 tasks x 2 attempts" \
  test "$(grep -c 'task [0-9]* failed on rank [12]: injected failure' "$TMP/r.err")" -eq 8
check "... each retry on the other worker" bash -c "
  grep -o 'task [0-9]* failed on rank [0-9]' '$TMP/r.err' | sort | uniq -c | awk '\$1 != 1 { bad = 1 } END { exit bad || NR == 0 }'"
run always "${MPIRUN[@]}" -n 3 "$TF" sleep --tasks 20 --mean-us 10 --fail-every 5 --retries 2 --output "$TMP/always"
check "a task that always fails: exit 1" test "$rc" -eq 1
check "... it is in _failed, one line per task" test "$(wc -l <"$TMP/always/_failed")" -eq 4
check "... after 3 attempts, and every other task is done" python3 -c "
import json; r = json.load(open('$TMP/always/_report.json'))
assert r['tasks_done'] == 16 and r['tasks_failed'] == 4
assert sorted(f['id'] for f in r['failed_tasks']) == [4, 9, 14, 19]
assert all(f['attempts'] == 3 for f in r['failed_tasks'])"
run many "${MPIRUN[@]}" -n 3 "$TF" sleep --tasks 3000 --mean-us 1 --fail-every 2 --retries 0 --output "$TMP/many"
check "1500 failed tasks: exit 1" test "$rc" -eq 1
check "... the report lists the first 1000 and counts all 1500; _failed has all 1500" python3 -c "
import json; r = json.load(open('$TMP/many/_report.json'))
assert r['tasks_failed'] == 1500 and len(r['failed_tasks']) == 1000, (r['tasks_failed'], len(r['failed_tasks']))
assert len(open('$TMP/many/_failed').read().splitlines()) == 1500"
run halt "${MPIRUN[@]}" -n 2 "$TF" --batch 1 sleep --tasks 200 --mean-us 1000 --fail-every 3 --retries 0 --halt-on-error \
  --report "$TMP/halt.json"
check "--halt-on-error: exit 1" test "$rc" -eq 1
check "--halt-on-error: stops handing out tasks" python3 -c "
import json; r = json.load(open('$TMP/halt.json'))
assert r['tasks_failed'] >= 1 and r['tasks_done'] + r['tasks_failed'] < 200, r"
check "--halt-on-error says so" grep -q "halting on error" "$TMP/halt.err"

# 10. --result-timeout: the master stops waiting on stuck ranks, keeps what is done, exits 3.
start=$(date +%s)
run rt "${MPIRUN[@]}" -n 3 "$TF" --result-timeout 1 sleep --tasks 3 --mean-us 30000000 --output "$TMP/rt"
check "--result-timeout: exit 3" test "$rc" -eq 3
check "--result-timeout: well before the 30 s tasks end" test $(($(date +%s) - start)) -lt 20
check "--result-timeout: says why it stops" grep -q 'stopping: no result for 1 s (--result-timeout)' "$TMP/rt.err"
check "--result-timeout: names the stuck ranks" \
  test "$(grep -c 'rank [12] did not answer the stop message: it is stuck' "$TMP/rt.err")" -eq 2
check "--result-timeout: the report names them too, and the stop reason" python3 -c "
import json; r = json.load(open('$TMP/rt/_report.json'))
assert r['stuck_ranks'] == [1, 2] and 'result-timeout' in r['stop_reason'], r['stop_reason']"
check "--result-timeout: report and journal kept, nothing published" \
  bash -c "[ -f '$TMP/rt/_report.json' -a -f '$TMP/rt/_journal' ] && ! ls '$TMP/rt' | grep -qE '^(part-|_SUCCESS)'"

# 11. --task-timeout: a hanging task gets a backup attempt on another worker; the job
# commits every result, then ends with MPI_Abort (exit 5) because the stuck rank never
# answers. The timeouts are seconds, not less: on a loaded CI machine (4 ranks on 2
# cores beside another test) a healthy worker can be starved of the CPU for a second.
run hang "${MPIRUN[@]}" -q -n 4 "$TF" --task-timeout 3 sleep --tasks 30 --mean-us 1000 --hang-every 15 --output "$TMP/hang"
check "--task-timeout with hanging tasks: exit 5 (done, a rank aborted; got $rc)" test "$rc" -eq 5
check "--task-timeout: committed (_SUCCESS)" test -f "$TMP/hang/_SUCCESS"
check "--task-timeout: every task's result is there, once" cmp -s <(cat "$TMP/hang"/part-* | sort) <(sleep_reference 30 1000)
check "--task-timeout: the log names the retired rank" grep -q "no more work for it" "$TMP/hang.err"
check "--task-timeout: the report names the stuck ranks" python3 -c "
import json; r = json.load(open('$TMP/hang/_report.json'))
assert r['stuck_ranks'] and all(w['retired'] for w in r['per_worker'] if w['rank'] in r['stuck_ranks']), r['stuck_ranks']"
# A hang that ends (--hang-s 3, within the 2 s a retired worker gets to answer the
# stop): the retired worker's late reply really arrives, and is dropped: every task
# once, the job complete, the rank answered (exit 0). --window 2: the worker replies as
# soon as the hung batch is done (on a loaded machine the measured path delay would have
# it hold more, and reply only when half of them are done: after the stop).
run late "${MPIRUN[@]}" -n 4 "$TF" --task-timeout 2 --window 2 sleep --tasks 300 --mean-us 2000 --hang-every 200 \
  --hang-s 3 --output "$TMP/late"
check "--task-timeout, a hang that ends: exit 0" test "$rc" -eq 0
check "... the late reply arrived and was dropped" grep -qE 'rank [1-3] replied late: [0-9]+ results dropped' "$TMP/late.err"
check "... every task once, nothing counted twice" cmp -s <(cat "$TMP/late"/part-* | sort) <(sleep_reference 300 2000)
check "... the report counts each task once" python3 -c "
import json; r = json.load(open('$TMP/late/_report.json'))
assert r['tasks_done'] == 300 and sum(w['tasks'] for w in r['per_worker']) >= 300 and r['stuck_ranks'] == [], r"
# Every worker retired: nothing can run, so the run stops, incomplete (exit 3).
run allhang "${MPIRUN[@]}" -q -n 3 "$TF" --task-timeout 1 sleep --tasks 10 --mean-us 1000 --hang-every 1 --hang-s 4 \
  --output "$TMP/allhang"
check "every worker retired by --task-timeout: exit 3" test "$rc" -eq 3
check "... the log says why" grep -q "stopping: every worker is stuck (--task-timeout)" "$TMP/allhang.err"
check "... nothing published, the journal kept for --resume" \
  bash -c "[ -f '$TMP/allhang/_journal' ] && ! ls '$TMP/allhang' | grep -qE '^(part-|_SUCCESS)'"

# 12. Stop signals: no new tasks, commit, exit 3; --resume then finishes with exactly an
# uninterrupted run's output. Progress lines on the way.
# stop_run NAME SIGNAL TARGET ARGS...: starts ARGS in a session of its own, waits for its
# first progress line, sends SIGNAL to TARGET (mpirun: the launcher; rank0: the master's
# process itself, as a batch system signals every process of a step; taskfarm: the one
# rank without a launcher), and waits.
stop_run() {
  local name=$1 signal=$2 target=$3
  shift 3
  setsid timeout 120 "$@" --progress log --progress-interval 0.2 --output "$TMP/$name" >/dev/null 2>"$TMP/$name.err" &
  local job=$!
  for _ in $(seq 200); do grep -q "progress:" "$TMP/$name.err" 2>/dev/null && break; sleep 0.1; done
  local pid
  case $target in
    mpirun | taskfarm) pid=$(pgrep -s "$job" -x "$target" | head -1) ;;
    rank0) pid=$(for p in $(pgrep -s "$job" -x taskfarm); do  # its environment says rank 0
      tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=0' && echo "$p"
    done | head -1) ;;
  esac
  kill "-$signal" "$pid"
  wait "$job"
  rc=$?
}
sleep_reference 1500 3000 >"$TMP/sig.ref"
SLEEP_ARGS=(sleep --tasks 1500 --mean-us 3000 --seed 5)
for signal_case in "USR1 mpirun -n 3" "TERM rank0 -n 3" "INT taskfarm -n 1"; do
  read -r signal target _ ranks <<<"$signal_case"
  name="sig-$signal"
  if [ "$ranks" = 1 ]; then stop_run "$name" "$signal" "$target" "$TF" "${SLEEP_ARGS[@]}"
  else stop_run "$name" "$signal" "$target" "${MPIRUN[@]}" -n "$ranks" "$TF" "${SLEEP_ARGS[@]}"; fi
  check "SIG$signal to $target: exit 3 (incomplete, resumable)" test "$rc" -eq 3
  check "SIG$signal: the log says so" grep -qE "SIG$signal received: (no new tasks|stopping)" "$TMP/$name.err"
  check "SIG$signal: the log says how to go on (--resume)" \
    grep -q "the same command with --resume continues the run from $TMP/$name\$" "$TMP/$name.err"
  check "SIG$signal: the report says incomplete, with the stop reason; nothing published" python3 -c "
import json, os; r = json.load(open('$TMP/$name/_report.json'))
assert r['status'] == 'incomplete' and 'SIG$signal' in r['stop_reason'], r['stop_reason']
assert not any(f.startswith('part-') or f == '_SUCCESS' for f in os.listdir('$TMP/$name'))"
  run "$name-resume" "${MPIRUN[@]}" -n 3 "$TF" "${SLEEP_ARGS[@]}" --output "$TMP/$name" --resume
  check "SIG$signal: --resume completes" test "$rc" -eq 0
  check "SIG$signal: the output equals an uninterrupted run" cmp -s <(cat "$TMP/$name"/part-* | sort) "$TMP/sig.ref"
done
check "progress lines carry counts, rate and ETA" \
  grep -qE "progress: [0-9]+/1500 [0-9.]+% \| [0-9.]+ tasks/s \| ETA [0-9:]+ \| [0-2]/2 workers busy \| 0 failed" "$TMP/sig-USR1.err"
check "scripts/plot-report draws a PNG from the report" bash -c \
  "'$REPO/scripts/plot-report' '$TMP/sig-USR1/_report.json' '$TMP/sig.png' >/dev/null && head -c 8 '$TMP/sig.png' | grep -q PNG"

# 14. --help and --version.
run help "$TF" --help
check "--help exits 0 and lists the jobs" bash -c "[ $rc -eq 0 ] && grep -q square '$TMP/help.out'"
run version "$TF" --version
check "--version exits 0 and names the program" bash -c "[ $rc -eq 0 ] && grep -q '^taskfarm ' '$TMP/version.out'"

finish
