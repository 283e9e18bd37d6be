#!/usr/bin/env bash
# cmd --ranks-per-task N: command lists whose tasks are MPI programs. Each line starts
# tests/groups/hello.c (an MPI program: its rank, size, an allreduce and its host) through
# $TASKFARM_MPIRUN; every task must run as one MPI job of exactly N ranks, never more
# tasks at once than groups, and a task that hangs inside its MPI job is killed whole and
# retried.
# Usage: cmd_groups_test.sh path/to/taskfarm
TF=${1:?usage: cmd_groups_test.sh path/to/taskfarm}
source "$(dirname "$0")/../e2e/lib.sh"
mpicc -O2 -o "$TMP/hello" "$(dirname "$0")/hello.c"
check "the MPI hello program builds" test -x "$TMP/hello"

# tasks_file FILE COUNT: each line says what it was given, then runs hello on its group.
tasks_file() {
  for i in $(seq 0 $(($2 - 1))); do
    echo "echo \"task $i np=\$TASKFARM_NP hosts=\$TASKFARM_HOSTS hostfile=\$(tr '\\n' ' ' <\$TASKFARM_HOSTFILE)\"; \$TASKFARM_MPIRUN $TMP/hello $i"
  done >"$1"
}
# one_job_of OUT TASKS N: every task's hello ran as one MPI job of N ranks (ranks 0..N-1,
# each saying size N and the allreduce's N), and said so once.
one_job_of() {
  python3 - "$@" <<'PY'
import collections, sys
out, tasks, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ranks = collections.defaultdict(list)
said = collections.Counter()
for line in open(out):
    f = line.split()
    if f[0] == "task":
        said[int(f[1])] += 1
        assert f[2] == f"np={n}", line
    else:
        ranks[int(f[0])].append((int(f[1].split("=")[1]), f[2], f[3]))
for t in range(tasks):
    assert said[t] == 1, (t, said[t])
    assert sorted(r for r, _, _ in ranks[t]) == list(range(n)), (t, ranks[t])
    assert all(s == f"size={n}" and a == f"sum={n}" for _, s, a in ranks[t]), (t, ranks[t])
assert sorted(ranks) == list(range(tasks)), sorted(ranks)
PY
}
# at_most_at_once TRACE K: the trace never shows more than K attempts running at once.
at_most_at_once() {
  python3 - "$@" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
# Times are rounded to the millisecond: an attempt may seem to end 2 ms after the next began.
events = sorted([(float(r["start"]), 1) for r in rows] +
                [(float(r["start"]) + float(r["runtime_s"]) - 0.002, -1) for r in rows], key=lambda e: (e[0], e[1]))
running = most = 0
for _, step in events:
    running += step
    most = max(most, running)
sys.exit(0 if rows and most <= int(sys.argv[2]) else 1)
PY
}

for case in "5 2" "7 3"; do
  read -r p n <<<"$case"
  tasks_file "$TMP/tasks$p.txt" 12
  run "groups$p" "${MPIRUN[@]}" -n "$p" "$TF" --progress none cmd --ranks-per-task "$n" \
    --tasks-file "$TMP/tasks$p.txt" --trace "$TMP/trace$p" --joblog "$TMP/joblog$p"
  check "$p ranks, groups of $n: exit 0; each of 12 tasks ran as one MPI job of exactly $n ranks" \
    bash -c "$(declare -f one_job_of); [ $rc -eq 0 ] && one_job_of '$TMP/groups$p.out' 12 $n"
  check "... with TASKFARM_HOSTS and its hostfile naming $n ranks on this host" \
    bash -c "grep -c \"hosts=$(hostname):$n hostfile=$(hostname) slots=$n \" '$TMP/groups$p.out' | grep -qx 12"
  check "... never more tasks at once than the 2 groups (the trace)" at_most_at_once "$TMP/trace$p" 2
  check "... and the trace's rank column is a group's first rank" \
    test "$(awk -F'\t' 'NR > 1 { print $3 }' "$TMP/trace$p" | sort -u | tr '\n' ' ')" = "1 $((n + 1)) "
done
check "the checker rejects a task run on the wrong number of ranks" fails one_job_of "$TMP/groups5.out" 12 3 2>/dev/null
check "the concurrency checker rejects a trace with more at once" fails at_most_at_once "$TMP/trace5" 1

# --launcher replaces the launcher, verbatim.
printf '%s\n' 'echo "$TASKFARM_MPIRUN"' 'echo "$TASKFARM_MPIRUN"' >"$TMP/launcher.txt"
run launcher "${MPIRUN[@]}" -n 3 "$TF" --progress none cmd --ranks-per-task 2 --launcher "mpiexec -n 2 --oversubscribe" \
  --tasks-file "$TMP/launcher.txt"
check "--launcher: TASKFARM_MPIRUN is the prefix given" \
  bash -c "[ $rc -eq 0 ] && [ \"\$(sort -u '$TMP/launcher.out')\" = 'mpiexec -n 2 --oversubscribe' ]"

# Usage errors: one line, exit 2.
run too_few "${MPIRUN[@]}" -q -n 2 "$TF" cmd --ranks-per-task 2 --tasks-file "$TMP/tasks5.txt"
check "--ranks-per-task 2 with one worker rank: exit 2, one line" \
  bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$TMP/too_few.err') -eq 1 ] && grep -q 'ranks-per-task' '$TMP/too_few.err'"
run slots "${MPIRUN[@]}" -q -n 3 "$TF" cmd --ranks-per-task 2 --slots-per-worker 2 --tasks-file "$TMP/tasks5.txt"
check "--slots-per-worker with --ranks-per-task: exit 2, one line naming it" \
  bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$TMP/slots.err') -eq 1 ] && grep -q -- '--slots-per-worker' '$TMP/slots.err'"

# A task that hangs inside its MPI job (its first attempt): --task-timeout kills all its
# ranks, and the retry succeeds.
cat >"$TMP/hang.txt" <<EOF2
if [ -e $TMP/tried ]; then \$TASKFARM_MPIRUN $TMP/hello 0; else touch $TMP/tried; \$TASKFARM_MPIRUN $TMP/hello 0 hang; fi
EOF2
run hang "${MPIRUN[@]}" -n 3 "$TF" --progress none --task-timeout 4 --retries 1 cmd --ranks-per-task 2 \
  --tasks-file "$TMP/hang.txt" --joblog "$TMP/hang.joblog"
sleep 1
check "a task hung in its MPI job: killed at --task-timeout and retried; exit 0, two attempts in the joblog" \
  bash -c "[ $rc -eq 0 ] && [ \$(tail -n +2 '$TMP/hang.joblog' | wc -l) -eq 2 ] && grep -q '^0 rank=1 size=2 sum=2' '$TMP/hang.out'"
check "... and no rank of the hung job is left" bash -c "! pgrep -f '$TMP/[h]ello 0 hang'"
finish
