#!/usr/bin/python3
"""Checks what GPU tasks saw. Each line of LOG: id start end CUDA ROCR HIP TASKFARM_GPUS.
Exits 1, saying why, unless: TASKS lines, each task saw exactly PER_TASK GPUs (the same in
all four variables, all from NODE_GPUS), the tasks together saw exactly NODE_GPUS (every
slot's GPUs came from the list given, and every one of them was used), no two
overlapping tasks shared a GPU, and at the busiest moment at least MIN_AT_ONCE and at
most MAX_AT_ONCE ran at once (the slots really ran side by side).

Usage: gpu_check.py LOG TASKS PER_TASK MIN_AT_ONCE MAX_AT_ONCE NODE_GPUS
"""
import sys


def most_at_once(rows):
    events = sorted([(float(r[2]), -1) for r in rows] + [(float(r[1]), 1) for r in rows])
    running = most = 0
    for _, step in events:  # an end sorts before a start at the same moment
        running += step
        most = max(most, running)
    return most


def problems_of(rows, tasks, per_task, min_at_once, max_at_once, node):
    problems = []
    if sorted(int(r[0]) for r in rows) != list(range(tasks)):
        problems.append(f"tasks {sorted(r[0] for r in rows)}, expected 0..{tasks - 1}")
    seen = set()
    for r in rows:
        gpus = r[3:]
        if len(gpus) != 4 or len(set(gpus)) != 1:
            problems.append(f"task {r[0]}: the four variables differ: {gpus}")
            continue
        ids = gpus[0].split(",")
        seen |= set(ids)
        if len(ids) != per_task or len(set(ids)) != per_task or not set(ids) <= set(node.split(",")):
            problems.append(f"task {r[0]} saw GPUs {gpus[0]}, expected {per_task} of {node}")
    if seen != set(node.split(",")):
        problems.append(f"the tasks saw GPUs {','.join(sorted(seen))}, not exactly {node}")
    for a in rows:
        for b in rows:
            if a[0] < b[0] and float(a[1]) < float(b[2]) and float(b[1]) < float(a[2]):
                shared = set(a[3].split(",")) & set(b[3].split(","))
                if shared:
                    problems.append(f"tasks {a[0]} and {b[0]} overlapped and shared GPU {','.join(sorted(shared))}")
    most = most_at_once(rows)
    if most > max_at_once:
        problems.append(f"{most} tasks ran at once, at most {max_at_once} allowed")
    if most < min_at_once:
        problems.append(f"at most {most} tasks ran at once, at least {min_at_once} expected")
    return problems


def main():
    log, node = sys.argv[1], sys.argv[6]
    tasks, per_task, min_at_once, max_at_once = (int(a) for a in sys.argv[2:6])
    rows = [line.split() for line in open(log) if line.strip()]
    problems = problems_of(rows, tasks, per_task, min_at_once, max_at_once, node)
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
