#!/usr/bin/env bash
# A worker rank that dies. Under Open MPI 4.1 the whole job ends (mpirun sends the other
# ranks SIGTERM), and --resume must continue it exactly:
# 1. one worker rank killed with SIGKILL mid-run, then --resume: the output equals an
#    uninterrupted run, 10 times out of 10 (the killed rank alternates; the sanitizer
#    build, slower, sets fewer rounds with KILL_ROUNDS);
# 2. a poison task, which aborts its worker process on every attempt: the job converges
#    within --retries + 1 crashed runs, with that task in _failed and every other result
#    present; at --retries 2 (the default) and 1 (POISON_RETRIES, to choose).
# Usage: crash_test.sh path/to/taskfarm
TF=${1:?usage: crash_test.sh path/to/taskfarm}
source "$(dirname "$0")/lib.sh"

# The PID of rank RANK of the mpirun whose session is SESSION, once it runs (10 s at most).
rank_pid() {  # rank_pid SESSION RANK
  for _ in $(seq 200); do
    for pid in $(pgrep -s "$1" -x taskfarm); do
      tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && echo "$pid" && return
    done
    sleep 0.05
  done
}

# 1. kill -9 of one worker rank, 10 times.
ROUNDS=${KILL_ROUNDS:-10}
TASKS=10000000
ARGS=(square --tasks "$TASKS" --seed 5)
square_reference "$TASKS" 5 >"$TMP/reference"
killed_mid_run=0
exact=0
for i in $(seq "$ROUNDS"); do
  out="$TMP/kill$i"
  rank=$((i % 2 + 1))
  setsid "${MPIRUN[@]}" -n 3 "$TF" "${ARGS[@]}" --output "$out" >/dev/null 2>"$TMP/kill$i.err" &
  job=$!
  wait_for_journal "$out" $((2000 + i * 300)) "$job"  # after some work, at a different point each time
  victim=$(rank_pid "$job" "$rank")
  [ -n "$victim" ] && kill -KILL "$victim" && [ ! -e "$out/_SUCCESS" ] && killed_mid_run=$((killed_mid_run + 1))
  timeout 60 tail --pid="$job" -f /dev/null
  kill_job "$job"
  timeout 300 "${MPIRUN[@]}" -n 3 "$TF" "${ARGS[@]}" --output "$out" --resume >/dev/null 2>"$TMP/resume$i.err"
  rc=$?
  if [ "$rc" -eq 0 ] && cmp -s <(output_of "$out") "$TMP/reference"; then
    exact=$((exact + 1))
  else
    echo "kill $i (rank $rank): resume exit $rc"; tail -n 3 "$TMP/resume$i.err"
  fi
  rm -rf "$out"
done
echo "$killed_mid_run of $ROUNDS kills hit a running job; $exact resumes exact"
check "SIGKILL of a worker rank: every kill hit a running job" test "$killed_mid_run" -eq "$ROUNDS"
check "... and every --resume gave the uninterrupted run's output ($ROUNDS of $ROUNDS)" test "$exact" -eq "$ROUNDS"
check "... the master's log says the run can be continued with --resume" grep -q -- "--resume continues the run" "$TMP/kill1.err"
check "... and the resume ran the dead rank's tasks alone" grep -q "in flight on a rank that died" "$TMP/resume1.err"

# 2. A poison task. Tasks of 2 ms, so that others are in flight on every rank when it dies.
POISON=777
sleep_reference 3000 2000 | grep -v "^$POISON	" >"$TMP/others"
for retries in ${POISON_RETRIES:-2 1}; do
  out="$TMP/poison$retries"
  crashes=0
  rc=0
  for run in $(seq $((retries + 3))); do
    resume=()
    [ "$run" -gt 1 ] && resume=(--resume)
    timeout 120 "${MPIRUN[@]}" -n 4 "$TF" --retries "$retries" sleep --tasks 3000 --mean-us 2000 --abort-task "$POISON" \
      --output "$out" "${resume[@]}" >/dev/null 2>"$TMP/poison$retries.run$run.err"
    rc=$?
    [ "$rc" -lt 128 ] && break
    crashes=$((crashes + 1))
  done
  echo "--retries $retries: $crashes crashed runs, then exit $rc"
  check "poison task, --retries $retries: at most $((retries + 1)) crashed runs" test "$crashes" -le $((retries + 1))
  check "... the run that follows ends with exit 1 (a failed task)" test "$rc" -eq 1
  check "... _failed holds the poison task only" bash -c "[ \"\$(cat '$out/_failed')\" = 'sleep 2000 us' ]"
  check "... the report gives the reason" python3 -c "
import json
r = json.load(open('$out/_report.json'))
f = r['failed_tasks']
assert [t['id'] for t in f] == [$POISON] and f[0]['error'] == 'in flight when the job died $crashes times', f"
  check "... every other result is present, once" cmp -s <(cat "$out"/_temporary/rank-* | sort) "$TMP/others"
done

finish
