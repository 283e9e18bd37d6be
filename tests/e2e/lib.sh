# Shared by the end-to-end test scripts: source it after setting TF.
# Gives $TMP (removed on exit), check DESCRIPTION COMMAND..., run, kill_job,
# kill_and_resume, square_reference, wordcount_reference and finish.
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
  if "$@"; then passed=$((passed + 1)); echo "ok: $desc"; else failed=$((failed + 1)); echo "FAILED: $desc"; last_run_says; fi
}

# After a failed check, what the last `run` left, so that a CI log shows why: its exit
# code, its output's line count and the end of its stderr ($TMP is gone by then).
last_run_says() {
  [ -n "${last_run:-}" ] || return 0
  echo "  the last run, $last_run, exited $rc with $(wc -l <"$TMP/$last_run.out" 2>/dev/null || echo no) lines on stdout; its stderr ends:"
  tail -n 5 "$TMP/$last_run.err" 2>/dev/null | sed 's/^/  | /'
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
  last_run=$name
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

# A committed output directory's results: DIR/result (a fold's value), or the
# lines of its part files, sorted.
output_of() {  # output_of DIR
  if [ -e "$1/result" ]; then cat "$1/result"; else cat "$1"/part-* | sort; fi
}

# The moments kill_and_resume kills at are random; RESUME_TEST_SEED (printed) replays them.
SEED=${RESUME_TEST_SEED:-$RANDOM$RANDOM}

# wait_for_journal OUT BYTES PID: returns once OUT/_journal is longer than BYTES or the
# run PID has ended (at most 2 minutes).
wait_for_journal() {
  for _ in $(seq 2400); do
    [ "$(stat -c %s "$1/_journal" 2>/dev/null || echo 0)" -gt "$2" ] && return
    kill -0 "$3" 2>/dev/null || return
    sleep 0.05
  done
}

now() { date +%s.%N; }
random_between() {  # random_between KEY A B: uniform in [A, B], fixed by SEED and KEY
  python3 -c "import random; r = random.Random('$SEED $1'); print(round(r.uniform($2, $3), 3))"
}

# Kills per kill_and_resume: 10; the sanitizer build sets fewer (KILL_ROUNDS), its runs
# being slower and its point memory errors, not the kill moments.
KILLS=${KILL_ROUNDS:-10}
# kill_and_resume NAME REFERENCE PROGRAM ARGS...: at 3 ranks (or $KILL_RANKS), an uninterrupted run first, timed: its start-up
# S (until it has journaled work) and its working time W. Then KILLS runs with --resume into
# one directory, each killed with SIGKILL at a random moment, and a last resume; every
# output must equal REFERENCE. The odd runs are killed 0.5 S to S + 0.1 W after launch,
# in start-up or early work; the even ones 0 to 0.12 W after they have journaled work.
# Timed this way, the kills hit a running job on a fast machine and a loaded one alike.
# KILL_AT=journaled makes every kill of the second kind: a single kill timed from one
# measured start-up can miss, that start-up being noisy on a loaded machine.
# The output is DIR/result for a fold, the sorted part files otherwise (output_of).
kill_and_resume() {
  local name=$1 reference=$2
  shift 2
  local out="$TMP/$name" killed_mid_run=0 t0 t1 t2 ranks=${KILL_RANKS:-3}
  echo "$name: kill moments from RESUME_TEST_SEED=$SEED"
  t0=$(now)
  setsid mpirun --oversubscribe -n "$ranks" "$@" --output "$out.full" >/dev/null 2>"$TMP/$name.full.err" &
  local pid=$!
  wait_for_journal "$out.full" 1000 "$pid"  # it has journaled work
  t1=$(now)
  wait "$pid"
  check "$name: the uninterrupted run exits 0" test $? -eq 0
  t2=$(now)
  check "$name: the uninterrupted run's output equals the reference" \
    cmp -s <(output_of "$out.full") "$reference"
  local startup work
  startup=$(python3 -c "print($t1 - $t0)")
  work=$(python3 -c "print($t2 - $t1)")
  echo "$name: start-up $startup s, work $work s"
  for i in $(seq "$KILLS"); do
    local journaled
    journaled=$(stat -c %s "$out/_journal" 2>/dev/null || echo 0)
    setsid mpirun --oversubscribe -n "$ranks" "$@" --output "$out" --resume >/dev/null 2>"$TMP/$name.run$i.err" &
    pid=$!
    local delay
    if [ "${KILL_AT:-}" != journaled ] && [ $((i % 2)) -eq 1 ]; then
      delay=$(random_between "$name $i" "0.5 * $startup" "$startup + 0.1 * $work")
      sleep "$delay"
    else
      wait_for_journal "$out" $((journaled + 1000)) "$pid"
      delay=$(random_between "$name $i" 0 "0.12 * $work")
      sleep "$delay"
      delay="journaled work + $delay"
    fi
    # A kill counts as mid-run only if the job was still alive just before it.
    local alive=no
    kill -0 "$pid" 2>/dev/null && alive=yes
    kill_job "$pid"
    echo "$name kill $i: after ${delay} s, job alive: $alive"
    [ "$alive" = yes ] || tail -n 2 "$TMP/$name.run$i.err"  # how it ended before the kill
    [ "$alive" = yes ] && [ ! -e "$out/_SUCCESS" ] && killed_mid_run=$((killed_mid_run + 1))
    check "$name kill $i: no part file looks final before the job completes" \
      bash -c "[ -e '$out/_SUCCESS' ] || ! ls '$out' 2>/dev/null | grep -q '^part-'"
  done
  echo "$name: $killed_mid_run of $KILLS kills hit a running job"
  check "$name: most kills hit a running job" test "$killed_mid_run" -ge $(((KILLS + 1) / 2))
  timeout 300 mpirun --oversubscribe -n "$ranks" "$@" --output "$out" --resume >/dev/null 2>"$TMP/final.err"
  check "$name: the last resume completes" test $? -eq 0 -a -e "$out/_SUCCESS"
  check "$name: after $KILLS kills the output equals the uninterrupted run" cmp -s <(output_of "$out") "$reference"
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

# A sanitizer's report in any stderr a run left in $TMP fails the test, whatever the run's
# exit code said (a report after the checked files were written would pass otherwise).
check_no_sanitizer_reports() {
  local reports
  reports=$(grep -rlE --binary-files=without-match 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP")
  check "no sanitizer report in the runs' stderr${reports:+ (in: $(echo $reports))}" test -z "$reports"
}

# A test program built out of tree against an install of BUILD_DIR, as a user builds one:
# prints the program's path (under $TMP), after checking that it loads the installed library.
build_on_install() {  # build_on_install BUILD_DIR SOURCE_FILE NAME
  local prefix=$TMP/prefix
  [ -d "$prefix" ] || cmake --install "$1" --prefix "$prefix" >"$TMP/install.log" 2>&1
  mkdir -p "$TMP/src-$3"
  cat >"$TMP/src-$3/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project($3 CXX)
find_package(taskfarm 0.3 REQUIRED)
add_executable($3 $(realpath "$2"))
target_link_libraries($3 PRIVATE taskfarm::taskfarm)
CMAKE
  cmake -S "$TMP/src-$3" -B "$TMP/build-$3" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
    >"$TMP/build-$3.log" 2>&1 && cmake --build "$TMP/build-$3" >>"$TMP/build-$3.log" 2>&1
  check "$3 builds against the installed package" test $? -eq 0
  check "... and loads the installed libtaskfarm.so" bash -c "ldd '$TMP/build-$3/$3' | grep -q '=> $prefix/lib/libtaskfarm.so'"
  BUILT=$TMP/build-$3/$3
}

finish() {
  check_no_sanitizer_reports
  echo "$passed passed, $failed failed"
  test "$failed" -eq 0
}
