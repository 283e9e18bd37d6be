#!/usr/bin/env bash
# Promises of docs/reference.md that no other test keeps: a second Ctrl-C ends the program
# at once; cmd does not wait for a task's background children; TASKFARM_SLOT counts from
# 0; --resume with a joblog that does not exist runs every task; --trace is appended to on
# --resume, under one header; --grace running out leaves an exactly resumable run; the
# report keeps at most 4096 sampled tasks and 2000 points of its curve, however many tasks
# ran.
# Usage: guarantees_test.sh path/to/taskfarm
TF=${1:?usage: guarantees_test.sh path/to/taskfarm}
source "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

# 1. Ctrl-C twice: the first asks for a graceful stop (--grace 60 would wait a minute for
# the running tasks), the second ends the program at once, by SIGINT.
"$TF" sleep --tasks 100 --mean-us 5000000 --grace 60 --progress none >sigint.out 2>sigint.err &
pid=$!
sleep 1
kill -INT "$pid"
sleep 0.5
kill -0 "$pid" 2>/dev/null
check "after one SIGINT the program waits for its running task (--grace 60)" test $? -eq 0
start=$(date +%s%N)
kill -INT "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
wait "$pid"
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
check "a second SIGINT ends it within 2 s ($took ms), killed by SIGINT (exit $rc)" test "$took" -lt 2000 -a "$rc" -eq 130

# 2. A task whose command leaves a child in the background: the task ends when its shell
# does (the child keeps running, with its own output redirected).
printf 'sleep 37.5 >/dev/null 2>&1 & echo started\necho other\n' >background.txt
start=$(date +%s)
timeout 60 "${MPIRUN[@]}" -n 2 "$TF" cmd --tasks-file background.txt >background.out 2>background.err
rc=$?
took=$(($(date +%s) - start))
check "cmd does not wait for a background child: exit 0 within 20 s ($took s; the child sleeps 37.5)" \
  test "$rc" -eq 0 -a "$took" -lt 20
check "... both tasks' output" test "$(sort background.out | tr '\n' ' ')" = "other started "
check "... the child still runs after the farm ended" pgrep -f '^sleep 37.5' >/dev/null
pkill -f '^sleep 37.5'

# 3. TASKFARM_SLOT counts the slots of a worker from 0.
for i in $(seq 8); do echo 'sleep 0.3; echo $TASKFARM_SLOT'; done >slot.txt
timeout 60 "${MPIRUN[@]}" -n 2 "$TF" cmd --tasks-file slot.txt --slots-per-worker 3 >slot.out 2>slot.err
check "TASKFARM_SLOT: exit 0" test $? -eq 0
check "... the slots are 0, 1 and 2 ($(sort -u slot.out | tr '\n' ' '))" test "$(sort -u slot.out | tr '\n' ' ')" = "0 1 2 "

# 4. --resume with a joblog that does not exist yet: nothing ran, so every task runs.
seq 0 4 | sed 's/.*/echo task&/' >fresh.txt
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file fresh.txt --joblog fresh.log --resume >fresh.out 2>fresh.err
check "--resume with a missing joblog: exit 0" test $? -eq 0
check "... every task ran" test "$(sort fresh.out | tr '\n' ' ')" = "task0 task1 task2 task3 task4 "
check "... and the joblog has them all" test "$(tail -n +2 fresh.log | wc -l)" -eq 5

# 5. --trace on --resume: appended to, under the one header of the first run.
printf 'echo a\ntest -f fixed && echo b\necho c\n' >trace.txt
timeout 60 "${MPIRUN[@]}" -n 2 "$TF" cmd --tasks-file trace.txt --joblog trace.log --trace trace.tsv --retries 0 \
  >trace1.out 2>trace1.err
check "a run with a failing task and --trace: exit 1" test $? -eq 1
touch fixed
timeout 60 "${MPIRUN[@]}" -n 2 "$TF" cmd --tasks-file trace.txt --joblog trace.log --trace trace.tsv --resume \
  >trace2.out 2>trace2.err
check "... --resume: exit 0" test $? -eq 0
check "... the trace has one header" test "$(grep -c '^task	attempt' trace.tsv)" -eq 1
check "... and a row for every attempt of both runs (3 + 1)" test "$(tail -n +2 trace.tsv | wc -l)" -eq 4

# 6. --grace running out while tasks still run: exit 3, and --resume is exact.
sleep_reference 6 1000000 >grace.ref
setsid timeout 60 "${MPIRUN[@]}" -n 3 "$TF" sleep --tasks 6 --mean-us 1000000 --dist fixed --grace 0.2 \
  --output grace >/dev/null 2>grace.err &
job=$!
for _ in $(seq 200); do [ -e grace/_journal ] && break; sleep 0.05; done
sleep 0.5  # the first tasks run (1 s each)
pkill -USR1 -s "$job" -x mpirun
wait "$job"
rc=$?
check "SIGUSR1 with --grace 0.2 while 1 s tasks run: exit 3 ($rc)" test "$rc" -eq 3
check "... the log says the tasks still ran when the grace ran out" \
  grep -q "stopping: SIGUSR1 received; tasks still running after --grace 0.2 s" grace.err
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" sleep --tasks 6 --mean-us 1000000 --dist fixed --output grace --resume \
  >/dev/null 2>grace-resume.err
check "... --resume: exit 0" test $? -eq 0
check "... and the output equals an uninterrupted run's" cmp -s <(cat grace/part-* | sort) grace.ref

# 7. The report stays small with many tasks: at most 4096 sampled tasks, 2000 curve points.
timeout 120 "$TF" square --tasks 100000 --batch 1 --report many.json >/dev/null 2>many.err
check "100,000 tasks with a report: exit 0" test $? -eq 0
check "... at most 4096 sampled tasks and 2000 points of the curve" python3 -c "
import json
t = json.load(open('many.json'))['timeline']
assert 0 < len(t['tasks']) <= 4096 and 0 < len(t['completed']) <= 2000, (len(t['tasks']), len(t['completed']))
"
finish
