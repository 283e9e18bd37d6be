#!/usr/bin/env bash
# The .deb: `cpack -G DEB` in the build directory, `apt-get install ./taskfarm_*.deb`, then
# examples/square built against the system-wide package (no CMAKE_PREFIX_PATH) and run at
# 1 and 3 ranks, compared with awk. The package is removed again at the end.
# Needs root (it installs a package). Usage: package_test.sh BUILD_DIR SOURCE_DIR
BUILD=$(realpath "${1:?usage: package_test.sh BUILD_DIR SOURCE_DIR}")
SRC=$(realpath "${2:?usage: package_test.sh BUILD_DIR SOURCE_DIR}")
TF=$BUILD/taskfarm
source "$SRC/tests/e2e/lib.sh"

VERSION=$(sed -n 's/^project(taskfarm VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
(cd "$TMP" && cpack -G DEB --config "$BUILD/CPackConfig.cmake") >"$TMP/cpack.log" 2>&1
check "cpack -G DEB builds a package" test $? -eq 0
DEB=$(ls "$TMP"/taskfarm_*.deb 2>/dev/null | head -n 1)
check "... named taskfarm_${VERSION}_<arch>.deb" bash -c "[[ '$DEB' == */taskfarm_${VERSION}_*.deb ]]"
dpkg-deb -c "$DEB" >"$TMP/contents"
check "the package holds the program, library, headers, CMake package, templates and modulefile" \
  bash -c "grep -q './usr/bin/taskfarm$' '$TMP/contents' && grep -q 'libtaskfarm.so' '$TMP/contents' &&
           grep -q './usr/include/taskfarm/taskfarm.hpp$' '$TMP/contents' &&
           grep -q './usr/lib/cmake/taskfarm/taskfarmConfig.cmake$' '$TMP/contents' &&
           grep -q './usr/share/taskfarm/slurm/taskfarm.sbatch$' '$TMP/contents' &&
           grep -q './usr/share/taskfarm/modulefiles/taskfarm/$VERSION$' '$TMP/contents'"
trap 'apt-get remove -y taskfarm >/dev/null 2>&1; rm -rf "$TMP"' EXIT
apt-get install -y "$DEB" >"$TMP/apt.log" 2>&1
check "apt-get install ./taskfarm_*.deb succeeds (offline: its dependencies are installed)" test $? -eq 0
check "taskfarm is on PATH from the package" test "$(command -v taskfarm)" = /usr/bin/taskfarm
run system_program taskfarm --progress none square --tasks 4 --seed 1
check "the packaged program runs" test "$rc" -eq 0 -a "$(wc -l <"$TMP/system_program.out")" -eq 4

cmake -S "$SRC/examples/square" -B "$TMP/build-square" -DCMAKE_BUILD_TYPE=Release >"$TMP/build.log" 2>&1 &&
  cmake --build "$TMP/build-square" >>"$TMP/build.log" 2>&1
check "examples/square builds against the system-wide package" test $? -eq 0
check "... whose find_package found /usr/lib/cmake/taskfarm" grep -q '^taskfarm_DIR:PATH=/usr/lib/cmake/taskfarm$' "$TMP/build-square/CMakeCache.txt"
check "... compiled with the package's headers (its dependency files say so)" \
  bash -c "deps=\$(find '$TMP/build-square/CMakeFiles' -name '*.o.d'); [ -n \"\$deps\" ] &&
           grep -q '/usr/include/taskfarm/taskfarm.hpp' \$deps && ! grep -q '$SRC/include' \$deps"
check "... and loads the package's libtaskfarm.so" bash -c "ldd '$TMP/build-square/square' | grep -qE 'libtaskfarm.so.* => (/usr)?/lib/(x86_64-linux-gnu/)?libtaskfarm.so'"
awk 'BEGIN { for (i = 0; i < 500; i++) printf "%d\t%d\n", i, i * i }' | sort >"$TMP/square.ref"
for p in 1 3; do
  run "square$p" "${MPIRUN[@]}" -n $p "$TMP/build-square/square" --n 500 --progress none
  check "square against the package at $p ranks: output equals awk's" \
    bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/square$p.out') '$TMP/square.ref'"
done
finish
