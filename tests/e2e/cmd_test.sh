#!/usr/bin/env bash
# End-to-end tests of the cmd job. Oracles: each command run by sh itself, GNU parallel's
# joblog, and the files the commands leave behind.
# Usage: cmd_test.sh path/to/taskfarm
TF=${1:?usage: cmd_test.sh path/to/taskfarm}
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
check "a task's lines are not interleaved with others" grep -qz $'line1\nline2\nline3\n' stdout4
check "stderr passes through" grep -qx to-stderr stderr4
# Standard input as the tasks file, and the one-rank mode.
"$TF" cmd --tasks-file - <tasks.txt >stdout1 2>/dev/null
check "--tasks-file - reads standard input (one rank)" cmp -s <(sort stdout1 | grep -v '^id=') <(grep -v '^id=' expected.sorted)

# 2. The joblog: GNU parallel's header and columns.
printf 'true\necho hi\nexit 3\nkill -TERM $$\n' >jl_tasks.txt
parallel --will-cite -j2 --joblog parallel.log <jl_tasks.txt >/dev/null 2>&1
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file jl_tasks.txt --joblog farm.log --retries 0 >/dev/null 2>&1
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

# 4. Retries: a task failing twice and then succeeding ends done.
cat >flaky.txt <<'EOF'
n=$(cat count 2>/dev/null || echo 0); echo $((n + 1)) >count; test "$n" -ge 2 && echo third-time-lucky
EOF
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file flaky.txt --retries 2 >flaky.out 2>/dev/null
check "fails twice, then succeeds with --retries 2: exit 0" test $? -eq 0
check "its output is the successful attempt's" grep -qx third-time-lucky flaky.out

# 5. --resume with the joblog runs only the failed and missing tasks.
rm -f ran.log
for i in 1 2 3 4 5 6; do echo "echo task$i >>ran.log; test $i -ne 3 -o -f fixed"; done >resume.txt
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file resume.txt --joblog resume.log --retries 0 >/dev/null 2>&1
check "the first run fails (task 3)" test $? -eq 1
touch fixed
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file resume.txt --joblog resume.log --resume >/dev/null 2>&1
check "--resume then succeeds" test $? -eq 0
check "--resume ran only the failed task again" test "$(grep -c task3 ran.log) $(wc -l <ran.log)" = "2 7"
check "the joblog keeps every attempt" test "$(tail -n +2 resume.log | wc -l)" -eq 7
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file resume.txt --joblog resume.log --resume >/dev/null 2>&1
check "resuming a finished job runs nothing" test "$(wc -l <ran.log)" -eq 7

# 6. Slots: three commands at once on one worker; each waits until all three have started.
printf 'touch s.$TASKFARM_TASK_ID; for i in $(seq 100); do [ -f s.0 -a -f s.1 -a -f s.2 ] && exit 0; sleep 0.1; done; exit 1\n%.0s' 1 2 3 >slots.txt
timeout 60 "${MPIRUN[@]}" -n 2 "$TF" cmd --tasks-file slots.txt --slots-per-worker 3 --retries 0 >/dev/null 2>&1
check "--slots-per-worker 3 runs three commands at once on one worker" test $? -eq 0

# 7. The output layout scales: 1001 tasks fill two directories.
seq 0 1000 | sed 's/^/echo /' >many.txt
timeout 120 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file many.txt --output many >/dev/null 2>&1
check "1001 tasks: exit 0" test $? -eq 0
check "task 1000's output is tasks/00001/1000.out" test "$(cat many/tasks/00001/1000.out)" = 1000
check "1000 tasks' files in the first directory" test "$(ls many/tasks/00000 | grep -c '\.out$')" -eq 1000

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
