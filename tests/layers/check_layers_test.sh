#!/usr/bin/env bash
# scripts/check-layers: passes on src/, and fails on a copy of src/ with one planted
# violation of each rule, naming the file and the rule.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
check=$root/scripts/check-layers
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$check" "$root/src" || { echo "FAIL: check-layers rejects src/"; exit 1; }

# plant FILE LINE EXPECTED: the copy with LINE added to FILE must fail, saying EXPECTED.
plant() {
  rm -rf "$work/src" && cp -r "$root/src" "$work/src"
  sed -i "1a $2" "$work/src/$1"
  if out=$("$check" "$work/src"); then
    echo "FAIL: check-layers accepts $1 with: $2"; exit 1
  fi
  grep -qF "$3" <<<"$out" || { echo "FAIL: for $1 it said: $out (wanted: $3)"; exit 1; }
  echo "ok: $1 rejected: $(head -1 <<<"$out")"
}
plant core/wire.hpp '#include "master/scheduler.hpp"' "core/ includes master/, a layer not below it"
plant master/dispatch.cpp '#include "worker/attempt.hpp"' "master/ includes worker/, a layer not below it"
plant worker/attempt.cpp '#include <mpi.h>' "includes MPI (only mpi/ and api/ may)"
plant resume/journal.cpp '#include "taskfarm/task.hpp"' "includes an installed header"
echo "PASS"
