#!/usr/bin/env bash
# cmd on real nodes: GPUs and cores per slot, the per-attempt trace, and the walltime
# guard (cmd and a job that runs tasks in batches, at 1 and 3 ranks). The HTML report has
# its own test (html_test.sh). This machine has no GPUs: the node's list comes from the
# environment and --gpus, and what each task saw is checked by gpu_check.py.
# Usage: nodes_test.sh path/to/taskfarm
TF=${1:?usage: nodes_test.sh path/to/taskfarm}
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3  # Debian's, with python3-matplotlib
cd "$TMP" || exit 1

# 1. GPUs. Each task logs: id, start, end, then CUDA_, ROCR_, HIP_VISIBLE_DEVICES and TASKFARM_GPUS.
for i in $(seq 0 11); do
  echo "s=\$(date +%s.%N); sleep 0.5; echo $i \$s \$(date +%s.%N) \$CUDA_VISIBLE_DEVICES \$ROCR_VISIBLE_DEVICES \$HIP_VISIBLE_DEVICES \$TASKFARM_GPUS"
done >gpu_tasks.txt
gpu_run() {  # gpu_run NAME RANKS [ARGS...]: the run's task lines in NAME.log
  local name=$1 ranks=$2
  shift 2
  CUDA_VISIBLE_DEVICES=0,1,2,3 timeout 60 "${MPIRUN[@]}" -x CUDA_VISIBLE_DEVICES -n "$ranks" "$TF" cmd \
    --tasks-file gpu_tasks.txt "$@" >"$name.log" 2>"$name.err"
}
gpu_run gpu2 2 --gpus-per-slot 2
check "GPUs, 2 ranks, CUDA_VISIBLE_DEVICES=0,1,2,3, --gpus-per-slot 2: exit 0" test $? -eq 0
check "... 12 tasks, 2 GPUs each, never shared while overlapping, exactly 2 at a time" \
  $PY "$HERE/gpu_check.py" gpu2.log 12 2 2 2 0,1,2,3
# The checker rejects what it must: a shared GPU, 3 at a time, a task with the wrong count,
# tasks run one at a time (each slot's GPUs in turn), and a worker that ignored --gpus (only the
# environment's GPUs 0..3 of the 0..7 given).
printf '0 1.0 2.0 0,1 0,1 0,1 0,1\n1 1.5 2.5 2,3 2,3 2,3 2,3\n2 1.6 2.6 1,2 1,2 1,2 1,2\n' >shared.log
printf '0 1.0 2.0 0,1 0,1 0,1 0,1\n1 1.1 2.0 2,3 2,3 2,3 2,3\n2 1.2 2.0 4,5 4,5 4,5 4,5\n' >three.log
printf '0 1.0 2.0 0 0 0 0\n' >one.log
for i in $(seq 0 11); do
  gpus=$([ $((i % 2)) -eq 0 ] && echo 0,1 || echo 2,3)
  echo "$i $i.0 $i.5 $gpus $gpus $gpus $gpus"
done >serial.log
for i in $(seq 0 11); do
  gpus=$([ $((i % 2)) -eq 0 ] && echo 0,1 || echo 2,3)
  echo "$i $((i / 2)).0 $((i / 2)).5 $gpus $gpus $gpus $gpus"
done >ignored.log
check "... the checker rejects a GPU shared by overlapping tasks" fails $PY "$HERE/gpu_check.py" shared.log 3 2 1 3 0,1,2,3
check "... and three tasks at a time when two are allowed" fails $PY "$HERE/gpu_check.py" three.log 3 2 2 2 0,1,2,3,4,5
check "... and a task that saw 1 GPU, not 2" fails $PY "$HERE/gpu_check.py" one.log 1 2 1 1 0
check "... and tasks run one at a time" fails $PY "$HERE/gpu_check.py" serial.log 12 2 2 2 0,1,2,3
check "... and a worker that ignored --gpus 0,...,7" fails $PY "$HERE/gpu_check.py" ignored.log 12 2 2 4 0,1,2,3,4,5,6,7
gpu_run gpu3 3 --gpus-per-slot 2
check "GPUs, 3 ranks on one node (2 workers split 4 GPUs): exit 0" test $? -eq 0
check "... every task got 2 GPUs of its own, 2 at a time" $PY "$HERE/gpu_check.py" gpu3.log 12 2 2 2 0,1,2,3
check "... both workers ran tasks" test "$(grep -c . gpu3.log)" -eq 12 -a "$(grep -c 'tasks per worker: 1:[1-9][0-9]* 2:[1-9]' gpu3.err)" -eq 1
gpu_run gpu8 2 --gpus-per-slot 2 --gpus 0,1,2,3,4,5,6,7
check "--gpus 0,...,7 (over CUDA_VISIBLE_DEVICES): exit 0" test $? -eq 0
check "... 4 slots of 2 GPUs, exactly the list's, never shared, 4 at a time" \
  $PY "$HERE/gpu_check.py" gpu8.log 12 2 4 4 0,1,2,3,4,5,6,7
CUDA_VISIBLE_DEVICES=0,1 timeout 20 "${MPIRUN[@]}" -q -x CUDA_VISIBLE_DEVICES -n 2 "$TF" cmd --tasks-file gpu_tasks.txt \
  --gpus-per-slot 3 >too_many.out 2>too_many.err
check "3 GPUs per slot from 2: exit 2" test $? -eq 2
check "... one line naming the GPUs found" \
  bash -c "[ \$(wc -l <too_many.err) -eq 1 ] && grep -q 'needs 3 GPUs; rank 1 on .* has 2: 0,1 (from CUDA_VISIBLE_DEVICES)' too_many.err"
check "... and no task ran" test ! -s too_many.out

# 2. Cores: 2 slots of 1 core on this machine's 2 cores; overlapping tasks are pinned apart.
for i in $(seq 0 5); do
  echo "s=\$(date +%s.%N); sleep 0.4; echo $i \$s \$(date +%s.%N) \$(grep Cpus_allowed_list /proc/self/status | cut -f2) \$OMP_NUM_THREADS \$TASKFARM_CPUS"
done >cpu_tasks.txt
timeout 60 "${MPIRUN[@]}" --bind-to none -n 2 "$TF" cmd --tasks-file cpu_tasks.txt --cpus-per-slot 1 --slots-per-worker 2 \
  >cpu.log 2>cpu.err
check "--cpus-per-slot 1 --slots-per-worker 2 (--bind-to none): exit 0" test $? -eq 0
check "... overlapping tasks ran on disjoint cores, 1 each, OMP_NUM_THREADS=1" $PY - cpu.log <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
assert len(rows) == 6, rows
for r in rows:
    assert r[3] == r[5] and "," not in r[3] and "-" not in r[3] and r[4] == "1", r
overlapping = [(a, b) for a in rows for b in rows if a < b and float(a[1]) < float(b[2]) and float(b[1]) < float(a[2])]
assert overlapping, "no two tasks overlapped"
assert all(a[3] != b[3] for a, b in overlapping), overlapping
PY
timeout 20 "${MPIRUN[@]}" -q --bind-to none -n 2 "$TF" cmd --tasks-file cpu_tasks.txt --cpus-per-slot 3 >/dev/null 2>cpu3.err
check "3 cores per slot from 2: exit 2, one line naming the cpuset" \
  bash -c "[ $? -eq 2 ] && [ \$(wc -l <cpu3.err) -eq 1 ] && grep -q 'needs 3 cores; rank 1 on .* may use 2 (cpuset 0,1' cpu3.err"

# 3. The trace: one line per attempt, with what the kernel counted. The write goes to a
# disk (tmpfs counts no I/O): beside the program when $TMP is on tmpfs.
DISK=$TMP
[ "$(stat -f -c %T "$TMP")" = tmpfs ] && DISK=$(mktemp -d -p "$(dirname "$TF")")
cat >trace_tasks.txt <<TASKS
/usr/bin/python3 -c "b = b'x' * (200 << 20)"
/usr/bin/python3 -c "import time; t = time.process_time() + 1; exec('while time.process_time() < t:\\n for i in range(100000): pass')"
head -c 50000000 /dev/zero >$DISK/big.bin && rm $DISK/big.bin
n=\$(cat tries 2>/dev/null || echo 0); echo \$((n + 1)) >tries; test "\$n" -ge 1
TASKS
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file trace_tasks.txt --trace trace.tsv --retries 2 --report trace.json \
  >/dev/null 2>trace.err
check "--trace: exit 0" test $? -eq 0
check "... its header is exactly the documented columns" test "$(head -1 trace.tsv)" = \
  "$(printf 'task\tattempt\trank\thost\tslot\tgpus\tcpus\tstart\truntime_s\texit\tsignal\tpeak_rss_kib\tuser_s\tsys_s\tread_bytes\twrite_bytes\tcommand')"
field() {  # field TASK COLUMN: the column of the task's successful attempt
  awk -F'\t' -v t="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } $1 == t && $10 == 0 { print $col[c] }' trace.tsv
}
check "... a task touching 200 MB: peak_rss_kib $(field 0 peak_rss_kib) >= 200000" test "$(field 0 peak_rss_kib)" -ge 200000
check "... a task spinning for 1 s of CPU (however busy the machine): user_s $(field 1 user_s) >= 0.8" awk -v u="$(field 1 user_s)" 'BEGIN { exit !(u >= 0.8) }'
check "... a task writing 50 MB: write_bytes $(field 2 write_bytes) >= 50000000" test "$(field 2 write_bytes)" -ge 50000000
check "... one line per attempt: the task failing once has 2 (attempts 0 and 1), 5 in all" \
  test "$(awk -F'\t' '$1 == 3 { printf "%s%s", $2, $10 == 0 ? "ok " : "failed " }' trace.tsv)$(($(wc -l <trace.tsv) - 1))" = "0failed 1ok 5"
check "... the report has the largest peak RSS and the CPU time" $PY - trace.json <<'PY'
import json, sys
u = json.load(open(sys.argv[1]))["task_usage"]
assert u["max_peak_rss_kib"] >= 200000 and u["cpu_s"] >= 0.8, u
PY
[ "$DISK" = "$TMP" ] || rm -rf "$DISK"

# 4. The walltime guard: 20 one-second tasks, one slot, the cut 2 s before an end 6 s away.
for i in $(seq 0 19); do echo "date +%s.%N >started.$i; sleep 1; echo $i"; done >wall_tasks.txt
timeout 60 "${MPIRUN[@]}" -n 2 "$TF" cmd --tasks-file wall_tasks.txt --output wall --end-time +6 --min-time-left 2 \
  >/dev/null 2>wall.err
check "walltime guard: exit 3" test $? -eq 3
check "... stop_reason walltime, not committed" \
  bash -c "[ ! -e wall/_SUCCESS ] && $PY -c \"import json; r = json.load(open('wall/_report.json')); assert r['stop_reason'] == 'walltime' and r['status'] == 'incomplete', r['stop_reason']\""
cut=$(grep -o '^[0-9-]* [0-9:.]* taskfarm master: walltime: ' wall.err | cut -d' ' -f1,2)
cut_epoch=$(date -d "$cut" +%s.%N 2>/dev/null || echo 0)
started=$(ls started.* 2>/dev/null | wc -l)
check "... the log says when ($cut) and how much time was left" grep -q 'walltime: [0-9.]* s left before --end-time' wall.err
check "... no task started after the cut ($started started)" \
  bash -c "[ $started -ge 2 ] && [ $started -lt 20 ] && cat started.* | awk -v cut=$cut_epoch '\$1 > cut { late++ } END { exit late > 0 }'"
check "... only the tasks that started are done" test "$(ls wall/tasks/00000/*.out | wc -l)" -eq "$started"
timeout 60 "${MPIRUN[@]}" -n 2 "$TF" cmd --tasks-file wall_tasks.txt --output wall --resume >/dev/null 2>wall2.err
check "... --resume completes the rest: exit 0" test $? -eq 0 -a -e wall/_SUCCESS
check "... every task's output is right" cmp -s <(cat wall/tasks/00000/*.out | sort -n) <(seq 0 19)
check "... the $started done before the cut were not run again" grep -q "+$started done by earlier runs" wall2.err
# A job that runs tasks in batches: the workers hand back the batches they hold unrun.
sleep_reference 200 20000 >sleep.ref
for ranks in 1 3; do
  timeout 60 "${MPIRUN[@]}" -n $ranks "$TF" sleep --tasks 200 --mean-us 20000 --dist fixed --output "ws$ranks" \
    --end-time +2 --min-time-left 0.5 >/dev/null 2>"ws$ranks.err"
  rc=$?
  check "sleep job, $ranks ranks, cut by the walltime: exit 3, stop_reason walltime" \
    bash -c "[ $rc -eq 3 ] && grep -q 'stopping: walltime' ws$ranks.err"
  timeout 60 "${MPIRUN[@]}" -n $ranks "$TF" sleep --tasks 200 --mean-us 20000 --dist fixed --output "ws$ranks" --resume \
    >/dev/null 2>"ws$ranks.resume.err"
  check "... --resume: exit 0, output equals an uninterrupted run" \
    bash -c "[ $? -eq 0 ] && cat ws$ranks/part-* | sort | cmp -s - sleep.ref"
done
timeout 20 "$TF" square --tasks 3 --end-time soon >/dev/null 2>bad_end.err
check "--end-time soon: exit 2, one line" bash -c "[ $? -eq 2 ] && [ \$(wc -l <bad_end.err) -eq 1 ] && grep -q 'expected epoch seconds or +SECONDS' bad_end.err"

finish
