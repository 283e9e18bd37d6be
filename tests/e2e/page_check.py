#!/usr/bin/python3
"""Checks the HTML report's text: every axis's tick labels are round (multiples of one
step of 1, 2 or 5 times a power of ten: 0, 0.5, 1, not 0.211, 0.422), and no table has two
columns of the same name. Exits 1, saying why.

Usage: page_check.py PAGE.html
"""
import math
import re
import sys


def round_axis(values):
    """Whether `values` are multiples of one step of 1, 2 or 5 times a power of ten."""
    if len(values) < 2:
        return True
    step = min(b - a for a, b in zip(values, values[1:]))
    if step <= 0:
        return False
    mantissa = step / 10 ** math.floor(math.log10(step))
    if not any(abs(mantissa - m) < 1e-6 for m in (1, 2, 5, 10)):
        return False
    return all(abs(v / step - round(v / step)) < 1e-6 for v in values)


def problems_of(page):
    problems = []
    for n, svg in enumerate(re.findall(r"<svg.*?</svg>", page, re.S)):
        for axis in ("x", "y"):
            texts = re.findall(rf'<text class="tick {axis}"[^>]*>([^<]*)</text>', svg)
            values = [float(t) for t in texts]
            if not round_axis(values):
                problems.append(f"chart {n + 1}: {axis} ticks {', '.join(texts)} are not round")
    for table in re.findall(r"<table.*?</table>", page, re.S):
        headers = re.findall(r"<th>([^<]*)</th>", table)
        if len(headers) != len(set(headers)):
            problems.append(f"a table has columns of the same name: {', '.join(headers)}")
    if not re.search(r'<text class="tick x"', page):
        problems.append("no axis ticks found")
    return problems


def main():
    problems = problems_of(open(sys.argv[1]).read())
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
