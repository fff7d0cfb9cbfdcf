#!/usr/bin/env python3
"""The best cells of a committed study under rankings and cascades of its proxies (Python standard library only).

Usage: scripts/rank-cells.py STUDY.csv
  Reads the study (index, arch, one column per proxy) and ../shared/data/nb201/nb201_accuracy.csv, and prints,
  for each ranking below, its first two cells (edges 1<-0 2<-0 2<-1 3<-0 3<-1 3<-2; s skip_connect, 1 and 3 the
  convolutions, a avg_pool_3x3, n none) with their CIFAR-10 test accuracy. A ranking is a log-rank of proxies
  (AZ-NAS's sum of log(rank/n), as freedarts.LogRank), or a cascade FIRST:N/SECOND: SECOND among FIRST's best N, as freedarts search -rank writes it.
  docs/study/README.md ("Skips and convolutions") quotes it for nb201_per_cell_729_convskip.csv.
"""
import csv
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ranks import ranks  # noqa: E402

SHORT = {"none": "n", "skip_connect": "s", "nor_conv_1x1": "1", "nor_conv_3x3": "3", "avg_pool_3x3": "a"}
RANKINGS = ["synflow", "zen", "az_nas_expressivity,az_nas_progressivity,az_nas_trainability,az_nas_complexity",
            "synflow,zen", "synflow,az_nas_trainability", "synflow:8/zen", "synflow:16/zen", "synflow:32/zen",
            "synflow:64/zen", "synflow:128/zen", "params:16/zen", "params:64/zen", "synflow:16/az_nas_trainability"]


def code(arch):
    return "".join(SHORT[t.split("~")[0]] for t in arch.replace("+", "").split("|") if t)


def logrank(cells, proxies, scores):
    total = [0.0] * len(cells)
    for p in proxies:
        for i, r in enumerate(ranks([scores[c][p] for c in cells])):
            total[i] += math.log(r / len(cells))
    return total


def best(cells, ranking, scores):
    """cells in the order of ranking, best first."""
    first, cascade, second = ranking.partition("/")
    if cascade:
        proxy, n = first.split(":")
        cells = best(cells, proxy, scores)[: int(n)]
        ranking = second
    s = logrank(cells, ranking.split(","), scores)
    return [cells[i] for i in sorted(range(len(cells)), key=lambda i: -s[i])]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    acc = {}
    with open(os.path.join(root, "..", "shared", "data", "nb201", "nb201_accuracy.csv")) as f:
        for r in csv.DictReader(f):
            acc[code(r["arch"])] = float(r["cifar10_test"])
    scores = {}
    with open(sys.argv[1]) as f:
        for r in csv.DictReader(f):
            scores[code(r["arch"])] = {k: float(v) for k, v in r.items() if k not in ("index", "arch")}
    cells = sorted(scores)
    for ranking in RANKINGS:
        top = best(cells, ranking, scores)[:2]
        print("%-80s %s" % (ranking, "  ".join("%s %.2f" % (c, acc[c]) for c in top)))


main()
