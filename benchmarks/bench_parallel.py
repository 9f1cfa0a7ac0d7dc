#!/usr/bin/env python3
"""`tcpmodel check` on every shipped check, serial (--jobs 1) against parallel (--jobs N).

Runs alternate between the two settings so that machine noise hits both; prints the median
wall time of each and their ratio.

    python3 benchmarks/bench_parallel.py [--runs 5] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(jobs: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tcpmodel", "check", "-q", "--jobs", str(jobs)],
                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    serial, parallel = [], []
    for _ in range(args.runs):
        serial.append(wall(1))
        parallel.append(wall(args.jobs))
    s, p = statistics.median(serial), statistics.median(parallel)
    print(f"tcpmodel check (all shipped checks), median of {args.runs} alternating runs, "
          f"{os.cpu_count()} cores")
    print(f"  --jobs 1: {s:.2f} s   --jobs {args.jobs}: {p:.2f} s   speed-up {s / p:.2f}x")


if __name__ == "__main__":
    main()
