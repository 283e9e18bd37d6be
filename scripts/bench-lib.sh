# Sourced by scripts/bench-farm and scripts/bench-tcp: reading the reference programs'
# rates and taking medians.
rate_of() { sed -n 's/.*tasks\/s=\([0-9]*\).*/\1/p' | tail -1; }   # stdin: a bench-ref program's output
median() { printf '%s\n' "$@" | sort -n | python3 -c "import sys; v=[float(x) for x in sys.stdin]; print(v[len(v)//2])"; }
