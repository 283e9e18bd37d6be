#!/usr/bin/env python3
"""The oracle for examples/mandelbrot: "row<TAB>counts" for every row, by a serial loop.
Usage: mandelbrot_reference.py WIDTH HEIGHT ITERATIONS"""
import sys

width, height, iterations = (int(a) for a in sys.argv[1:4])
xmin, xmax, ymin, ymax = -2.2, 0.8, -1.2, 1.2
for row in range(height):
    ci = ymin + (ymax - ymin) * row / height
    counts = []
    for column in range(width):
        cr = xmin + (xmax - xmin) * column / width
        zr = zi = 0.0
        n = 0
        while n < iterations and zr * zr + zi * zi <= 4.0:
            zr, zi = zr * zr - zi * zi + cr, 2 * zr * zi + ci
            n += 1
        counts.append(str(n))
    print(f"{row}\t{' '.join(counts)}")
