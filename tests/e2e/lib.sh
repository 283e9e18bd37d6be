# Shared by the end-to-end test scripts: source it after setting TF.
# Gives $TMP (removed on exit), check DESCRIPTION COMMAND..., run, kill_job,
# square_reference, wordcount_reference and finish.
set -u
set -o pipefail  # a pipeline fails when any part of it does: no exit code lost in a pipe
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

# A negative control: succeeds when the command fails (a checker shown to reject bad input).
fails() { ! "$@"; }

# Runs a command with its own timeout (120 s, or $RUN_TIMEOUT), stdout and stderr to
# $TMP/NAME.out and $TMP/NAME.err; its exit code is left in $rc for the checks.
run() {  # run NAME COMMAND...
  local name=$1
  shift
  timeout "${RUN_TIMEOUT:-120}" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  rc=$?
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

# The oracle for the square job: the sorted lines of TASKS tasks of SEED, computed by a
# generator that shares no code with the program (square_reference.c, built here once).
square_reference() {  # square_reference TASKS SEED
  local generator="$TMP/square_reference"
  [ -x "$generator" ] || cc -O2 -o "$generator" "$(dirname "${BASH_SOURCE[0]}")/square_reference.c" || return 1
  "$generator" "$1" "$2" | sort
}

# Whether the first fields (space or tab separated) of the lines of FILEs are exactly the
# task IDs 0..N-1, each once: no task lost, none doubled.
ids_exactly() {  # ids_exactly N FILE...
  local n=$1
  shift
  awk '{ print $1 }' "$@" | sort -n | cmp -s - <(seq 0 $((n - 1)))
}

# The sleep job's output with --dist fixed, by its documented rule: "id<TAB>mean" per task.
sleep_reference() {  # sleep_reference TASKS MEAN_US
  seq 0 $(($1 - 1)) | awk -v us="$2" '{ print $1 "\t" us }' | sort
}

finish() {
  echo "$passed passed, $failed failed"
  test "$failed" -eq 0
}
