#!/usr/bin/env bash
# An embedded Farm's errors are exceptions (tests/embedded/farm_errors.cpp) at 1 and 3
# ranks: a 2 MiB tmpfs for the full-disk step needs root (CI is); skipped (77) otherwise.
# Usage: farm_errors_test.sh PROGRAM
set -uo pipefail
program=$1
if [ "$(id -u)" -ne 0 ]; then
  echo "farm_errors_test: SKIPPED: mounting a tmpfs needs root"
  exit 77
fi
dir=$(mktemp -d)
cleanup() { umount "$dir/full" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
mkdir "$dir/full"
mount -t tmpfs -o size=2m tmpfs "$dir/full" || { echo "farm_errors_test: cannot mount a tmpfs"; exit 1; }
status=0
for ranks in 1 3; do
  rm -rf "${dir:?}/full/"*
  timeout 240 mpirun --oversubscribe -n "$ranks" "$program" "$dir/full" >"$dir/out" 2>"$dir/err"
  rc=$?
  cat "$dir/out" "$dir/err"
  if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$dir/err"; then
    echo "FAILED at $ranks ranks: a sanitizer report"
    status=1
  elif [ "$rc" -ne 0 ] || ! grep -qx "farm_errors: 0 failed checks" "$dir/out"; then
    echo "FAILED at $ranks ranks: exit $rc"
    status=1
  else
    echo "passed at $ranks ranks"
  fi
done
exit $status
