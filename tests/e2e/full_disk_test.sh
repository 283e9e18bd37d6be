#!/usr/bin/env bash
# A runtime error: the disk fills up under the part files (a 1 MiB tmpfs), exit 4 with one
# line naming the file, nothing that looks final; once space is freed --resume completes
# it exactly. Filling a tmpfs needs root (CI is root); for another user the output
# directory turns read-only mid-run instead, and the test then exits 77, which CTest shows
# as skipped: the full-disk checks did not run.
# Usage: full_disk_test.sh path/to/taskfarm
TF=${1:?usage: full_disk_test.sh path/to/taskfarm}
source "$(dirname "$0")/lib.sh"

mkdir "$TMP/small"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1m tmpfs "$TMP/small"; then
  run full "${MPIRUN[@]}" -q -n 3 "$TF" square --tasks 2000000 --seed 1 --output "$TMP/small/out"
  check "a full disk: exit 4" test "$rc" -eq 4
  check "... with one error line, naming the file and the cause" \
    bash -c "[ \$(grep -c 'taskfarm: error:' '$TMP/full.err') -eq 1 ] &&
             grep -qE '^taskfarm: error: cannot write $TMP/small/out/_temporary/rank-[0-9]+\.run-000: No space left on device$' '$TMP/full.err'"
  check "... and no part file that looks final" bash -c "! ls '$TMP/small/out' | grep -q '^part-\|^_SUCCESS'"
  mount -o remount,size=256m "$TMP/small"
  run full-resume "${MPIRUN[@]}" -q -n 3 "$TF" square --tasks 2000000 --seed 1 --output "$TMP/small/out" --resume
  check "... space freed, --resume completes" test "$rc" -eq 0
  check "... with the output of an uninterrupted run" cmp -s <(output_of "$TMP/small/out") <(square_reference 2000000 1)
  umount "$TMP/small"
  finish
  exit
fi
echo "SKIPPED: the full-disk checks need root and a tmpfs; checking a read-only directory instead"
timeout 120 "${MPIRUN[@]}" -q -n 3 "$TF" sleep --tasks 3000 --mean-us 2000 --output "$TMP/small/out" \
  >/dev/null 2>"$TMP/full.err" &
job=$!
sleep 2
chmod a-w "$TMP/small/out" "$TMP/small/out/_temporary"
wait "$job"
check "an output directory made read-only mid-run: exit 4" test $? -eq 4
finish || exit 1
exit 77
