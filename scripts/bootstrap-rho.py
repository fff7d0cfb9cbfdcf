#!/usr/bin/env python3
"""Bootstrap interval of a proxy's rank correlation in a committed study (Python standard library only).

Usage: scripts/bootstrap-rho.py STUDY.csv PROXY [TARGET_COLUMN] [RESAMPLES] [rho|tau]
  TARGET_COLUMN is a column of ../shared/data/nb201/nb201_accuracy.csv (default cifar10valid_test);
  prints Spearman's rho (or Kendall's tau-b) over all rows and the 2.5% and 97.5% quantiles over
  RESAMPLES (default 1000) resamples of the rows with replacement, seed 0. README.md's notes on plain
  and ntk_cond quote it.
"""
import csv
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ranks import ranks  # noqa: E402


def spearman(x, y):
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    c = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return c / (vx * vy) ** 0.5


def kendall(x, y):
    # tau-b, O(n^2): enough for the studies' few hundred cells.
    conc = disc = tx = ty = 0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif (dx > 0) == (dy > 0):
                conc += 1
            else:
                disc += 1
    return (conc - disc) / ((conc + disc + tx) * (conc + disc + ty)) ** 0.5


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    study, proxy = sys.argv[1], sys.argv[2]
    target = sys.argv[3] if len(sys.argv) > 3 else "cifar10valid_test"
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    stat_name = sys.argv[5] if len(sys.argv) > 5 else "rho"
    stat = {"rho": spearman, "tau": kendall}[stat_name]
    bench_path = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "nb201", "nb201_accuracy.csv")
    with open(bench_path) as f:
        bench = {r["index"]: r for r in csv.DictReader(f)}
    with open(study) as f:
        rows = list(csv.DictReader(f))
    x = [float(r[proxy]) for r in rows]
    y = [float(bench[r["index"]][target]) for r in rows]
    rng = random.Random(0)
    rhos = []
    for _ in range(n):
        idx = [rng.randrange(len(x)) for _ in x]
        rhos.append(stat([x[i] for i in idx], [y[i] for i in idx]))
    rhos.sort()
    print(f"{proxy} vs {target}, {len(x)} cells: {stat_name} {stat(x, y):.3f}, "
          f"95% bootstrap interval [{rhos[int(0.025 * n)]:.3f}, {rhos[int(0.975 * n)]:.3f}] ({n} resamples)")


if __name__ == "__main__":
    main()
