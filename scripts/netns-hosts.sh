# Sourced by tests/netns/multihost_test.sh and scripts/bench-tcp: several hosts on one
# machine, one network namespace per host (its own hostname, a veth into a bridge, an
# address in a private test subnet), reached by mpirun through an rsh agent that wraps
# `ip netns exec`, with TCP only. Needs root.
#   netns_up HOSTS DIR   creates the hosts (the agent goes in DIR); returns 1 without root
#   netns_down           deletes them (safe to call twice)
#   hosts_for N [SLOTS]  the --host list of the first N hosts, SLOTS slots each (default 2)
#   "${NET[@]}" ...      mpirun over TCP across those hosts (add --host and -n)

SUBNET=10.213.7     # exists only inside these namespaces and on the bridge
BRIDGE=tfbr0
NETNS_HOSTS=0

netns_down() {
  for i in $(seq "$NETNS_HOSTS"); do
    ip netns del "tfhost$i" 2>/dev/null
    ip link del "tfveth$i" 2>/dev/null
  done
  ip link del "$BRIDGE" 2>/dev/null
  return 0
}

netns_up() {
  NETNS_HOSTS=$1
  local dir=$2
  netns_down
  ip link add "$BRIDGE" type bridge 2>/dev/null && ip addr add "$SUBNET.254/24" dev "$BRIDGE" &&
    ip link set "$BRIDGE" up || return 1
  for i in $(seq "$NETNS_HOSTS"); do
    ip netns add "tfhost$i"
    ip link add "tfveth$i" type veth peer name eth0 netns "tfhost$i"
    ip link set "tfveth$i" master "$BRIDGE" up
    ip -n "tfhost$i" addr add "$SUBNET.$i/24" dev eth0
    ip -n "tfhost$i" link set eth0 up
    ip -n "tfhost$i" link set lo up
  done
  # The rsh agent: `AGENT [ssh options] HOST COMMAND...` runs COMMAND through a shell (as
  # ssh would) in HOST's namespace, under HOST's own hostname. HOST is an address or that
  # hostname (tfhostN: how a rank inside names its host, for an mpirun of its own).
  local agent="$dir/netns-rsh"
  cat >"$agent" <<AGENT_EOF
#!/bin/bash
while [ "\${1:0:1}" = "-" ]; do shift; done
host=\$1
shift
case \$host in tfhost*) ns=\$host ;; *) ns=tfhost\${host##*.} ;; esac
exec ip netns exec "\$ns" unshare --uts sh -c 'hostname "\$0"; exec sh -c "\$1"' "\$ns" "\$*"
AGENT_EOF
  chmod +x "$agent"
  export PMIX_MCA_gds=hash
  NET=(mpirun --oversubscribe --mca plm_rsh_agent "$agent" --mca plm_rsh_no_tree_spawn 1
       --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include "$SUBNET.0/24"
       --mca oob_tcp_if_include "$SUBNET.0/24" --map-by node -x PMIX_MCA_gds -x OMPI_ALLOW_RUN_AS_ROOT
       -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM)
}

hosts_for() {
  local list=""
  for i in $(seq "$1"); do list+="${list:+,}$SUBNET.$i:${2:-2}"; done
  echo "$list"
}
