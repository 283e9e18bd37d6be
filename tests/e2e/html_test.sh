#!/usr/bin/env bash
# The HTML report (scripts/plot-report --html) in headless Chromium: no console error, no
# network request, not blank; round ticks on its axes and distinct column names in its
# tables. The pages are drawn from a cmd run with a trace and a failed attempt, and from a
# run the walltime guard cut. Release build only: the page is drawn by Python, which no
# sanitizer sees.
# Usage: html_test.sh path/to/taskfarm
TF=${1:?usage: html_test.sh path/to/taskfarm}
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3  # Debian's, with python3-matplotlib
cd "$TMP" || exit 1

cat >trace_tasks.txt <<'TASKS'
sleep 0.2; echo one
sleep 0.3; echo two
n=$(cat tries 2>/dev/null || echo 0); echo $((n + 1)) >tries; test "$n" -ge 1
sleep 0.1; echo four
exit 3
TASKS
timeout 60 "${MPIRUN[@]}" -n 3 "$TF" cmd --tasks-file trace_tasks.txt --trace trace.tsv --retries 2 --report trace.json \
  >/dev/null 2>trace.err
check "a cmd run with a trace, a retried task and a failed one: exit 1" test $? -eq 1
timeout 60 "${MPIRUN[@]}" -n 2 "$TF" sleep --tasks 200 --mean-us 20000 --dist fixed --output wall --end-time +2 \
  --min-time-left 0.5 >/dev/null 2>wall.err
check "a run the walltime guard cut: exit 3" test $? -eq 3
"$REPO/scripts/plot-report" trace.json --html trace.html --trace trace.tsv >/dev/null
check "plot-report --html --trace writes the page" test -s trace.html
check "... it loads in Chromium without a console error or a network request, and is not blank" \
  timeout 120 $PY "$HERE/html_check.py" trace.html trace.png
"$REPO/scripts/plot-report" wall/_report.json --html wall.html >/dev/null
check "... the page of any job's report (no trace) too" timeout 120 $PY "$HERE/html_check.py" wall.html wall.png
check "... both pages' axes have round ticks, and their tables distinct column names" \
  bash -c "$PY '$HERE/page_check.py' trace.html && $PY '$HERE/page_check.py' wall.html"
printf '<svg><text class="tick x">0</text><text class="tick x">0.211</text><text class="tick x">0.422</text></svg><table><tr><th>task</th><th>task</th></tr></table>' >odd.html
check "... the checker rejects ticks such as 0.211 and two columns called task" \
  bash -c "$PY '$HERE/page_check.py' odd.html | grep -q 'not round' && $PY '$HERE/page_check.py' odd.html | grep -q 'same name'"
printf '<html><body><img src="http://example.invalid/x.png"><script>nosuchfunction()</script><p>x</p></body></html>' >bad.html
check "... the checker rejects a page with a request and an error" fails timeout 120 $PY "$HERE/html_check.py" bad.html bad.png
check "... and names both" bash -c "timeout 120 $PY '$HERE/html_check.py' bad.html bad.png | grep -q 'network request: http://example.invalid/x.png' && timeout 120 $PY '$HERE/html_check.py' bad.html bad.png | grep -q 'uncaught exception'"
check "... the PNG output still works" bash -c "'$REPO/scripts/plot-report' trace.json trace-plot.png >/dev/null && test -s trace-plot.png"

finish
