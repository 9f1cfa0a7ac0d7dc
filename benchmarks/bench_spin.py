#!/usr/bin/env python3
"""tcpmodel against SPIN, side by side, interleaved, on the same checks (the safety properties
both decide).

Per configuration and repetition, in this order: tcpmodel in a fresh process (wall time from
start to verdicts: Python start-up, building the model, search, traces), then pan three ways:
as ``spin -run -DSAFETY -DNOREDUCE`` builds it (gcc without -O), with gcc -O2, and with gcc -O2
-DNCORE=2 (two cores).  Compile (``spin -a`` + gcc, timed once per build) and search (``pan``, every repetition) are
timed apart.
pan runs depth-first with -DSAFETY -DNOREDUCE, -c0, -w log2(states)+1 and a sensible -m: the
depth pan reaches on the model (one untimed run) plus 20 % and 1000.  Medians of --runs
repetitions; state counts and verdicts must match (column "same").

    python3 benchmarks/bench_spin.py [--runs 3] [--quick] [--big] [--only ROW]... [--json FILE]

--quick: the shipped checks only; --big: also close capacity=4 (5.6 M states); --only: just
the rows named (as printed, e.g. ``--only time-wait --only "close capacity=3"``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHIPPED = [("close", []), ("crash", []), ("half-open", []), ("half-open-keepalive", []),
           ("handshake", []), ("time-wait", [])]
SCALED = [("handshake", ["seq_space=16"]),            # sequence space
          ("close", ["capacity=3"]),                  # channel capacity
          ("time-wait", ["capacity=3", "dup=1"])]     # capacity, two incarnations
BIG = [("close", ["capacity=4"])]                     # >= 5 M states

CHILD = r"""
import json, resource, sys, time
t0 = time.monotonic()
sys.path.insert(0, sys.argv[1])
from tcpmodel.check import build, load_check
from tcpmodel.cli.common import parse_sets
from tcpmodel.engines.explicit import check
name, full_check, sets = sys.argv[2], sys.argv[3] == "full", sys.argv[4:]
full = build(load_check(name, overrides=parse_sets(sets)))
safety = [p.name for p in full.properties if p.kind in ("always", "sometimes")]
model = full if full_check else build(load_check(name, overrides=parse_sets(sets)), safety)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
res = check(model)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"states": res.states, "transitions": res.transitions, "search": res.seconds, "wall": time.monotonic() - t0,
                  "live": res.liveness_seconds or 0.0, "peak_kb": peak, "base_kb": before,
                  "complete": res.complete,
                  "violated": sorted(p.name for p in res.properties
                                     if p.kind == "always" and p.verdict == "violated"),
                  "witnessed": sorted(p.name for p in res.properties
                                      if p.kind == "sometimes" and p.verdict == "holds"),
                  "verdicts": {p.name: p.verdict for p in res.properties}}))
"""

# (column label, gcc flags, hidden temporaries)
PAN_BUILDS = [("run", ("-DSAFETY", "-DNOREDUCE"), True),
              ("O2", ("-O2", "-DSAFETY", "-DNOREDUCE"), True),
              ("O2x2", ("-O2", "-DSAFETY", "-DNOREDUCE", "-DNCORE=2"), False)]


def run_tcpmodel(name, sets, full=False) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), name,
                          "full" if full else "safety", *sets],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def row_name(name, sets) -> str:
    return " ".join([name, *sets])


def safety_model(name, sets):
    from tcpmodel.check import build, load_check
    from tcpmodel.cli.common import parse_sets
    full = build(load_check(name, overrides=parse_sets(sets)))
    safety = [p.name for p in full.properties if p.kind in ("always", "sometimes")]
    return build(load_check(name, overrides=parse_sets(sets)), safety)


class Pan:
    """One pan build of one configuration: compiled (and timed) at its first run, -m
    measured once by an untimed run."""

    def __init__(self, pml: str, flags, workdir: str):
        self.pml, self.flags, self.dir = pml, flags, workdir
        self.depth = None
        self.compile_s = None

    def once(self, states: int) -> dict:
        from tcpmodel.export import spin
        if self.compile_s is None:
            self.compile_s = spin.compile_pan(self.pml, self.dir, self.flags)
            self.depth = spin.sensible_depth(self.dir, states)
        compile_s = self.compile_s
        r = spin.search(self.dir, expected_states=states, max_depth=self.depth)
        return {"states": r.states, "compile": compile_s, "search": r.search_s,
                "peak_kb": r.peak_kb, "complete": r.complete and not r.errors,
                "violated": sorted(r.violated), "witnessed": sorted(r.witnessed),
                "depth": self.depth}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="the shipped checks only")
    ap.add_argument("--big", action="store_true", help="also close capacity=4 (5.6 M states)")
    ap.add_argument("--only", action="append", metavar="ROW",
                    help="only this row (check name, then its --set overrides: \"close capacity=3\")")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    from tcpmodel.export import spin
    from tcpmodel.export.promela import export_promela
    if spin.available():
        sys.exit(f"bench_spin: {spin.available()} (Debian: apt-get install spin gcc)")
    configs = SHIPPED + ([] if args.quick else SCALED) + (BIG if args.big else [])
    if args.only:
        configs = [c for c in SHIPPED + SCALED + BIG if row_name(*c) in args.only]
        if len(configs) != len(args.only):
            sys.exit(f"bench_spin: --only names rows of {[row_name(*c) for c in SHIPPED + SCALED + BIG]}")
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores, shared)")
    print(f"tcpmodel vs SPIN 6.5.2 (pan -DSAFETY -DNOREDUCE, depth-first), safety properties; "
          f"median of {args.runs} interleaved runs")
    head = (f"{'check':<26} {'states':>10} {'tcp s':>7} {'run cc':>6} {'run s':>7} {'O2 cc':>6} "
            f"{'O2 s':>7} {'x2 s':>7} {'vs run':>6} {'vs O2':>6} {'vs x2':>6} {'tcp st/s':>9} "
            f"{'O2 st/s':>9} {'tcp MB':>7} {'O2 MB':>7} {'x2 MB':>7} {'-m':>7} {'same':>4}")
    print(head)
    print("-" * len(head))
    med = statistics.median
    rows = []
    for name, sets in configs:
        model = safety_model(name, sets)
        with tempfile.TemporaryDirectory() as tmp:
            pans = {lab: Pan(export_promela(model, hidden), flags, f"{tmp}/{lab}")
                    for lab, flags, hidden in PAN_BUILDS}
            t, s = [], {lab: [] for lab in pans}
            for _ in range(args.runs):            # interleaved: tcpmodel, then each pan
                t.append(run_tcpmodel(name, sets))
                for lab, pan in pans.items():
                    s[lab].append(pan.once(t[0]["states"]))
        states = t[0]["states"]
        row = {"check": row_name(name, sets), "states": states,
               "tcp_wall": med(r["wall"] for r in t), "tcp_search": med(r["search"] for r in t),
               "tcp_peak_mb": med(r["peak_kb"] for r in t) / 1024, "depth": s["O2"][0]["depth"]}
        same = True
        for lab in pans:
            row[f"{lab}_compile"] = med(r["compile"] for r in s[lab])
            row[f"{lab}_search"] = med(r["search"] for r in s[lab])
            row[f"{lab}_peak_mb"] = med(r["peak_kb"] for r in s[lab]) / 1024
            row[f"{lab}_ratio"] = (row[f"{lab}_compile"] + row[f"{lab}_search"]) / row["tcp_wall"]
            same &= all(r["states"] == states and r["complete"]
                        and (r["violated"], r["witnessed"]) == (t[0]["violated"], t[0]["witnessed"])
                        for r in s[lab])
        row["same"] = same
        rows.append(row)
        print(f"{row['check']:<26} {states:>10,} {row['tcp_wall']:>7.2f} {row['run_compile']:>6.2f} "
              f"{row['run_search']:>7.2f} {row['O2_compile']:>6.2f} {row['O2_search']:>7.2f} "
              f"{row['O2x2_search']:>7.2f} {row['run_ratio']:>6.2f} {row['O2_ratio']:>6.2f} "
              f"{row['O2x2_ratio']:>6.2f} {states / row['tcp_search']:>9,.0f} "
              f"{states / row['O2_search']:>9,.0f} {row['tcp_peak_mb']:>7.1f} "
              f"{row['O2_peak_mb']:>7.1f} {row['O2x2_peak_mb']:>7.1f} {row['depth']:>7,} "
              f"{'yes' if same else 'NO':>4}", flush=True)
    print("tcp s: tcpmodel's wall time, process start to verdicts.  run: pan as spin -run builds "
          "it (gcc, no -O);\nO2: gcc -O2; x2: gcc -O2 -DNCORE=2 (two cores; its compile time is "
          "O2's give or take).\ncc: spin -a + gcc; s: pan's search.  vs X: (X cc + X s) / tcp s, "
          "above 1: tcpmodel first.\nst/s: states per second of search (tcpmodel: its BFS).  MB: "
          "peak resident memory (tcpmodel:\nthe Python process; x2: the largest pan process).  -m: "
          "pan's measured depth + 20 % + 1000.\nsame: equal state counts and safety verdicts in "
          "every run of every build.")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
