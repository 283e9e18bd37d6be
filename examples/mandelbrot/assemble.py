#!/usr/bin/env python3
"""Assembles mandelbrot's output lines ("row<TAB>count count ...") into a PNG.

Usage: assemble.py ITERATIONS OUTPUT.png [FILE...]   (no FILE: stdin; e.g. DIR/part-*)
Rows may come in any order (part files, several workers). Standard library only.
"""
import struct
import sys
import zlib


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    iterations, png = int(sys.argv[1]), sys.argv[2]
    rows = {}
    for name in sys.argv[3:] or ["-"]:
        stream = sys.stdin if name == "-" else open(name)
        for line in stream:
            row, counts = line.rstrip("\n").split("\t")
            rows[int(row)] = [int(c) for c in counts.split()]
    if sorted(rows) != list(range(len(rows))):
        sys.exit("assemble.py: rows are missing")
    width = len(rows[0])
    raw = bytearray()
    for y in range(len(rows)):
        raw.append(0)  # PNG filter: none
        for n in rows[y]:
            # Inside the set: black; outside: brighter the sooner the pixel escapes.
            raw.extend((0, 0, 0) if n >= iterations else (255 - 255 * n // iterations, 96, 255 * n // iterations))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)  # 8-bit RGB
    with open(png, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) +
                  chunk(b"IEND", b""))


if __name__ == "__main__":
    main()
