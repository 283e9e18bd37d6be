#!/usr/bin/env bash
# Several hosts on one machine: one network namespace per host (its own hostname, a veth
# into a bridge, an address in a private test subnet), reached by mpirun through an rsh
# agent that wraps `ip netns exec`, with TCP only. Runs the MPI test program and the
# farm's jobs on 2 and 3 such hosts and checks their outputs; deletes everything after.
# Needs root (network namespaces).
# Usage: multihost_test.sh path/to/taskfarm path/to/farm_mpi_test
TF=${1:?usage: multihost_test.sh path/to/taskfarm path/to/farm_mpi_test}
MPI_TEST=$(realpath "${2:?usage: multihost_test.sh path/to/taskfarm path/to/farm_mpi_test}")
source "$(dirname "$0")/../e2e/lib.sh"

SUBNET=10.213.7     # exists only inside these namespaces and on the bridge
BRIDGE=tfbr0
HOSTS=3
cleanup() {
  for i in $(seq "$HOSTS"); do
    ip netns del "tfhost$i" 2>/dev/null
    ip link del "tfveth$i" 2>/dev/null
  done
  ip link del "$BRIDGE" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
cleanup
mkdir -p "$TMP"

ip link add "$BRIDGE" type bridge && ip addr add "$SUBNET.254/24" dev "$BRIDGE" && ip link set "$BRIDGE" up || {
  echo "FAILED: cannot create a bridge (network namespaces need root)"
  exit 1
}
for i in $(seq "$HOSTS"); do
  ip netns add "tfhost$i"
  ip link add "tfveth$i" type veth peer name eth0 netns "tfhost$i"
  ip link set "tfveth$i" master "$BRIDGE" up
  ip -n "tfhost$i" addr add "$SUBNET.$i/24" dev eth0
  ip -n "tfhost$i" link set eth0 up
  ip -n "tfhost$i" link set lo up
done

# The rsh agent: `AGENT [ssh options] HOST COMMAND...` runs COMMAND through a shell (as
# ssh would) in HOST's namespace, under HOST's own hostname.
AGENT="$TMP/netns-rsh"
cat >"$AGENT" <<AGENT_EOF
#!/bin/bash
while [ "\${1:0:1}" = "-" ]; do shift; done
host=\$1
shift
ns=tfhost\${host##*.}
exec ip netns exec "\$ns" unshare --uts sh -c 'hostname "\$0"; exec sh -c "\$1"' "\$ns" "\$*"
AGENT_EOF
chmod +x "$AGENT"


export PMIX_MCA_gds=hash
NET=(mpirun --oversubscribe --mca plm_rsh_agent "$AGENT" --mca plm_rsh_no_tree_spawn 1
     --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include "$SUBNET.0/24"
     --mca oob_tcp_if_include "$SUBNET.0/24" --map-by node -x PMIX_MCA_gds -x OMPI_ALLOW_RUN_AS_ROOT
     -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM -x LC_ALL)
hosts_for() {  # hosts_for N: N hosts with 2 slots each
  local list=""
  for i in $(seq "$1"); do list+="${list:+,}$SUBNET.$i:2"; done
  echo "$list"
}

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
  timeout 300 "${NET[@]}" --host "$H" -n "$ranks" "$TF" wordcount --input "$TMP/in" --block-size 8K \
    --output "$TMP/wc-$n" >/dev/null 2>&1
  check "$n hosts: wordcount equals tr | sort | uniq -c" cmp -s <(cat "$TMP/wc-$n"/part-* | sort) "$TMP/wc.ref"
  seq 0 $((4 * ranks)) | sed 's/.*/sleep 0.05; echo $TASKFARM_TASK_ID $(hostname)/' >"$TMP/cmd.txt"
  timeout 300 "${NET[@]}" --host "$H" -n "$ranks" "$TF" cmd --tasks-file "$TMP/cmd.txt" --joblog "$TMP/cmd-$n.log" \
    >"$TMP/cmd-$n.out" 2>/dev/null
  check "$n hosts: cmd runs every task exactly once" ids_exactly $((4 * ranks + 1)) "$TMP/cmd-$n.out"
  check "$n hosts: tasks ran on $n hosts (their own hostnames)" \
    test "$(cut -d' ' -f2 "$TMP/cmd-$n.out" | sort -u | grep -c '^tfhost')" -eq "$n"
  check "$n hosts: the joblog's Host column names them" \
    test "$(tail -n +2 "$TMP/cmd-$n.log" | cut -f2 | sort -u | grep -c '^tfhost')" -eq "$n"
done
finish
