# Shared by the end-to-end test scripts: source it after setting TF.
# Gives $TMP (removed on exit), check DESCRIPTION COMMAND..., kill_job, wordcount_reference
# and finish.
set -u
TF=$(realpath "$TF")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 LC_ALL=C
MPIRUN=(mpirun --oversubscribe)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

check() {  # check DESCRIPTION COMMAND...
  local desc=$1
  shift
  if "$@"; then passed=$((passed + 1)); echo "ok: $desc"; else failed=$((failed + 1)); echo "FAILED: $desc"; fi
}

# Open MPI puts every rank in its own process group, so killing mpirun's group would leave
# the ranks running. Like a batch system, kill the whole session and wait until it is gone.
kill_job() {  # kill_job SESSION_LEADER_PID [SIGNAL]
  pkill "-${2:-KILL}" -s "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  while pgrep -s "$1" >/dev/null; do sleep 0.05; done
}

# The oracle for the wordcount job: standard input's words (maximal runs of bytes other
# than whitespace) as sorted "word<TAB>count" lines, by coreutils.
wordcount_reference() {
  tr -s '[:space:]' '\n' | grep -a -v '^$' | sort | uniq -c | awk '{ print $2 "\t" $1 }' | sort
}

finish() {
  echo "$passed passed, $failed failed"
  test "$failed" -eq 0
}
