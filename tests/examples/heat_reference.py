#!/usr/bin/env python3
"""The heat example's cases solved serially in plain Python, sharing no code with it:
the same explicit scheme on the whole grid at once. Prints the example's lines.
Usage: heat_reference.py CASES POINTS STEPS TOL"""
import math
import sys

cases, points, max_steps, tol = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
for c in range(cases):
    r = 0.1 + 0.4 * c / cases
    u = [0.0] + [math.sin(math.pi * (i + 1) / (points + 1)) + 0.5 * math.sin(3 * math.pi * (i + 1) / (points + 1))
                 for i in range(points)] + [0.0]
    steps, change = 0, tol
    while steps < max_steps and change >= tol:
        nxt = u[:]
        change = 0.0
        for i in range(1, points + 1):
            nxt[i] = u[i] + r * (u[i - 1] - 2 * u[i] + u[i + 1])
            change = max(change, abs(nxt[i] - u[i]))
        u = nxt
        steps += 1
    inner = u[1:points + 1]
    print("%d\t%.3f\t%d\t%.12e\t%.12e" % (c, r, steps, max(inner), math.fsum(inner) / (points + 1)))
