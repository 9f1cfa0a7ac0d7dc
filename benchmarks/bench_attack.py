#!/usr/bin/env python3
"""Forged-value classes against every value: states, transitions and time of `tcpmodel check
korg` under blind (off-path) and on-path attackers, one forged value per class vs all of them,
interleaved (classes, all, classes, all, ...), each run a fresh process; medians of --runs.

    python3 benchmarks/bench_attack.py [--runs 3] [--budgets 1,2]

The attacker forges SYN, RST and RST,ACK (so that "all" stays below the fast engine's 254
successors per state); safety and liveness properties of korg are all checked, and the script
fails if the two ways disagree on a verdict or on the number of states.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = 'attacker.flags=["SYN", "RST", "RST,ACK"]'


def run(preset: str, budget: int, values: str) -> dict:
    argv = [sys.executable, "-m", "tcpmodel", "check", "korg", "--json", "-q",
            "--set", f"attacker.preset={preset}", "--set", f"attacker.budget={budget}",
            "--set", FLAGS, "--set", f"attacker.values={values}"]
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    wall = time.monotonic() - t0
    doc = json.loads(p.stdout)
    res = doc["checks"][0]
    return {"states": res["states"], "transitions": res["transitions"], "wall": wall,
            "verdicts": {n: q["verdict"] for n, q in res["properties"].items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--budgets", default="1,2")
    args = ap.parse_args()
    print(f"{'attacker':<22} {'values':<8} {'states':>10} {'transitions':>12} {'median s':>9}")
    for preset in ("off-path", "on-path"):
        for budget in (int(b) for b in args.budgets.split(",")):
            got: dict = {"classes": [], "all": []}
            for _ in range(args.runs):
                for values in ("classes", "all"):
                    got[values].append(run(preset, budget, values))
            c, a = got["classes"][0], got["all"][0]
            if c["verdicts"] != a["verdicts"] or c["states"] != a["states"]:
                sys.exit(f"DISAGREE {preset} budget {budget}: {c} vs {a}")
            med = {v: statistics.median(r["wall"] for r in got[v]) for v in got}
            for v in ("classes", "all"):
                r = got[v][0]
                print(f"{preset + ' budget ' + str(budget):<22} {v:<8} {r['states']:>10,} "
                      f"{r['transitions']:>12,} {med[v]:>9.2f}")
            print(f"{'':<22} ratio all/classes: transitions "
                  f"{a['transitions'] / c['transitions']:.2f}x, time {med['all'] / med['classes']:.2f}x;"
                  f" verdicts equal: {sorted(c['verdicts'].items())}")


if __name__ == "__main__":
    main()
