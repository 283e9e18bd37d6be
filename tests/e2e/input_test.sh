#!/usr/bin/env bash
# End-to-end tests of the block-input jobs (wordcount, grep) against coreutils and grep,
# for block sizes 1, 7, 4096 and 1M, on generated text: several files, some without a
# final newline, a line longer than 1 MiB, CR characters and non-ASCII bytes.
# Usage: input_test.sh path/to/taskfarm
TF=${1:?usage: input_test.sh path/to/taskfarm}
source "$(dirname "$0")/lib.sh"

# The data, from a fixed seed: 5 files in a tree, plus names the walk must skip.
IN="$TMP/in"
python3 - "$IN" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(7)
words = ["alpha", "beta", "gamma", "caf\xe9".encode("latin-1").decode("latin-1"), "x", "hello", "na\xefve", "A", "a", "zz"]
def text(lines, final_newline):
    out = []
    for _ in range(lines):
        n = rng.randint(0, 12)
        seps = [" ", "  ", "\t", " \r", "\v", "\f"]
        out.append("".join(rng.choice(words) + rng.choice(seps) for _ in range(n)).rstrip(" ") + rng.choice(["", "\r"]))
    s = "\n".join(out)
    return s + "\n" if final_newline else s
files = {
    "a.txt": text(300, True),
    "b.txt": text(200, False),
    "sub/c.txt": text(150, True),
    "sub/deeper/d.txt": text(5, False),
    "long.txt": "start\n" + " ".join(rng.choice(words) for _ in range(300000)) + " hello\nend",  # a 1.3 MB line
    "empty.txt": "",
    "_SUCCESS": "skipped hello\n",
    ".hidden": "skipped hello\n",
    "_logs/x.txt": "skipped hello\n",
}
for name, content in files.items():
    path = os.path.join(root, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content.encode("latin-1"))
PY
mapfile -t FILES < <(cd "$IN" && find . -type f ! -path '*/_*' ! -name '.*' | sed 's|^\./||' | sort)
check "the generator made a line longer than 1 MiB" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$IN/long.txt")" -gt 1048576
input_bytes=$(cat "${FILES[@]/#/$IN/}" | wc -c)

# Oracles. Each file ends its last line, so no word runs from one file into the next.
(for f in "${FILES[@]}"; do cat "$IN/$f"; echo; done) | wordcount_reference >"$TMP/wc.ref"
PATTERN='hel+o|na.ve|^a|x$'
(for f in "${FILES[@]}"; do grep -a -H -b -E "$PATTERN" "$IN/$f"; done) | sort >"$TMP/grep.ref"
check "the oracles found words and matches" test -s "$TMP/wc.ref" -a -s "$TMP/grep.ref"

run_case() {  # run_case RANKS BLOCK_SIZE
  local n=$1 bs=$2 out="$TMP/wc-$1-$2"
  timeout 300 "${MPIRUN[@]}" -n "$n" "$TF" wordcount --input "$IN" --block-size "$bs" --output "$out" 2>"$TMP/err"
  check "wordcount -n $n --block-size $bs exits 0" test $? -eq 0
  check "wordcount -n $n --block-size $bs equals tr | sort | uniq -c" cmp -s <(cat "$out"/part-* | sort) "$TMP/wc.ref"
  local sorted=1
  for p in "$out"/part-*; do sort -c "$p" 2>/dev/null || sorted=0; done
  check "wordcount -n $n --block-size $bs: every part sorted by word" test "$sorted" -eq 1
  check "wordcount -n $n --block-size $bs: every word in one part only" \
    test "$(cat "$out"/part-* | cut -f1 | sort | uniq -d | wc -l)" -eq 0
  timeout 300 "${MPIRUN[@]}" -n "$n" "$TF" grep --pattern "$PATTERN" --input "$IN" --block-size "$bs" \
    --report "$TMP/grep.json" >"$TMP/grep.out" 2>"$TMP/err"
  check "grep -n $n --block-size $bs exits 0" test $? -eq 0
  check "grep -n $n --block-size $bs equals grep -H -b -E" cmp -s <(sort "$TMP/grep.out") "$TMP/grep.ref"
}
run_case 3 1
run_case 3 7
run_case 3 4096
run_case 3 1M
run_case 1 4096
run_case 2 1M
run_case 5 7

# More patterns, each against grep -H -b -E: anchors, alternation, classes, .*, one that
# matches the empty string (every line), a long literal, a back-reference (regexec alone),
# at every block size above. At 1 byte a block the 1.3 MB line is left out (1.3 million
# tasks per run; run_case 3 1 above covers it).
mkdir "$TMP/in-short" && cp -r "$IN"/. "$TMP/in-short/" && rm "$TMP/in-short/long.txt"
for pattern in '^alpha' 'zz$' 'beta|gamma|^A' '[[:upper:]][[:space:]]' '[^a-z \t]{3}' 'a.*z' 'x*' \
  'hello alpha hello|start' '(al)pha.*\1' 'caf.[[:space:]]'; do
  for bs in 1 7 4096 1M; do
    dir=$IN
    [ "$bs" = 1 ] && dir="$TMP/in-short"
    (cd "$dir" && for f in "${FILES[@]}"; do [ -e "$f" ] && grep -a -H -b -E "$pattern" "$dir/$f"; done) | sort >"$TMP/pattern.ref"
    timeout 300 "${MPIRUN[@]}" -n 3 "$TF" grep --pattern "$pattern" --input "$dir" --block-size "$bs" \
      >"$TMP/pattern.out" 2>"$TMP/err"
    rc=$?  # before the description's own command substitution
    check "grep '$pattern' --block-size $bs: exit 0, equals grep -H -b -E ($(wc -l <"$TMP/pattern.ref") lines)" \
      bash -c "[ $rc -eq 0 ] && cmp -s <(sort '$TMP/pattern.out') '$TMP/pattern.ref'"
  done
done

# The master sends descriptors only; workers read the data.
python3 - "$TMP/wc-3-4096/_report.json" "$input_bytes" <<'PY' && check "master sends descriptors only, workers read the input" true || check "master sends descriptors only, workers read the input" false
import json, sys
r = json.load(open(sys.argv[1])); size = int(sys.argv[2])
read = sum(w["bytes_read"] for w in r["per_worker"])
assert read >= size, (read, size)
assert r["master_bytes_sent"] < size / 20, (r["master_bytes_sent"], size)
PY

# Bad input: one line, exit 2.
usage_case() {
  local want=$1
  shift
  timeout 20 "${MPIRUN[@]}" -q -n 3 "$TF" "$@" >/dev/null 2>"$TMP/u.err"
  local rc=$?
  check "'$*' exits 2 with one line naming the problem" \
    test "$rc" -eq 2 -a "$(wc -l <"$TMP/u.err")" -eq 1 -a "$(grep -c -- "$want" "$TMP/u.err")" -eq 1
}
usage_case "no such file or directory '$TMP/missing'" grep --pattern a --input "$TMP/missing"
usage_case "invalid regular expression" grep --pattern 'a(' --input "$IN"
usage_case "give --output DIR" wordcount --input "$IN"
usage_case "--block-size" wordcount --input "$IN" --output "$TMP/o" --block-size 0
mkdir -p "$TMP/emptydir/sub"
usage_case "no files to read in '$TMP/emptydir'" wordcount --input "$TMP/emptydir" --output "$TMP/o"
mkdir "$TMP/odd" && cp "$IN/a.txt" "$TMP/odd/" && mkfifo "$TMP/odd/fifo"
usage_case "'$TMP/odd/fifo' is a FIFO, not a regular file" grep --pattern a --input "$TMP/odd"
rm "$TMP/odd/fifo" && ln -s /nonexistent "$TMP/odd/dangling"
usage_case "no such file or directory '$TMP/odd/dangling'" grep --pattern a --input "$TMP/odd"
usage_case "'/dev/zero' is a device" grep --pattern a --input /dev/zero
usage_case "--report: cannot write '$TMP/nodir/r.json': No such file or directory" \
  grep --pattern a --input "$IN" --report "$TMP/nodir/r.json"

# An unreadable file (mode 000) is refused before any work, by a user other than root
# (root reads it anyway): nobody's, through setpriv, when the test runs as root.
mkdir "$TMP/locked" && cp "$IN/a.txt" "$TMP/locked/" && echo hello >"$TMP/locked/secret.txt"
chmod 000 "$TMP/locked/secret.txt" && chmod 755 "$TMP" "$TMP/locked" && chmod 644 "$TMP/locked/a.txt"
as_user=()
[ "$(id -u)" -eq 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
cp "$TF" "$TMP/taskfarm" && chmod 755 "$TMP/taskfarm"  # where nobody may run it, whatever the build's path
timeout 20 "${as_user[@]}" "$TMP/taskfarm" grep --pattern a --input "$TMP/locked" >/dev/null 2>"$TMP/u.err"
check "an unreadable input file: exit 2, one line naming it" \
  bash -c "[ $? -eq 2 ] && [ \$(wc -l <'$TMP/u.err') -eq 1 ] && grep -q \"cannot read '$TMP/locked/secret.txt': Permission denied\" '$TMP/u.err'"

# A symlink loop in the tree ends; a file reached through a symlink as well is read once.
ln -s . "$IN/sub/loop"
ln -s ../a.txt "$IN/sub/again.txt"
timeout 120 "${MPIRUN[@]}" -n 3 "$TF" wordcount --input "$IN" --block-size 4096 --output "$TMP/looped" 2>"$TMP/err"
check "a symlink loop and a second link to a file: exit 0" test $? -eq 0
check "... every file counted once: equals tr | sort | uniq -c" cmp -s <(cat "$TMP/looped"/part-* | sort) "$TMP/wc.ref"
rm "$IN/sub/loop" "$IN/sub/again.txt"

finish
