#!/usr/bin/env bash
# Tasks that submit tasks (Submit<T>), through a program on the contract
# (tests/submit/tree_check.cpp): a generated tree, one task per node, each submitting its
# 1 to 4 children. Built out of tree against an install when BUILD_DIR and SOURCE_DIR are
# given (the release build), else the PROGRAM built in tree (the sanitizer build). The
# oracle is the same program's serial walk (--serial), which runs no farm.
# Usage: submit_test.sh PROGRAM [BUILD_DIR SOURCE_DIR]
TF=${1:?usage: submit_test.sh PROGRAM [BUILD_DIR SOURCE_DIR]}
source "$(dirname "$0")/../e2e/lib.sh"
TREE=$TF
# The sizes (smaller under the sanitizers): a tree of 178,385 nodes, one of 1,114,979, one
# of 6,968,947 killed and resumed, and a root with 3,000 children of 10,000 leaves each.
KILL_DEPTH=${KILL_DEPTH:-17}
WIDE=${WIDE:-3000,10000}
if [ $# -ge 3 ]; then
  build_on_install "$2" "$3/tests/submit/tree_check.cpp" tree_check
  TREE=$BUILT
fi
SMALL=(--seed 8 --depth 13)
"$TREE" --serial "${SMALL[@]}" | sort >"$TMP/small.ref"
check "the serial walk of the small tree has 178385 nodes" test "$(wc -l <"$TMP/small.ref")" -eq 178385

# The same lines as the serial walk, at 1, 3 and 5 ranks.
for p in 1 3 5; do
  run "lines$p" "${MPIRUN[@]}" -n "$p" "$TREE" "${SMALL[@]}" --report "$TMP/lines$p.json" --progress none
  check "$p ranks: exit 0, the lines equal the serial walk's" \
    bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/lines$p.out') '$TMP/small.ref'"
done
check "the report counts the submitted tasks, and every task as done" \
  python3 -c "import json,sys; r=json.load(open('$TMP/lines3.json'))
sys.exit(not (r['tasks_submitted'] == 178384 and r['tasks_done'] == r['tasks_total'] == 178385))"
check "the checker rejects another tree's lines" \
  fails cmp -s <(sort "$TMP/lines3.out") <("$TREE" --serial --seed 9 --depth 13 | sort)

# Attempts that fail after submitting: their submissions do not count, their retries' do.
run retried "${MPIRUN[@]}" -n 3 "$TREE" "${SMALL[@]}" --fail-every 5 --retries 2 --progress none
check "nodes that throw on their first attempt, after submitting: with --retries 2 the lines are exact" \
  bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/retried.out') '$TMP/small.ref' && grep -q 'fails its first attempt' '$TMP/retried.err'"
run no_retry "${MPIRUN[@]}" -n 3 "$TREE" "${SMALL[@]}" --fail-every 5 --retries 0 --output "$TMP/no_retry.d" --progress none
"$TREE" --serial "${SMALL[@]}" --fail-every 5 | sort >"$TMP/no_retry.ref"
# (A run with failed tasks publishes no part file: its lines stay in _temporary.)
check "... with --retries 0 they fail (exit 1, listed in _failed) and their subtrees are not walked: the lines are the serial walk's without them" \
  bash -c "[ $rc -eq 1 ] && [ -s '$TMP/no_retry.d/_failed' ] && [ \$(wc -l <'$TMP/no_retry.ref') -lt 178385 ] &&
           cmp -s <(cat '$TMP/no_retry.d'/_temporary/rank-* | sort) '$TMP/no_retry.ref'"

# Group kernels submit too: the group's rank 0's submissions count.
run group "${MPIRUN[@]}" -n 5 "$TREE" "${SMALL[@]}" --form group --ranks-per-task 2 --progress none
check "void kernel(const T&, const Group&, Out&, Submit<T>&) at 5 ranks in groups of 2: the lines are exact" \
  bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/group.out') '$TMP/small.ref'"

# A submitted task that kills its rank every time (a poison task): each crashed run is
# resumed; its tasks in flight run alone, and after --retries + 1 deaths it is set aside,
# listed in _failed, while every other node is walked.
poison=$(awk -F'\t' '$2 == 10' "$TMP/small.ref" | sed -n 100p)  # a node with a subtree
poison_key=${poison%%$'\t'*}
poison_depth=${poison##*$'\t'}
subtree=$("$TREE" --serial --seed "$poison_key" --depth $((13 - poison_depth)) | wc -l)
resume=()
for attempt in 1 2 3 4 5; do
  run "poison$attempt" "${MPIRUN[@]}" -n 3 "$TREE" "${SMALL[@]}" --abort-key "$poison_key" --retries 1 \
    --output "$TMP/poison.d" "${resume[@]}" --progress none
  resume=(--resume)
  [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] && break
done
check "a poison submitted task: after crashed runs and resumes, exit 1 with it alone in _failed" \
  bash -c "[ $rc -eq 1 ] && [ \$(wc -l <'$TMP/poison.d/_failed') -eq 1 ] && grep -q 'in flight when the job died' '$TMP/poison$attempt.err' &&
           cat '$TMP'/poison*.err | grep -q 'in flight on a rank that died'"
check "... and every node but its subtree ($subtree nodes) walked, each once" \
  bash -c "[ \$(cat '$TMP/poison.d/_temporary'/rank-* | wc -l) -eq $((178385 - subtree)) ] &&
           [ -z \"\$(comm -23 <(cat '$TMP/poison.d/_temporary'/rank-* | sort) '$TMP/small.ref')\" ]"

# Folds: on rank 0, and through part files.
FOLD=(--form fold --seed 8 --depth 15)
fold_ref=$("$TREE" --serial "${FOLD[@]}")
run fold "${MPIRUN[@]}" -n 3 "$TREE" "${FOLD[@]}" --report "$TMP/fold.json" --progress none
check "a fold over a tree of 1,114,979 nodes at 3 ranks equals the serial value" \
  bash -c "[ $rc -eq 0 ] && [ \"\$(tail -n 1 '$TMP/fold.out')\" = '$fold_ref' ] &&
           python3 -c \"import json,sys; sys.exit(json.load(open('$TMP/fold.json'))['tasks_done'] != 1114979)\""
run fold_out "${MPIRUN[@]}" -n 4 "$TREE" "${FOLD[@]}" --output "$TMP/fold.d" --progress none
check "... and at 4 ranks with --output, in DIR/result" \
  bash -c "[ $rc -eq 0 ] && [ \"\$(cat '$TMP/fold.d/result')\" = '$fold_ref' ]"

# A stop signal mid-run (SIGUSR1 to mpirun, which forwards it, as Slurm's --signal does):
# exit 3, then --resume completes it exactly.
KILL=(--form fold --seed 8 --depth "$KILL_DEPTH" --spin 1000)
kill_ref=$("$TREE" --serial "${KILL[@]}")
echo "$kill_ref" >"$TMP/kill.ref"
setsid mpirun --oversubscribe -n 3 "$TREE" "${KILL[@]}" --output "$TMP/term.d" --progress none >/dev/null 2>"$TMP/term.err" &
job=$!
wait_for_journal "$TMP/term.d" 3000 "$job"
kill -USR1 "$job"
wait "$job"
term_rc=$?
run term_resume "${MPIRUN[@]}" -n 3 "$TREE" "${KILL[@]}" --output "$TMP/term.d" --resume --report "$TMP/term.json" --progress none
check "SIGUSR1 mid-run: exit 3; --resume completes, with the exact fold and the earlier run's tasks counted as resumed" \
  bash -c "[ $term_rc -eq 3 ] && [ $rc -eq 0 ] && [ \"\$(cat '$TMP/term.d/result')\" = '$kill_ref' ] &&
           python3 -c \"import json,sys; r=json.load(open('$TMP/term.json'))
sys.exit(not (r['tasks_resumed'] > 0 and r['tasks_resumed'] + r['tasks_done'] == r['tasks_total']))\""

# kill -9 of the whole job at a random moment after it has journaled work, then --resume:
# the exact fold, three times.
for round in 1 2 3; do
  KILLS=1 KILL_AT=journaled kill_and_resume "tree$round" "$TMP/kill.ref" "$TREE" "${KILL[@]}" --progress none
done

# A wide frontier: 3,000 children of the root submit 10,000 leaves each.
run wide "${MPIRUN[@]}" -n 3 "$TREE" --form fold --wide "$WIDE" --report "$TMP/wide.json" --progress none
wide_ref=$("$TREE" --serial --form fold --wide "$WIDE")
check "a root with $WIDE children and leaves: the fold is exact, every task counted" \
  bash -c "[ $rc -eq 0 ] && [ \"\$(tail -n 1 '$TMP/wide.out')\" = '$wide_ref' ] &&
           python3 -c \"import json,sys; a,b=map(int,'$WIDE'.split(',')); r=json.load(open('$TMP/wide.json'))
sys.exit(r['tasks_done'] != 1 + a + a * b)\""
if [ -z "${SANITIZED:-}" ]; then  # the sanitizers' own memory is not the master's
  check "... and the master's peak RSS stays within 256 MiB" \
    python3 -c "import json,sys; r=json.load(open('$TMP/wide.json')); print('master peak RSS', r['master_peak_rss_bytes'] >> 20, 'MiB')
sys.exit(r['master_peak_rss_bytes'] > 256 << 20)"
fi
finish
