#!/usr/bin/env bash
# The library as a user gets it: `cmake --install` into a fresh prefix, then every example
# built out of tree against that prefix with find_package(taskfarm) (the square example
# through the modulefile's CMAKE_PREFIX_PATH), run under mpirun at 1 and 3 ranks (and 5
# for mandelbrot), each output compared with a serial reference that shares no code with
# the library. Then the fold and the line output through the App, each killed with SIGKILL
# 10 times and resumed; and the bad uses the API must answer clearly.
# Usage: examples_test.sh BUILD_DIR SOURCE_DIR
BUILD=${1:?usage: examples_test.sh BUILD_DIR SOURCE_DIR}
SRC=$(realpath "${2:?usage: examples_test.sh BUILD_DIR SOURCE_DIR}")
TF=$BUILD/taskfarm
source "$SRC/tests/e2e/lib.sh"
PREFIX=$TMP/prefix
EX=$SRC/examples
VERSION=$(sed -n 's/^project(taskfarm VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")

cmake --install "$BUILD" --prefix "$PREFIX" >"$TMP/install.log" 2>&1
check "cmake --install succeeds" test $? -eq 0
for f in bin/taskfarm include/taskfarm/taskfarm.hpp include/taskfarm/codec.hpp lib/libtaskfarm.so \
         lib/cmake/taskfarm/taskfarmConfig.cmake lib/cmake/taskfarm/taskfarmConfigVersion.cmake \
         share/taskfarm/slurm/taskfarm.sbatch share/taskfarm/slurm/requeue.sbatch \
         share/taskfarm/modulefiles/taskfarm/$VERSION; do
  check "installed: $f" test -e "$PREFIX/$f"
done
run installed_program "$PREFIX/bin/taskfarm" --progress none square --tasks 5 --seed 3
check "the installed program runs (its library found beside it)" test "$rc" -eq 0 -a "$(wc -l <"$TMP/installed_program.out")" -eq 5
# The public headers include the standard library, <mpi.h> and each other: nothing else.
grep -h '^#include' "$PREFIX"/include/taskfarm/*.hpp "$PREFIX"/include/taskfarm/detail/*.hpp |
  grep -v -E '^#include (<mpi\.h>|<[a-z_]+>|"taskfarm/(detail/)?[a-z_]+\.hpp")$' \
  >"$TMP/foreign_includes"
check "public headers include only the standard library and <mpi.h>" test ! -s "$TMP/foreign_includes"
check "the exported target's interface has no warning or sanitizer flag, nor Boost, CLI11 or nlohmann-json" \
  bash -c "grep -q INTERFACE_LINK_LIBRARIES '$PREFIX/lib/cmake/taskfarm/taskfarmTargets.cmake' &&
           ! grep -E 'INTERFACE_' '$PREFIX'/lib/cmake/taskfarm/taskfarmTargets*.cmake | grep -E -- '-W|sanitize|Boost|CLI11|nlohmann|hs'"
check "the installed program's --version is CMake's project version ($VERSION)" \
  bash -c "[ \"\$('$PREFIX/bin/taskfarm' --version)\" = 'taskfarm $VERSION' ]"
check "the package version is $VERSION with SameMajorVersion compatibility" \
  bash -c "grep -q 'PACKAGE_VERSION \"$VERSION\"' '$PREFIX/lib/cmake/taskfarm/taskfarmConfigVersion.cmake' &&
           grep -q 'requested major version is the same as the current one' '$PREFIX/lib/cmake/taskfarm/taskfarmConfigVersion.cmake'"
# The library exports the API and nothing else: each taskfarm:: symbol nm lists (a typeinfo
# or vtable counts as its class) names a class, function or namespace that the installed
# headers declare; no engine class; and Hyperscan stays in the program.
nm -DC --defined-only "$PREFIX/lib/libtaskfarm.so" | sed -E 's/^[0-9a-f]+ [A-Za-z] //' | grep 'taskfarm::' |
  sed -E 's/^(typeinfo name for|typeinfo for|vtable for) //; s/^taskfarm::([A-Za-z_]+)([^A-Za-z_].*)?$/\1/' |
  sort -u >"$TMP/exported"
check "libtaskfarm.so exports App, Farm and Error" bash -c "grep -qx App '$TMP/exported' && grep -qx Farm '$TMP/exported' &&
                                                           grep -qx Error '$TMP/exported'"
undeclared=""
while read -r name; do
  grep -rqE "(class|struct|namespace) (TASKFARM_API )?$name\b|[ :]$name\(" "$PREFIX/include/taskfarm" || undeclared+=" $name"
done <"$TMP/exported"
check "... and only what the installed headers declare (undeclared:${undeclared:- none})" test -z "$undeclared"
check "... no engine class (scheduler, channel, feeder, journal, matcher, word table, process slots)" bash -c \
  "! nm -DC --defined-only '$PREFIX/lib/libtaskfarm.so' |
     grep -E 'taskfarm::(Scheduler|Channel|TaskFeeder|HeldBatches|JournalWriter|LineMatcher|WordTable|ProcessSlots|Dispatcher|Collector)'"
check "ldd libtaskfarm.so shows no libhs" bash -c "ldd '$PREFIX/lib/libtaskfarm.so' | grep -q libmpi && ! ldd '$PREFIX/lib/libtaskfarm.so' | grep -q libhs"

# build NAME SOURCE_DIR [CMAKE ARGS...]: configures and builds out of tree, into $TMP/build-NAME.
build() {
  local name=$1 dir=$2
  shift 2
  cmake -S "$dir" -B "$TMP/build-$name" -DCMAKE_BUILD_TYPE=Release "$@" >"$TMP/build-$name.log" 2>&1 &&
    cmake --build "$TMP/build-$name" >>"$TMP/build-$name.log" 2>&1
}

# The square example through the modulefile: `module load` puts the prefix on
# CMAKE_PREFIX_PATH and taskfarm on PATH.
bash -c "source /usr/share/modules/init/bash && module use '$PREFIX/share/taskfarm/modulefiles' && module load taskfarm &&
         command -v taskfarm && cmake -S '$EX/square' -B '$TMP/build-square' -DCMAKE_BUILD_TYPE=Release &&
         cmake --build '$TMP/build-square'" >"$TMP/build-square.log" 2>&1
check "module load taskfarm, then the square example builds with find_package(taskfarm)" test $? -eq 0
check "... and module load put the installed taskfarm on PATH" grep -q "^$PREFIX/bin/taskfarm\$" "$TMP/build-square.log"
for e in pi mandelbrot embedded heat nqueens; do
  build "$e" "$EX/$e" -DCMAKE_PREFIX_PATH="$PREFIX"
  check "examples/$e builds against the installed package" test $? -eq 0
done
# Which headers each example was compiled with, from the compiler's own dependency files
# (CMake has it write one per object): the installed ones, never the source tree's. And
# which library each loads: the installed one.
headers_from_prefix() {  # headers_from_prefix EXAMPLE
  local deps
  deps=$(find "$TMP/build-$1/CMakeFiles" -name '*.o.d')
  [ -n "$deps" ] || { echo "$1: no dependency file"; return 1; }
  grep -q "$PREFIX/include/taskfarm/taskfarm.hpp" $deps || { echo "$1: taskfarm.hpp not from $PREFIX"; return 1; }
  ! grep -q "$SRC/include" $deps || { echo "$1: a header from $SRC/include"; return 1; }
}
library_from_prefix() {  # library_from_prefix EXECUTABLE
  ldd "$1" | grep -q "libtaskfarm.so.* => $PREFIX/lib/libtaskfarm.so"
}
for e in square pi mandelbrot embedded heat nqueens; do
  check "examples/$e was compiled with the installed headers (its dependency files say so)" headers_from_prefix "$e"
  check "... and loads the installed libtaskfarm.so" library_from_prefix "$TMP/build-$e/$e"
done
mkdir -p "$TMP/build-nodeps/CMakeFiles"
check "the header check fails when there is no dependency file" fails headers_from_prefix nodeps
check "the library check fails for a program that does not link it" fails library_from_prefix /bin/true

# square: "n<TAB>n*n" for n in [0, N); the reference by awk.
N=2000
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) printf "%d\t%.0f\n", i, i * i }' | sort >"$TMP/square.ref"
for p in 1 3; do
  run "square$p" "${MPIRUN[@]}" -n $p "$TMP/build-square/square" --n $N --progress none
  check "square at $p ranks: exit 0, output equals awk's" \
    bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/square$p.out') '$TMP/square.ref'"
done
run square_out "${MPIRUN[@]}" -n 3 "$TMP/build-square/square" --n $N --output "$TMP/square.d" --progress none
check "square --output at 3 ranks: the part files hold awk's lines" \
  bash -c "[ $rc -eq 0 ] && [ -e '$TMP/square.d/_SUCCESS' ] && cmp -s <(cat '$TMP/square.d'/part-* | sort) '$TMP/square.ref'"

# Every kernel form (tests/examples/forms: 0.3's nine and Task<T>'s), built from the
# install, at 1, 3 and 5 ranks and in groups of 2 and 3: the same lines as awk's, and for
# the forms that return a value the same sum when folded.
build forms "$SRC/tests/examples/forms" -DCMAKE_PREFIX_PATH="$PREFIX"
check "tests/examples/forms builds against the installed package with find_package(taskfarm 0.3)" test $? -eq 0
NODES=1000
awk -v n=$NODES 'BEGIN { for (i = 0; i < n; i++) printf "%d\t%d\n", i, (i * i) % 1000003 }' | sort >"$TMP/forms.ref"
forms_sum=$(awk -v n=$NODES 'BEGIN { s = 0; for (i = 0; i < n; i++) s += (i * i) % 1000003; printf "%d\n", s }')
for config in 1:1 3:1 5:1 5:2 7:3; do
  p=${config%:*} r=${config#*:}
  for form in plain task task_lines group submit group_submit out group_out out_submit group_out_submit; do
    run "forms_$form" "${MPIRUN[@]}" -n "$p" "$TMP/build-forms/forms_check" --form "$form" --nodes $NODES \
      --ranks-per-task "$r" --expect-ranks-per-task "$r" --progress none
    check "form $form at $p ranks, groups of $r: exit 0, awk's lines" \
      bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/forms_$form.out') '$TMP/forms.ref'"
  done
  for form in plain task group submit group_submit; do
    run "fold_$form" "${MPIRUN[@]}" -n "$p" "$TMP/build-forms/forms_check" --form "$form" --fold --nodes $NODES \
      --ranks-per-task "$r" --expect-ranks-per-task "$r" --progress none
    check "form $form folded at $p ranks, groups of $r: exit 0, awk's sum" \
      bash -c "[ $rc -eq 0 ] && [ \"\$(cat '$TMP/fold_$form.out')\" = '$forms_sum' ]"
  done
done
run forms_wrong_group "${MPIRUN[@]}" -n 5 "$TMP/build-forms/forms_check" --form group --nodes 10 --ranks-per-task 2 \
  --expect-ranks-per-task 3 --progress none
check "... a group form that sees groups of another size fails its tasks (exit 1): the check can fail" test "$rc" -eq 1

# Task<T>::deadline(): none without limits; with --task-timeout 2, under 2 s ahead (it
# counts from the worker's last answer to the master); with --end-time +30, under 30 s;
# with both, the earlier. Kernels that work until 300 ms before it are committed on their
# first attempt: the master counts the timeout from the same moment.
DL=$TMP/build-forms/deadline_check
ahead() {  # ahead FILE LOW HIGH: every line's milliseconds within (LOW, HIGH], and 4 lines
  awk -F'\t' -v lo="$2" -v hi="$3" '$2 ~ /^[0-9]+$/ && $2 > lo && $2 <= hi { n++ } END { exit n != 4 }' "$1"
}
run dl_none "${MPIRUN[@]}" -n 3 "$DL" --tasks 4 --progress none
check "deadline(): none without --task-timeout or --end-time" \
  bash -c "[ $rc -eq 0 ] && [ \$(grep -c \$'\tnone\$' '$TMP/dl_none.out') -eq 4 ]"
run dl_timeout "${MPIRUN[@]}" -n 3 "$DL" --tasks 4 --task-timeout 2 --progress none
check "... with --task-timeout 2: 1 to 2 s ahead" ahead "$TMP/dl_timeout.out" 1000 2000
run dl_end "${MPIRUN[@]}" -n 3 "$DL" --tasks 4 --end-time +30 --progress none
check "... with --end-time +30: 20 to 30 s ahead" ahead "$TMP/dl_end.out" 20000 30000
run dl_both "${MPIRUN[@]}" -n 3 "$DL" --tasks 4 --end-time +30 --task-timeout 2 --progress none
check "... with both: the earlier" ahead "$TMP/dl_both.out" 1000 2000
check "the check of what is ahead can fail" fails ahead "$TMP/dl_end.out" 1000 2000
run dl_work "${MPIRUN[@]}" -n 3 "$DL" --tasks 6 --task-timeout 1.5 --work-until-deadline --progress none
check "kernels that work until 300 ms before their deadline are committed at their first attempt, none retried" \
  bash -c "[ $rc -eq 0 ] && [ \$(grep -c \$'\tattempt 0\$' '$TMP/dl_work.out') -eq 6 ] && [ \$(wc -l <'$TMP/dl_work.out') -eq 6 ] &&
           ! grep -q 'sent nothing for\\|failed on rank' '$TMP/dl_work.err'"

# pi: the fold's value, the last line on stdout, equals a plain C loop's.
cc -O2 -o "$TMP/pi_reference" "$SRC/tests/examples/pi_reference.c"
"$TMP/pi_reference" 200 20000 7 >"$TMP/pi.ref"
for p in 1 3; do
  run "pi$p" "${MPIRUN[@]}" -n $p "$TMP/build-pi/pi" --tasks 200 --samples 20000 --seed 7 --progress none
  check "pi at $p ranks: exit 0, the last line is the reference's hit count ($(cat "$TMP/pi.ref"))" \
    bash -c "[ $rc -eq 0 ] && [ \"\$(tail -n 1 '$TMP/pi$p.out')\" = '$(cat "$TMP/pi.ref")' ] && [ \$(wc -l <'$TMP/pi$p.out') -eq 1 ]"
done
run pi_out "${MPIRUN[@]}" -n 3 "$TMP/build-pi/pi" --tasks 200 --samples 20000 --seed 7 --output "$TMP/pi.d" \
  --report "$TMP/pi.json" --progress none
check "pi --output: DIR/result holds the value, and the report's \"result\" too; no part files" \
  bash -c "[ $rc -eq 0 ] && cmp -s '$TMP/pi.d/result' '$TMP/pi.ref' && ! ls '$TMP/pi.d' | grep -q part- &&
           python3 -c \"import json,sys; sys.exit(json.load(open('$TMP/pi.json'))['result'] != $(cat "$TMP/pi.ref"))\""
run pi_other "${MPIRUN[@]}" -q -n 3 "$TMP/build-pi/pi" --tasks 200 --samples 999 --seed 7 --output "$TMP/pi.d" --resume
check "pi --resume with another --samples: exit 2, naming the option" \
  bash -c "[ $rc -eq 2 ] && grep -q 'they differ in --samples' '$TMP/pi_other.err' && [ \$(wc -l <'$TMP/pi_other.err') -eq 1 ]"

# mandelbrot: rows of escape counts, equal to a Python loop's; assembled into a PNG.
python3 "$SRC/tests/examples/mandelbrot_reference.py" 96 64 200 | sort >"$TMP/mandelbrot.ref"
for p in 1 3 5; do
  run "mandelbrot$p" "${MPIRUN[@]}" -n $p "$TMP/build-mandelbrot/mandelbrot" --width 96 --height 64 --iterations 200 --progress none
  check "mandelbrot at $p ranks: exit 0, rows equal the Python reference's" \
    bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/mandelbrot$p.out') '$TMP/mandelbrot.ref'"
done
python3 "$EX/mandelbrot/assemble.py" 200 "$TMP/mandelbrot.png" "$TMP/mandelbrot5.out"
check "assemble.py makes a 96x64 PNG of the rows" \
  bash -c "head -c 8 '$TMP/mandelbrot.png' | od -An -c | grep -q 'P   N   G' &&
           python3 -c \"import struct,sys; d=open('$TMP/mandelbrot.png','rb').read(); sys.exit(struct.unpack('>II', d[16:24]) != (96, 64))\""

# heat: each case a parallel solve on a group of ranks, equal to a serial Python solver's
# (the step counts and peaks exactly; the total heat, summed in another order, to 1e-9).
python3 "$SRC/tests/examples/heat_reference.py" 16 48 5000 1e-5 >"$TMP/heat.ref"
same_heat() {  # same_heat FILE: its lines match heat.ref's, case by case
  python3 - "$1" "$TMP/heat.ref" <<'PY'
import sys
got, ref = (sorted(l.split("\t") for l in open(f).read().splitlines()) for f in sys.argv[1:3])
same = len(got) == len(ref) and all(g[:4] == r[:4] and abs(float(g[4]) - float(r[4])) <= 1e-9 * abs(float(r[4]))
                                    for g, r in zip(sorted(got, key=lambda l: int(l[0])), sorted(ref, key=lambda l: int(l[0]))))
sys.exit(0 if same else 1)
PY
}
for case in "5 2" "7 3" "3 1"; do
  read -r p n <<<"$case"
  run "heat$p" "${MPIRUN[@]}" -n "$p" "$TMP/build-heat/heat" --ranks-per-task "$n" --progress none
  same_heat "$TMP/heat$p.out"
  check "heat at $p ranks in groups of $n: exit 0, every case equals the serial solver's" test "$rc$?" = 00
done
sed 's/^\(0\t[^\t]*\t\)[0-9]*/\19/' "$TMP/heat5.out" >"$TMP/heat.bad"
check "the heat checker rejects a wrong step count" fails same_heat "$TMP/heat.bad"

# nqueens: tasks that submit tasks, folded; the counts are OEIS A000170's.
for case in "1 12 14200" "3 12 14200" "3 13 73712" "5 13 73712" "3 8 92"; do
  read -r p n expected <<<"$case"
  run "nqueens$p.$n" "${MPIRUN[@]}" -n "$p" "$TMP/build-nqueens/nqueens" --n "$n" --split 4 --progress none
  check "nqueens --n $n at $p ranks: $expected solutions" \
    bash -c "[ $rc -eq 0 ] && [ \"\$(tail -n 1 '$TMP/nqueens$p.$n.out')\" = $expected ] && grep -q 'submitted by tasks' '$TMP/nqueens$p.$n.err'"
done

# embedded: two farms at once on the halves of MPI_COMM_WORLD, a second map, each checked
# against a serial loop by the program itself.
for p in 1 3 4; do
  run "embedded$p" "${MPIRUN[@]}" -n $p "$TMP/build-embedded/embedded"
  check "embedded at $p ranks: every farm equals its serial loop" \
    bash -c "[ $rc -eq 0 ] && grep -q '^embedded: OK$' '$TMP/embedded$p.out' && ! grep -q DIFFERENT '$TMP/embedded$p.out'"
done
check "embedded at 3 ranks: the sum ran twice on one half while collatz ran on the other" \
  test "$(grep -c '^sum of squares' "$TMP/embedded3.out")" -eq 2 -a "$(grep -c '^collatz' "$TMP/embedded3.out")" -eq 1

# Bad use: a clear answer, never a crash.
build bad_use "$SRC/tests/examples/bad_use" -DCMAKE_PREFIX_PATH="$PREFIX"
check "tests/examples/bad_use builds" test $? -eq 0
BAD_USE=clash run clash "${MPIRUN[@]}" -q -n 3 "$TMP/build-bad_use/bad_use"
check "a user option named like an engine option: exit 2, one line naming both" \
  bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$TMP/clash.err') -eq 1 ] &&
           grep -q 'option --batch of bad_use clashes with the engine option --batch' '$TMP/clash.err'"
BAD_USE=throw-int run throw_int "${MPIRUN[@]}" -n 3 "$TMP/build-bad_use/bad_use" --retries 1 --output "$TMP/throw.d"
check "a kernel throwing an int fails that task only: exit 1, the message says so, _failed lists it" \
  bash -c "[ $rc -eq 1 ] && grep -q 'not a std::exception' '$TMP/throw_int.err' && [ \"\$(cat '$TMP/throw.d/_failed')\" = 3 ]"
BAD_USE=farm-no-mpi run farm_no_mpi "$TMP/build-bad_use/bad_use"
check "a Farm before MPI_Init: a taskfarm::UsageError that says so" \
  bash -c "[ $rc -eq 2 ] && grep -q '^caught: taskfarm::Farm needs MPI: construct it after MPI_Init' '$TMP/farm_no_mpi.err'"
build no_codec "$SRC/tests/examples/no_codec" -DCMAKE_PREFIX_PATH="$PREFIX"
check "a result type without a codec does not compile, with the library's message" \
  bash -c "[ $? -ne 0 ] && grep -q 'taskfarm: no codec for this task or result type' '$TMP/build-no_codec.log'"

# Exact after kills: the fold (DIR/result) and the line output (part files) through the App.
"$TMP/pi_reference" 24000 100000 11 >"$TMP/pi_kill.ref"
kill_and_resume app_pi "$TMP/pi_kill.ref" "$TMP/build-pi/pi" --batch 1 --tasks 24000 --samples 100000 --seed 11
awk -v n=10000000 'BEGIN { for (i = 0; i < n; i++) printf "%d\t%.0f\n", i, i * i }' | sort >"$TMP/square_kill.ref"
# --window 64: a job of a few seconds, as resume_test.sh's
kill_and_resume app_square "$TMP/square_kill.ref" "$TMP/build-square/square" --batch 1 --window 64 --n 10000000

finish
