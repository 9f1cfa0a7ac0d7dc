#!/usr/bin/env python3
"""Explicit-engine benchmark: states, transitions, time, states/s and peak memory per check.

Each run is a fresh subprocess (so peak memory is its own); the table shows medians over
--runs runs measured side by side in this one invocation.

    python3 benchmarks/bench_explicit.py [--runs 3] [CHECK[:variant] ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from tcpmodel.check import build, load_check
from tcpmodel.engines.explicit import check
name, variant = sys.argv[2], (sys.argv[3] or None)
model = build(load_check(name, variant=variant))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
res = check(model)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"states": res.states, "transitions": res.transitions, "depth": res.depth,
                  "seconds": res.seconds, "live": res.liveness_seconds or 0.0,
                  "peak_kb": peak, "base_kb": before, "complete": res.complete}))
"""


def run_once(name: str, variant: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), name, variant],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checks", nargs="*", help="check[:variant] (default: every shipped check)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from tcpmodel.check import list_checks

    targets = args.checks or list_checks()
    print(f"explicit engine, median of {args.runs} runs each (fresh process per run)")
    head = (f"{'check':<22} {'states':>10} {'transitions':>12} {'depth':>5} {'search s':>8} "
            f"{'states/s':>10} {'liveness s':>10} {'peak MB':>8} {'B/state':>8}")
    print(head)
    print("-" * len(head))
    for t in targets:
        name, _, variant = t.partition(":")
        runs = [run_once(name, variant) for _ in range(args.runs)]
        secs = statistics.median(r["seconds"] for r in runs)
        live = statistics.median(r["live"] for r in runs)
        peak = statistics.median(r["peak_kb"] for r in runs) / 1024
        grown = statistics.median(r["peak_kb"] - r["base_kb"] for r in runs) * 1024
        r = runs[0]
        label = t if variant else f"{name}"
        print(f"{label:<22} {r['states']:>10,} {r['transitions']:>12,} {r['depth']:>5} "
              f"{secs:>8.3f} {r['states'] / secs:>10,.0f} {live:>10.3f} {peak:>8.1f} "
              f"{grown / r['states']:>8.0f}")
    print("search s: BFS with the safety properties (and the labelled graph when the check has\n"
          "liveness properties); liveness s: the SCC/fairness analysis after it.\n"
          "B/state: peak resident memory grown during the run, divided by states stored")


if __name__ == "__main__":
    main()
