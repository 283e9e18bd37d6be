#!/usr/bin/env bash
# The sbatch templates on a real one-node Slurm cluster (scripts/slurm-local): square and
# wordcount through `sbatch --wait` with srun --mpi=pmix and with mpirun, 3 ranks on the
# machine's CPUs (--overcommit), and a requeue/resume cycle driven by the walltime
# warning signal. Outputs are compared with independent oracles (square_reference.c, the
# sleep job's rule) and with coreutils.
# Usage: slurm_test.sh path/to/taskfarm
TF=${1:?usage: slurm_test.sh path/to/taskfarm}
source "$(dirname "$0")/../e2e/lib.sh"
unset PMIX_MCA_psec  # PMIx as the machine has it (see tests/CMakeLists.txt)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
export TASKFARM=$TF TASKFARM_SBATCH=$REPO/slurm/taskfarm.sbatch
"$REPO/scripts/slurm-local" start || { echo "FAILED: the Slurm cluster did not start"; exit 1; }
trap '"$REPO/scripts/slurm-local" stop; rm -rf "$TMP"' EXIT
eval "$("$REPO/scripts/slurm-local" env)"
cd "$TMP" || exit 1

job_state() { scontrol show job "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }

# 1. square with srun --mpi=pmix and with mpirun.
square_reference 5000 4 >square.ref
for launcher in srun mpirun; do
  timeout 300 sbatch --wait --quiet -n 3 --overcommit -o "square-$launcher.log" \
    --export=ALL,TASKFARM_LAUNCHER=$launcher "$REPO/slurm/taskfarm.sbatch" square --tasks 5000 --seed 4 --output "sq-$launcher"
  check "sbatch square ($launcher): the job exits 0" test $? -eq 0
  check "sbatch square ($launcher): committed" test -f "sq-$launcher/_SUCCESS"
  check "sbatch square ($launcher): output equals the tasks of seed 4" cmp -s <(cat "sq-$launcher"/part-* | sort) square.ref
  check "sbatch square ($launcher): 2 workers ran" \
    python3 -c "import json; r = json.load(open('sq-$launcher/_report.json')); assert r['workers'] == 2, r['workers']"
  check "sbatch square ($launcher): the report has the Slurm job ID" \
    python3 -c "import json; r = json.load(open('sq-$launcher/_report.json')); assert r['slurm']['job_id'].isdigit(), r['slurm']"
done

# An sbatch output file gets timestamped progress lines (the first within 5 s), never the bar.
timeout 300 sbatch --wait --quiet -n 3 --overcommit -o progress.log "$REPO/slurm/taskfarm.sbatch" \
  sleep --tasks 1000 --mean-us 14000 --seed 2
check "sbatch: the job exits 0" test $? -eq 0
check "sbatch: the output file has progress log lines" \
  grep -qE '^[0-9-]{10} [0-9:.]+ taskfarm master: progress: [0-9]+/1000 ' progress.log
check "sbatch: ... and no bar (no carriage return)" bash -c "! grep -qa \$'\\r' progress.log"

# 2. wordcount over generated text, against tr | sort | uniq -c.
mkdir in
python3 - <<'PY'
import random
rng = random.Random(3)
words = ["alpha", "beta", "gamma", "delta", "épsilon", "zeta", "eta", "theta"]
for i in range(3):
    with open(f"in/text{i}.txt", "w") as f:
        for _ in range(3000):
            f.write(" ".join(rng.choices(words, k=rng.randint(1, 12))) + "\n")
PY
cat in/*.txt | wordcount_reference >wc.ref
timeout 300 sbatch --wait --quiet -n 3 --overcommit -o wc.log "$REPO/slurm/taskfarm.sbatch" \
  wordcount --input in --block-size 16K --output wc
check "sbatch wordcount: the job exits 0" test $? -eq 0
check "sbatch wordcount: equals tr | sort | uniq -c" cmp -s <(cat wc/part-* | sort) wc.ref

# 3. Requeue and resume: the warning signal mid-run, then the requeued job finishes.
# signal_and_requeue JOB LOG: once JOB runs, the warning signal; then the requeued job is
# let start at once, and waited for.
signal_and_requeue() {
  local job=$1 log=$2
  for _ in $(seq 120); do [ "$(job_state "$job")" = RUNNING ] && grep -q "run 0" "$log" 2>/dev/null && break; sleep 0.25; done
  sleep 2
  scancel --signal=USR1 --batch "$job"
  # Slurm holds a requeued job back for a while; let it start at once.
  for _ in $(seq 120); do
    scontrol show job "$job" | grep -q 'Restarts=1' && [ "$(job_state "$job")" = PENDING ] && break
    sleep 0.25
  done
  # ...once the node has cleaned up after the first run (the requeued run reuses its job
  # and step IDs; Slurm's own delay is there for this).
  for _ in $(seq 120); do [ "$(sinfo -h -N -o %t | head -1)" = idle ] && break; sleep 0.25; done
  sleep 5
  scontrol update JobId="$job" StartTime=now
  for _ in $(seq 240); do
    case "$(job_state "$job")" in COMPLETED | FAILED | CANCELLED | TIMEOUT) break ;; esac
    sleep 0.5
  done
}
sleep_reference 3000 4000 >sleep.ref
job=$(sbatch --parsable -n 3 --overcommit -o requeue.log "$REPO/slurm/requeue.sbatch" \
  sleep --tasks 3000 --mean-us 4000 --seed 9 --output rq)
signal_and_requeue "$job" requeue.log
check "requeue: the job completes after one requeue" \
  bash -c "[ '$(job_state "$job")' = COMPLETED ] && scontrol show job '$job' | grep -q 'Restarts=1'"
check "requeue: the first run stopped on the signal, incomplete" grep -q "SIGUSR1 received" requeue.log
grep -q "done by earlier runs" requeue.log || { echo "--- requeue.log:"; cat requeue.log; scontrol show job "$job"; }
check "requeue: the second run resumed" grep -q "done by earlier runs" requeue.log
check "requeue: the output equals an uninterrupted run" cmp -s <(cat rq/part-* | sort) sleep.ref
check "requeue: the report records the restart" \
  python3 -c "import json; r = json.load(open('rq/_report.json')); assert r['slurm']['restart_count'] == '1' and r['tasks_resumed'] > 0, r['slurm']"
# 4. The walltime guard takes the job's end from Slurm (squeue): with a 1-minute limit
# and --min-time-left 50, no task starts after about 10 s; the job exits 3, resumable.
# Submitted without the templates: their warning signal (@60) would come at once.
for i in $(seq 0 59); do echo "date +%s >started.$i; sleep 1; echo $i"; done >wall.txt
# sbatch --wait polls with a growing interval (up to 30 s late); this polls every 0.25 s.
run_job() {  # run_job SBATCH_ARGS...: submits and waits up to 5 minutes for the job to end
  local job
  job=$(sbatch --parsable "$@") || return 1
  for _ in $(seq 1200); do
    case "$(job_state "$job")" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) return 0 ;; esac
    sleep 0.25
  done
  return 1
}
run_job -n 2 --overcommit --time=1 -o wall.log \
  --wrap "srun --mpi=pmix $TF cmd --tasks-file wall.txt --output wall --min-time-left 50; echo exit \$?"
check "sbatch --time=1: the walltime guard ends the run with exit 3" grep -qx "exit 3" wall.log
check "... the end time came from Slurm" grep -q "walltime guard: the job ends in [0-9]* s (squeue)" wall.log
check "... stop_reason walltime, fewer tasks started than the 60 listed" \
  python3 -c "import json, glob; r = json.load(open('wall/_report.json')); assert r['stop_reason'] == 'walltime' and 0 < r['tasks_done'] == len(glob.glob('started.*')) < 60, r"
run_job -n 2 --overcommit -o wall2.log \
  --wrap "srun --mpi=pmix $TF cmd --tasks-file wall.txt --output wall --resume --slots-per-worker 8; echo exit \$?"
check "... the resumed job completes every task exactly once" \
  bash -c "grep -qx 'exit 0' wall2.log && cat wall/tasks/00000/*.out | sort -n | cmp -s - <(seq 0 59)"

# 5. An ensemble of MPI runs (cmd --ranks-per-task 2): each line starts hello.c through
# $TASKFARM_MPIRUN, srun inside the farm's step; requeued mid-run, the resumed run starts
# only the tasks the joblog does not show done.
mpicc -O2 -o hello "$REPO/tests/groups/hello.c"
for i in $(seq 0 39); do echo "sleep 0.2; echo task $i \$TASKFARM_MPIRUN; \$TASKFARM_MPIRUN $TMP/hello $i"; done >mpi.txt
job=$(sbatch --parsable -n 3 --overcommit -o mpi.log "$REPO/slurm/requeue.sbatch" \
  cmd --ranks-per-task 2 --tasks-file mpi.txt --joblog mpi.joblog --output mpi)
signal_and_requeue "$job" mpi.log
check "MPI tasks: the job completes after one requeue" \
  bash -c "[ '$(job_state "$job")' = COMPLETED ] && scontrol show job '$job' | grep -q 'Restarts=1' && grep -q 'done by earlier runs' mpi.log"
check "... each task launched by srun, one MPI job of 2 ranks, and succeeded exactly once over both runs" python3 - <<'PY'
import collections, csv, glob
ok = collections.Counter(int(r["Seq"]) - 1 for r in csv.DictReader(open("mpi.joblog"), delimiter="\t")
         if r["Exitval"] == "0" and r["Signal"] == "0")
assert sorted(ok) == list(range(40)) and set(ok.values()) == {1}, ok
for i in range(40):
    out = open(glob.glob(f"mpi/tasks/*/{i}.out")[0]).read().split("\n")
    assert out[0].startswith(f"task {i} srun --overlap --exact"), out
    assert sorted(l.split()[1] for l in out[1:] if l) == ["rank=0", "rank=1"], out
    assert all(l.split()[2] == "size=2" for l in out[1:] if l), out
PY
finish
