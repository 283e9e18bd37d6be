#!/usr/bin/env python3
"""make_tree.py ROOT DIRS FILES_PER_DIR: a directory tree for the walk tests and benchmark.

DIRS directories nested up to four deep under ROOT (each holding FILES_PER_DIR regular
files of 0 to 99 bytes), plus what find must not count or follow: a symlink loop, a
symlink to a file, a FIFO and an empty directory.
"""
import os
import sys

root, dirs, per_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(root)
paths = []
for d in range(dirs):
    # Directory d sits under directory d // 8 (a tree eight wide, a few levels deep).
    parent = paths[d // 8] if d > 0 else root
    path = os.path.join(parent, f"d{d}")
    os.mkdir(path)
    paths.append(path)
    for f in range(per_dir):
        size = (d * 31 + f * 7) % 100
        with open(os.path.join(path, f"f{f}"), "wb") as out:
            out.write(b"x" * size)
os.symlink("..", os.path.join(paths[0], "loop"))
os.symlink("f0", os.path.join(paths[0], "link-to-file"))
os.mkfifo(os.path.join(paths[-1], "fifo"))
os.mkdir(os.path.join(root, "empty"))
