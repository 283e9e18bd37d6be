#!/usr/bin/env bash
# Several hosts on one machine (scripts/netns-hosts.sh: network namespaces, TCP only).
# Runs the MPI test program and the farm's jobs on 2 and 3 such hosts and checks their
# outputs; deletes everything after.
# Needs root (network namespaces).
# Usage: multihost_test.sh path/to/taskfarm path/to/farm_mpi_test
TF=${1:?usage: multihost_test.sh path/to/taskfarm path/to/farm_mpi_test}
MPI_TEST=$(realpath "${2:?usage: multihost_test.sh path/to/taskfarm path/to/farm_mpi_test}")
source "$(dirname "$0")/../e2e/lib.sh"
unset PMIX_MCA_psec  # PMIx as the machine has it (see tests/CMakeLists.txt)
source "$(dirname "$0")/../../scripts/netns-hosts.sh"
HOSTS=3
cleanup() {
  netns_down
  [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP"
netns_up "$HOSTS" "$TMP" || {
  echo "FAILED: cannot create a bridge (network namespaces need root)"
  exit 1
}
NET+=(-x LC_ALL)

square_reference 20000 6 >"$TMP/square.ref"
mkdir "$TMP/in"
python3 - "$TMP/in" <<'PY'
import random, sys
rng = random.Random(8)
words = ["one", "two", "three", "four", "five", "six", "seven"]
for i in range(3):
    with open(f"{sys.argv[1]}/t{i}.txt", "w") as f:
        for _ in range(20000):
            f.write(" ".join(rng.choices(words, k=rng.randint(1, 9))) + "\n")
PY
cat "$TMP/in"/*.txt | wordcount_reference >"$TMP/wc.ref"

for n in 2 3; do
  H=$(hosts_for "$n")
  ranks=$((n + 1))
  timeout 300 "${NET[@]}" --host "$H" -n "$ranks" "$MPI_TEST" >"$TMP/mpi-$n.log" 2>&1
  check "$n hosts: the MPI tests pass on $ranks ranks" test $? -eq 0
  timeout 300 "${NET[@]}" --host "$H" -n "$ranks" "$TF" --report "$TMP/sq-$n.json" square --tasks 20000 --seed 6 \
    --output "$TMP/sq-$n" >/dev/null 2>"$TMP/sq-$n.err"
  check "$n hosts: square --output exits 0" test $? -eq 0
  check "$n hosts: square output equals the tasks of seed 6" cmp -s <(cat "$TMP/sq-$n"/part-* | sort) "$TMP/square.ref"
  check "$n hosts: the report gives each worker's path delay over TCP (it sizes the prefetch)" python3 -c "
import json, sys
r = json.load(open('$TMP/sq-$n.json'))
assert len(r['per_worker']) == $n and all(0 < w['round_trip_s'] < 10 for w in r['per_worker']), r['per_worker']
"
  timeout 300 "${NET[@]}" --host "$H" -n "$ranks" "$TF" wordcount --input "$TMP/in" --block-size 8K \
    --output "$TMP/wc-$n" >/dev/null 2>"$TMP/wc-$n.err"
  check "$n hosts: wordcount exits 0" test $? -eq 0
  check "$n hosts: wordcount equals tr | sort | uniq -c" cmp -s <(cat "$TMP/wc-$n"/part-* | sort) "$TMP/wc.ref"
  seq 0 $((4 * ranks)) | sed 's/.*/sleep 0.05; echo $TASKFARM_TASK_ID $(hostname)/' >"$TMP/cmd.txt"
  timeout 300 "${NET[@]}" --host "$H" -n "$ranks" "$TF" cmd --tasks-file "$TMP/cmd.txt" --joblog "$TMP/cmd-$n.log" \
    >"$TMP/cmd-$n.out" 2>"$TMP/cmd-$n.err"
  check "$n hosts: cmd exits 0" test $? -eq 0
  check "$n hosts: cmd runs every task exactly once" ids_exactly $((4 * ranks + 1)) "$TMP/cmd-$n.out"
  check "$n hosts: tasks ran on $n hosts (their own hostnames)" \
    test "$(cut -d' ' -f2 "$TMP/cmd-$n.out" | sort -u | grep -c '^tfhost')" -eq "$n"
  check "$n hosts: the joblog's Host column names them" \
    test "$(tail -n +2 "$TMP/cmd-$n.log" | cut -f2 | sort -u | grep -c '^tfhost')" -eq "$n"
done

# cmd --ranks-per-task 2: each task starts tests/groups/hello.c through $TASKFARM_MPIRUN,
# and every rank of it says where it runs.
mpicc -O2 -o "$TMP/hello" "$(dirname "$0")/../groups/hello.c"
for i in $(seq 0 7); do echo "echo task $i \$TASKFARM_HOSTS; \$TASKFARM_MPIRUN $TMP/hello $i"; done >"$TMP/mpi-tasks.txt"
# on_named_hosts OUT HOSTS...: the 8 tasks each ran as one MPI job of 2 ranks, exactly on
# the hosts their TASKFARM_HOSTS names, and the TASKFARM_HOSTS values were exactly HOSTS.
on_named_hosts() {
  python3 - "$@" <<'PY'
import collections, sys
named, ranks = {}, collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "task":
        named[int(f[1])] = f[2]
    else:
        ranks[int(f[0])].append((f[1], f[2], f[4].split("=")[1]))
assert sorted(named) == list(range(8)) and sorted(ranks) == list(range(8)), (named, ranks)
assert set(named.values()) == set(sys.argv[2:]), named
for t, rs in ranks.items():
    assert sorted(r for r, _, _ in rs) == ["rank=0", "rank=1"] and all(s == "size=2" for _, s, _ in rs), rs
    assert {h for _, _, h in rs} == {h.split(":")[0] for h in named[t].split(",")}, (t, rs, named[t])
PY
}
# The master alone on the first host, 2 ranks on each of the others: a group on each.
timeout 300 "${NET[@]}" --host "$SUBNET.1:1,$SUBNET.2:2,$SUBNET.3:2" -n 5 "$TF" --progress none cmd --ranks-per-task 2 \
  --tasks-file "$TMP/mpi-tasks.txt" --joblog "$TMP/mpi-tasks.log" >"$TMP/mpi-cmd.out" 2>"$TMP/mpi-cmd.err"
check "3 hosts, cmd --ranks-per-task 2: exit 0" test $? -eq 0
check "... each task one MPI job of 2 ranks, on the host its TASKFARM_HOSTS names, on both worker hosts" \
  on_named_hosts "$TMP/mpi-cmd.out" tfhost2:2 tfhost3:2
# One worker rank on each of two hosts: the group spans them, and its tasks' mpirun
# reaches the other host the way the outer job did (the rsh agent, passed down in
# OMPI_MCA_plm_rsh_agent).
timeout 300 "${NET[@]}" --host "$SUBNET.1:1,$SUBNET.2:1,$SUBNET.3:1" -n 3 "$TF" --progress none cmd --ranks-per-task 2 \
  --tasks-file "$TMP/mpi-tasks.txt" >"$TMP/mpi-span.out" 2>"$TMP/mpi-span.err"
check "a group across 2 hosts, cmd --ranks-per-task 2: exit 0" test $? -eq 0
check "... each task's 2 ranks on both hosts its TASKFARM_HOSTS names" on_named_hosts "$TMP/mpi-span.out" tfhost2:1,tfhost3:1
check "the host checker rejects the other placement" fails on_named_hosts "$TMP/mpi-span.out" tfhost2:2 tfhost3:2 2>/dev/null
finish
