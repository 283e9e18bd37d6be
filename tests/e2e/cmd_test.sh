#!/usr/bin/env bash
# End-to-end tests of the cmd job. Oracles: each command run by sh itself, GNU parallel's
# joblog, and the files the commands leave behind.
# Usage: cmd_test.sh path/to/taskfarm [--sanitized]   (a sanitizer build: no memory bounds,
# as ASan's shadow memory and quarantine count in a process's RSS)
TF=${1:?usage: cmd_test.sh path/to/taskfarm [--sanitized]}
SANITIZED=${2:-}
source "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

# 1. Commands as sh runs them: quotes, pipes, redirections, UTF-8, a 100 KB line, env.
python3 - <<'PY'
tasks = [
    "echo 'single quoted  spaces' \"double $((6*7))\"",
    "printf '%s\\n' alpha beta gamma | sort -r | tr a-z A-Z",
    "echo to-stderr >&2; echo to-stdout",
    "echo 'héllo wörld ✓ 日本語' | wc -c",
    "echo " + "x" * 100000 + " | wc -c",
    "cat </dev/null; echo redirected > r.$TASKFARM_TASK_ID && cat r.$TASKFARM_TASK_ID",
    "echo id=$TASKFARM_TASK_ID ntasks=$TASKFARM_NTASKS workers=$TASKFARM_WORKERS rank_set=${TASKFARM_RANK:+yes}",
    "for i in 1 2 3; do echo line$i; sleep 0.05; done",
]
with open("tasks.txt", "w", encoding="utf-8") as f:
    f.write("# a comment, then a blank line\n\n")
    for t in tasks:
        f.write(t + "\n")
PY
NTASKS=8
# The oracle: every task line run by sh, with the variables a worker would set (2 workers).
grep -v '^#' tasks.txt | grep -v '^$' >lines.txt
id=0
while IFS= read -r line; do
  mkdir -p "oracle/$id" && (cd "oracle/$id" && TASKFARM_TASK_ID=$id TASKFARM_NTASKS=$NTASKS TASKFARM_WORKERS=2 TASKFARM_RANK=1 \
    sh -c "$line" >"out" 2>"err")
  id=$((id + 1))
done <lines.txt

timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file tasks.txt --output out3 >stdout3 2>stderr3
check "cmd --output exits 0" test $? -eq 0
check "cmd --output commits (_SUCCESS)" test -f out3/_SUCCESS
same=0
for ((i = 0; i < NTASKS; i++)); do
  cmp -s "oracle/$i/out" "out3/tasks/00000/$i.out" && cmp -s "oracle/$i/err" "out3/tasks/00000/$i.err" && same=$((same + 1))
done
check "every task's stdout and stderr files equal sh's ($same of $NTASKS)" test "$same" -eq "$NTASKS"
check "no temporary output files are left" bash -c "! find out3/tasks -name '*.tmp-*' | grep -q ."
check "nothing on stdout with --output" test ! -s stdout3

# Without --output, output passes through, each task's lines together.
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file tasks.txt >stdout4 2>stderr4
check "pass-through exits 0" test $? -eq 0
cat oracle/*/out | sort >expected.sorted
check "pass-through stdout holds every task's lines" cmp -s <(sort stdout4) expected.sorted
# Whether FILE holds line1, line2 and line3 once each, on consecutive lines, in order.
consecutive_lines() {
  awk '$0 == "line1" { n1++; at = NR } $0 == "line2" { n2++; ok2 = (NR == at + 1) } $0 == "line3" { n3++; ok3 = ok2 && (NR == at + 2) }
       END { exit !(n1 == 1 && n2 == 1 && n3 == 1 && ok3) }' "$1"
}
printf 'line1\nline2\nline3\n' >together.txt
printf 'line1\nid=6 ntasks=8\nline2\nline3\n' >interleaved.txt
check "the interleaving checker accepts lines together" consecutive_lines together.txt
check "... and rejects an interleaved output built by hand" fails consecutive_lines interleaved.txt
check "a task's lines are not interleaved with others" consecutive_lines stdout4
check "stderr passes through" grep -qx to-stderr stderr4
# Standard input as the tasks file: one rank, and under mpirun (rank 0 reads it).
timeout 60 "$TF" cmd --tasks-file - <tasks.txt >stdout1 2>stdout1.err
check "--tasks-file - reads standard input (one rank): exit 0" test $? -eq 0
check "... every task's lines" cmp -s <(sort stdout1 | grep -v '^id=') <(grep -v '^id=' expected.sorted)
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file - <tasks.txt >stdin3 2>stdin3.err
check "--tasks-file - under mpirun -n 3: exit 0" test $? -eq 0
check "... every task's lines" cmp -s <(sort stdin3) expected.sorted

# 2. The joblog: GNU parallel's header and columns.
printf 'true\necho hi\nexit 3\nkill -TERM $$\n' >jl_tasks.txt
parallel --will-cite -j2 --joblog parallel.log <jl_tasks.txt >/dev/null 2>parallel.err
check "GNU parallel (the oracle) runs the same tasks: exit 2, for its two failed tasks" test $? -eq 2
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file jl_tasks.txt --joblog farm.log --retries 0 >/dev/null 2>farm.err
check "a failed task makes exit code 1" test $? -eq 1
check "the joblog header is GNU parallel's, byte for byte" cmp -s <(head -1 parallel.log) <(head -1 farm.log)
# Columns: Seq, Send, Receive, Exitval, Signal and Command equal parallel's; the times are
# formatted as parallel formats them (%.3f and %10.3f).
columns() { tail -n +2 "$1" | awk -F'\t' -v OFS='\t' '{ print $1, $5, $6, $7, $8, $9 }' | sort -n; }
check "Seq, Send, Receive, Exitval, Signal, Command equal parallel's" cmp -s <(columns parallel.log) <(columns farm.log)
check "Starttime and JobRuntime are formatted as parallel's" \
  awk -F'\t' 'NR > 1 && !($3 ~ /^[0-9]+\.[0-9][0-9][0-9]$/ && length($4) >= 10 && $4 ~ /^ *[0-9]+\.[0-9][0-9][0-9]$/ && NF == 9) { bad++ } END { exit bad > 0 }' farm.log

# 3. Timeouts kill the whole process group.
printf 'sh -c "sleep 61 & sleep 61"\necho fine\n' >slow.txt
start=$(date +%s)
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file slow.txt --task-timeout 1 --retries 0 --joblog slow.log --output slow >/dev/null 2>slow.err
rc=$?
check "a timed-out task fails the job (exit 1)" test "$rc" -eq 1
check "the job ends within seconds ($(($(date +%s) - start)) s)" test $(($(date +%s) - start)) -lt 45
check "no sleep of the timed-out task survives" bash -c "! pgrep -f '^sleep 61' >/dev/null"
check "the joblog shows the timeout as parallel does (Exitval -1, Signal 15)" \
  awk -F'\t' '$1 == 1 && $7 == -1 && $8 == 15 { found = 1 } END { exit !found }' slow.log
check "the log says it timed out" grep -q "timed out after 1 s" slow.err
check "_failed holds the command, ready to run again" cmp -s slow/_failed <(head -1 slow.txt)
# A task that ignores SIGTERM (and so do its children, which inherit that) gets SIGKILL
# one second later.
printf "trap '' TERM; sleep 62; sleep 62\n" >stubborn.txt
start=$(date +%s)
timeout 60 "${MPIRUN[@]}" -n 2 "$TF" cmd --tasks-file stubborn.txt --task-timeout 1 --retries 0 --joblog stubborn.log \
  >/dev/null 2>stubborn.err
rc=$?
elapsed=$(($(date +%s) - start))
check "a task that ignores SIGTERM: exit 1, within seconds ($elapsed s)" test "$rc" -eq 1 -a "$elapsed" -lt 30
check "... none of its processes survives (SIGKILL)" bash -c "! pgrep -f '^sleep 62' >/dev/null"
check "... the log and joblog say it timed out" \
  bash -c "grep -q 'timed out after 1 s' stubborn.err && awk -F'\t' '\$1 == 1 && \$7 == -1 { found = 1 } END { exit !found }' stubborn.log"

# A task whose process cannot be started (a process limit, injected by a test hook for
# the commands marked) fails that attempt only, with the reason, and the retry rules apply.
printf 'echo ok1\necho ok2 # spawn-fails\necho ok3\n' >spawn.txt
TASKFARM_TEST_HOOK=spawn-fails timeout 60 "${MPIRUN[@]}" -x TASKFARM_TEST_HOOK -n 3 "$TF" cmd --tasks-file spawn.txt \
  --retries 1 --joblog spawn.log --output spawn >/dev/null 2>spawn.err
check "a task that cannot start: exit 1, not an abort" test $? -eq 1
check "... both its attempts logged with the reason" \
  test "$(grep -c 'task 1 failed on rank [12]: could not start: cannot start /bin/sh: Resource temporarily unavailable' spawn.err)" -eq 2
check "... in the joblog with Exitval -1, and in _failed" \
  bash -c "[ \$(awk -F'\t' '\$1 == 2 && \$7 == -1' spawn.log | wc -l) -eq 2 ] && grep -qx 'echo ok2 # spawn-fails' spawn/_failed"
check "... the other tasks ran, and no temporary file is left" \
  bash -c "[ \"\$(cat spawn/tasks/00000/0.out spawn/tasks/00000/2.out)\" = \$'ok1\nok3' ] && ! ls spawn/tasks/00000 | grep -q tmp"

# 4. Retries: a task failing twice and then succeeding ends done.
cat >flaky.txt <<'EOF'
n=$(cat count 2>/dev/null || echo 0); echo $((n + 1)) >count; test "$n" -ge 2 && echo third-time-lucky
EOF
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file flaky.txt --retries 2 >flaky.out 2>flaky.err
check "fails twice, then succeeds with --retries 2: exit 0" test $? -eq 0
check "its output is the successful attempt's" grep -qx third-time-lucky flaky.out

# 5. --resume with the joblog runs only the failed and missing tasks. Task 5's line is
# taken out of the joblog, as if the run had been killed before it ended.
rm -f ran.log
for i in 1 2 3 4 5 6; do echo "echo task$i >>ran.log; test $i -ne 3 -o -f fixed"; done >resume.txt
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file resume.txt --joblog resume.log --retries 0 >/dev/null 2>resume1.err
check "the first run fails (task 3)" test $? -eq 1
awk -F'\t' '$1 != 5' resume.log >resume.cut && mv resume.cut resume.log
touch fixed
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file resume.txt --joblog resume.log --resume >/dev/null 2>resume2.err
check "--resume then succeeds" test $? -eq 0
check "--resume ran only the failed task and the missing one again" \
  test "$(grep -c task3 ran.log) $(grep -c task5 ran.log) $(wc -l <ran.log)" = "2 2 8"
check "the joblog keeps every attempt" test "$(tail -n +2 resume.log | wc -l)" -eq 7
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file resume.txt --joblog resume.log --resume >/dev/null 2>resume3.err
check "resuming a finished job: exit 0, runs nothing" test $? -eq 0 -a "$(wc -l <ran.log)" -eq 8

# 5b. --resume from the journal with --output: killed mid-run, the resumed run skips the
# tasks the journal vouches for and every task's output file ends up right.
seq 0 39 | sed 's/.*/sleep 0.1; echo $TASKFARM_TASK_ID >>journal-ran.log; echo out$TASKFARM_TASK_ID/' >journaled.txt
rm -f journal-ran.log
setsid "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file journaled.txt --output cj >/dev/null 2>cj-killed.err &
job=$!
for _ in $(seq 200); do [ "$(wc -l 2>/dev/null <journal-ran.log || echo 0)" -ge 10 ] && break; sleep 0.05; done
kill_job "$job"
check "the killed cmd run left no _SUCCESS" test ! -e cj/_SUCCESS
mv journal-ran.log journal-ran.first
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file journaled.txt --output cj --resume >/dev/null 2>cj.err
check "cmd --resume from the journal: exit 0, committed" test $? -eq 0 -a -e cj/_SUCCESS
earlier=$(grep -o '+[0-9]* done by earlier runs' cj.err | tr -dc 0-9)
check "... it skipped the ${earlier:-0} tasks done before the kill" test "${earlier:-0}" -ge 5
check "... and ran exactly the others" test "$(wc -l <journal-ran.log)" -eq $((40 - ${earlier:-0}))
good=0
for i in $(seq 0 39); do [ "$(cat "cj/tasks/00000/$i.out" 2>/dev/null)" = "out$i" ] && good=$((good + 1)); done
check "... every task's output file is right ($good of 40)" test "$good" -eq 40

# 6. Slots: three commands at once on one worker; each waits until all three have started.
printf 'touch s.$TASKFARM_TASK_ID; for i in $(seq 100); do [ -f s.0 -a -f s.1 -a -f s.2 ] && exit 0; sleep 0.1; done; exit 1\n%.0s' 1 2 3 >slots.txt
timeout 60 "${MPIRUN[@]}" -n 2 "$TF" cmd --tasks-file slots.txt --slots-per-worker 3 --retries 0 >/dev/null 2>slots.err
check "--slots-per-worker 3 runs three commands at once on one worker" test $? -eq 0

# 7. The output layout scales: 1001 tasks fill two directories.
seq 0 1000 | sed 's/^/echo /' >many.txt
timeout 120 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file many.txt --output many >/dev/null 2>many.err
check "1001 tasks: exit 0" test $? -eq 0
check "task 1000's output is tasks/00001/1000.out" test "$(cat many/tasks/00001/1000.out)" = 1000
check "1000 tasks' files in the first directory" test "$(ls many/tasks/00000 | grep -c '\.out$')" -eq 1000

# 7b. Large outputs: tasks printing 50 MB each (beyond what a worker keeps in memory: it
# spills them to a file and streams them to the master in chunks), beside small ones. Each
# task's output is whole and in one piece; the workers' memory stays small; a task's
# stderr is kept up to 1 MiB and the rest noted.
for t in A B C; do
  echo "echo begin-$t; yes $t | head -n 25000000; echo end-$t"
  echo "echo small-$t"
done >large.txt
echo "yes e | head -c 3000000 >&2" >>large.txt
timeout 300 "${MPIRUN[@]}" -n 3 "$TF" --report large.json cmd --tasks-file large.txt >large.out 2>large.err
check "large outputs: exit 0" test $? -eq 0
check "... every task's output is whole and never interleaved with another's" awk '
  /^begin-/ { if (cur != "") bad = 1; cur = substr($0, 7); n = 0; next }
  /^end-/ { if (substr($0, 5) != cur || n != 25000000) bad = 1; whole[cur] = 1; cur = ""; next }
  /^small-/ { if (cur != "") bad = 1; small[substr($0, 7)] = 1; next }
  { if ($0 != cur) bad = 1; n++ }
  END { exit bad || length(whole) != 3 || length(small) != 3 || cur != "" }' large.out
if [ -n "$SANITIZED" ]; then
  echo "skipped under a sanitizer: each worker peaked under 48 MiB"
else
  check "... each worker peaked under 48 MiB" python3 -c "
import json
r = json.load(open('large.json'))
peaks = [w['peak_rss_bytes'] for w in r['per_worker']]
assert len(peaks) == 2 and all(0 < p < 48 << 20 for p in peaks), peaks"
fi
check "... stderr beyond 1 MiB is dropped and noted" bash -c "
  [ \$(grep -c '^e\$' large.err) -eq 524288 ] && grep -q '1951424 more bytes of stderr dropped (1048576 kept)' large.err"

# 8. Bad input: one line on stderr, exit 2; an empty tasks file runs nothing.
usage() {  # usage DESCRIPTION PATTERN ARGS...
  local desc=$1 pattern=$2
  shift 2
  timeout 20 "${MPIRUN[@]}" -q -n 3 "$TF" "$@" >/dev/null 2>u.err
  local rc=$?
  check "$desc: exit 2 ($rc)" test "$rc" -eq 2
  check "$desc: one line naming the problem" bash -c "test \$(wc -l <u.err) -eq 1 && grep -q -- '$pattern' u.err"
}
usage "missing tasks file" "cannot open .nonexistent.txt.: No such file" cmd --tasks-file nonexistent.txt
usage "no --tasks-file" "tasks-file" cmd
printf 'echo other\n' >other.txt
usage "a joblog of another tasks file" "belongs to another tasks file" cmd --tasks-file other.txt --joblog resume.log --resume
printf 'garbage\n' >garbage.log
usage "a file that is not a joblog" "not a joblog" cmd --tasks-file other.txt --joblog garbage.log --resume
printf '# nothing\n\n' >empty.txt
timeout 20 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file empty.txt >empty.out 2>empty.err
check "an empty tasks file runs nothing and exits 0" test $? -eq 0 -a ! -s empty.out
check "an empty tasks file is reported" grep -q "holds no tasks" empty.err

finish
