#!/usr/bin/env bash
# taskfarm walk: its lines against GNU find's (find DIR -type f -printf '%s\t%p\n') on a
# generated tree with a symlink loop, a symlink to a file, a FIFO and an empty directory;
# an unreadable directory, as a user other than root; a kill -9 and --resume.
# Usage: walk_test.sh TASKFARM
TF=${1:?usage: walk_test.sh TASKFARM}
source "$(dirname "$0")/../e2e/lib.sh"
DIRS=${WALK_DIRS:-6000}  # of 100 files each (fewer under the sanitizers)
chmod 755 "$TMP"         # the unprivileged user's walk starts below it
python3 "$(dirname "$0")/make_tree.py" "$TMP/tree" "$DIRS" 100
find "$TMP/tree" -type f -printf '%s\t%p\n' | sort >"$TMP/find.ref"
check "find sees $((DIRS * 100)) files (the symlinks and the FIFO are not regular files)" \
  test "$(wc -l <"$TMP/find.ref")" -eq $((DIRS * 100))

for p in 1 3 4; do
  run "walk$p" "${MPIRUN[@]}" -n "$p" "$TF" walk --input "$TMP/tree" --report "$TMP/walk$p.json" --progress none
  check "walk at $p ranks: exit 0, the lines equal find's" \
    bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/walk$p.out') '$TMP/find.ref'"
done
check "the checker rejects a walk that lost one file" fails cmp -s <(sort "$TMP/walk3.out" | sed 1d) "$TMP/find.ref"
dirs=$(find "$TMP/tree" -type d | wc -l)
bytes=$(awk -F'\t' '{ s += $1 } END { print s }' "$TMP/find.ref")
check "the report counts files, directories ($dirs) and bytes ($bytes) as find and awk do" \
  python3 -c "import json,sys; c=json.load(open('$TMP/walk3.json'))['counts']
sys.exit(c != {'files': $((DIRS * 100)), 'directories': $dirs, 'bytes': $bytes})"
run trailing "${MPIRUN[@]}" -n 3 "$TF" walk --input "$TMP/tree/" --progress none
check "--input DIR/ prints paths as find DIR/ does" \
  bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/trailing.out') <(find '$TMP/tree/' -type f -printf '%s\t%p\n' | sort)"

# A directory so large that several tasks read it, each from where the last stopped.
mkdir "$TMP/wide"
(cd "$TMP/wide" && seq 1 250000 | xargs touch)
run wide "${MPIRUN[@]}" -n 3 "$TF" walk --input "$TMP/wide" --report "$TMP/wide.json" --progress none
check "a directory of 250,000 files, read in pieces by 3 tasks: the lines equal find's" \
  bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/wide.out') <(find '$TMP/wide' -type f -printf '%s\t%p\n' | sort) &&
           python3 -c \"import json,sys; r=json.load(open('$TMP/wide.json')); sys.exit(r['tasks_done'] != 3)\""

# Bad input: one line, exit 2.
run missing "${MPIRUN[@]}" -q -n 3 "$TF" walk --input "$TMP/nowhere"
check "a missing --input: exit 2, one line naming it" \
  bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$TMP/missing.err') -eq 1 ] && grep -q 'nowhere' '$TMP/missing.err'"

# An unreadable directory, walked by a user other than root: reported as find reports it,
# once (with retries allowed: a retry would meet the same permissions), the rest walked.
locked="$TMP/tree/d0/d3"
chmod 000 "$locked"
AS_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups
         env -u OMPI_ALLOW_RUN_AS_ROOT -u OMPI_ALLOW_RUN_AS_ROOT_CONFIRM HOME=/tmp)
"${AS_USER[@]}" find "$TMP/tree" -type f -printf '%s\t%p\n' 2>"$TMP/user_find.err" | sort >"$TMP/user_find.ref"
find_rc=${PIPESTATUS[0]}
run user_walk "${AS_USER[@]}" mpirun --oversubscribe -n 3 "$TF" walk --input "$TMP/tree" --retries 2 --progress none
check "as nobody, find says: '$locked': Permission denied" grep -q "'$locked': Permission denied" "$TMP/user_find.err"
check "as nobody, walk says the same of the same directory, once, not retried, and exits 1 as find does ($find_rc)" \
  bash -c "[ $find_rc -eq 1 ] && [ $rc -eq 1 ] && [ \$(grep -c \"'$locked': Permission denied\" '$TMP/user_walk.err') -eq 1 ] &&
           grep -q \"not to be retried: '$locked': Permission denied\" '$TMP/user_walk.err'"
check "... and the lines equal find's: the rest of the tree is walked" \
  bash -c "[ \$(wc -l <'$TMP/user_find.ref') -gt 0 ] && cmp -s <(sort '$TMP/user_walk.out') '$TMP/user_find.ref'"
chmod 755 "$locked"

# kill -9 of the whole job once it has journaled work, at a random moment, then --resume:
# every file exactly once. Three rounds, each from scratch (a walk's work is short: kills
# into one directory would soon find it done).
hits=0
for round in 1 2 3; do
  out=$TMP/killed$round
  setsid mpirun --oversubscribe -n 3 "$TF" walk --input "$TMP/tree" --output "$out" --progress none \
    >/dev/null 2>"$TMP/killed$round.err" &
  job=$!
  wait_for_journal "$out" 2000 "$job"
  sleep "$(random_between "walk $round" 0 0.2)"
  alive=no
  kill -0 "$job" 2>/dev/null && alive=yes
  kill_job "$job"
  [ "$alive" = yes ] && [ ! -e "$out/_SUCCESS" ] && hits=$((hits + 1))
  run "resumed$round" "${MPIRUN[@]}" -n 3 "$TF" walk --input "$TMP/tree" --output "$out" --resume --progress none
  check "walk killed with kill -9 (round $round, seed $SEED, job alive: $alive), then --resume: every file exactly once" \
    bash -c "[ $rc -eq 0 ] && [ -e '$out/_SUCCESS' ] && cmp -s <(cat '$out'/part-* | sort) '$TMP/find.ref'"
done
# Under the sanitizers the tree is a tenth as large: the walk may end before the kill.
if [ -z "${SANITIZED:-}" ]; then
  check "most kills hit a running walk ($hits of 3)" test "$hits" -ge 2
else
  echo "SKIPPED: whether most kills hit a running walk ($hits of 3 did): under the sanitizers the tree is too small to tell"
fi
finish
