#!/usr/bin/python3
"""Checks what GPU tasks saw. Each line of LOG: id start end CUDA ROCR HIP TASKFARM_GPUS.
Exits 1, saying why, unless: TASKS lines, each task saw exactly PER_TASK GPUs (the same in
all four variables, all from NODE_GPUS), no two overlapping tasks shared a GPU, and at
most MAX_AT_ONCE ran at a time.

Usage: gpu_check.py LOG TASKS PER_TASK MAX_AT_ONCE NODE_GPUS
"""
import sys


def main():
    log, tasks, per_task, max_at_once, node = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    rows = [line.split() for line in open(log) if line.strip()]
    problems = []
    if sorted(int(r[0]) for r in rows) != list(range(tasks)):
        problems.append(f"tasks {sorted(r[0] for r in rows)}, expected 0..{tasks - 1}")
    for r in rows:
        gpus = r[3:]
        if len(gpus) != 4 or len(set(gpus)) != 1:
            problems.append(f"task {r[0]}: the four variables differ: {gpus}")
            continue
        ids = gpus[0].split(",")
        if len(ids) != per_task or len(set(ids)) != per_task or not set(ids) <= set(node.split(",")):
            problems.append(f"task {r[0]} saw GPUs {gpus[0]}, expected {per_task} of {node}")
    for a in rows:
        for b in rows:
            if a[0] < b[0] and float(a[1]) < float(b[2]) and float(b[1]) < float(a[2]):
                shared = set(a[3].split(",")) & set(b[3].split(","))
                if shared:
                    problems.append(f"tasks {a[0]} and {b[0]} overlapped and shared GPU {','.join(sorted(shared))}")
    events = sorted([(float(r[1]), 1) for r in rows] + [(float(r[2]), -1) for r in rows])
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    if most > max_at_once:
        problems.append(f"{most} tasks ran at once, at most {max_at_once} allowed")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
