#!/usr/bin/env python3
"""tcpmodel against SPIN, side by side, on the same checks (the safety properties both decide).

For each configuration: tcpmodel in a fresh process (wall time from start to verdicts,
including Python start-up, building the model and the search), then SPIN on the exported
model (``spin -a`` + ``gcc`` = compile, ``pan`` = search; pan -DSAFETY -DNOREDUCE, DFS).
Medians of --runs runs, measured in this one invocation.  States must match.

    python3 benchmarks/bench_spin.py [--runs 3] [--quick] [--json FILE]

--quick skips the ≥ 5 M-state configuration.
"""

from __future__ import annotations

import argparse
import json
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
          ("time-wait", ["capacity=3", "dup=1"]),     # capacity, two incarnations
          ("close", ["capacity=4"])]                  # >= 5 M states
BIG = ("close", ["capacity=4"])

CHILD = r"""
import json, resource, sys, time
t0 = time.monotonic()
sys.path.insert(0, sys.argv[1])
from tcpmodel.check import build, load_check
from tcpmodel.cli import _parse_sets
from tcpmodel.engines.explicit import check
name, sets = sys.argv[2], sys.argv[3:]
full = build(load_check(name, overrides=_parse_sets(sets)))
safety = [p.name for p in full.properties if p.kind in ("always", "sometimes")]
model = build(load_check(name, overrides=_parse_sets(sets)), safety)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
res = check(model)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ex = res._exploration
print(json.dumps({"states": res.states, "search": res.seconds, "wall": time.monotonic() - t0,
                  "peak_kb": peak, "base_kb": before,
                  "store": getattr(ex, "store_bytes", 0) / max(res.states, 1),
                  "violated": sorted(p.name for p in res.properties
                                     if p.kind == "always" and p.verdict == "violated"),
                  "witnessed": sorted(p.name for p in res.properties
                                      if p.kind == "sometimes" and p.verdict == "holds")}))
"""


def run_tcpmodel(name, sets) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), name, *sets],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def run_spin(name, sets, states) -> dict:
    from tcpmodel.check import build, load_check
    from tcpmodel.cli import _parse_sets
    from tcpmodel.export import spin
    from tcpmodel.export.promela import export_promela
    full = build(load_check(name, overrides=_parse_sets(sets)))
    safety = [p.name for p in full.properties if p.kind in ("always", "sometimes")]
    model = build(load_check(name, overrides=_parse_sets(sets)), safety)
    with tempfile.TemporaryDirectory() as d:
        r = spin.run(export_promela(model), d, expected_states=states,
                     max_depth=max(1_000_000, 8 * states))
    return {"states": r.states, "compile": r.compile_s, "search": r.search_s,
            "peak_kb": r.peak_kb, "rate": r.rate, "complete": r.complete, "errors": r.errors,
            "violated": sorted(r.violated), "witnessed": sorted(r.witnessed)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip the >= 5 M-state configuration")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    from tcpmodel.export import spin
    if spin.available():
        sys.exit(f"bench_spin: {spin.available()} (Debian: apt-get install spin gcc)")
    configs = SHIPPED + [c for c in SCALED if not (args.quick and c == BIG)]
    print(f"tcpmodel vs SPIN 6.5.2 (pan -DSAFETY -DNOREDUCE, DFS), safety properties, "
          f"median of {args.runs} runs, one session")
    head = (f"{'check':<28} {'states':>10} {'tcp s':>7} {'spin cc':>7} {'spin s':>7} "
            f"{'ratio':>6} {'tcp st/s':>10} {'spin st/s':>10} {'tcp MB':>7} {'spin MB':>7} "
            f"{'tcp B/st':>8} {'spin B/st':>9} {'same':>4}")
    print(head)
    print("-" * len(head))
    rows = []
    for name, sets in configs:
        t = [run_tcpmodel(name, sets) for _ in range(args.runs)]
        states = t[0]["states"]
        s = [run_spin(name, sets, states) for _ in range(args.runs)]
        med = statistics.median
        row = {
            "check": name + ("" if not sets else " " + " ".join(sets)), "states": states,
            "spin_states": s[0]["states"],
            "tcp_wall": med(r["wall"] for r in t), "tcp_search": med(r["search"] for r in t),
            "spin_compile": med(r["compile"] for r in s), "spin_search": med(r["search"] for r in s),
            "tcp_peak_mb": med(r["peak_kb"] for r in t) / 1024,
            "tcp_grown_b": med((r["peak_kb"] - r["base_kb"]) * 1024 for r in t) / states,
            "tcp_store_b": t[0]["store"],
            "spin_peak_mb": med(r["peak_kb"] for r in s) / 1024,
            "same_verdicts": (t[0]["violated"], t[0]["witnessed"]) == (s[0]["violated"],
                                                                       s[0]["witnessed"]),
            "spin_complete": all(r["complete"] and not r["errors"] for r in s),
        }
        row["ratio"] = (row["spin_compile"] + row["spin_search"]) / row["tcp_wall"]
        row["tcp_rate"] = states / row["tcp_search"]
        row["spin_rate"] = states / row["spin_search"]
        row["spin_b"] = row["spin_peak_mb"] * 1024 * 1024 / states
        rows.append(row)
        ok = row["same_verdicts"] and row["spin_states"] == states and row["spin_complete"]
        print(f"{row['check']:<28} {states:>10,} {row['tcp_wall']:>7.2f} "
              f"{row['spin_compile']:>7.2f} {row['spin_search']:>7.2f} {row['ratio']:>6.2f} "
              f"{row['tcp_rate']:>10,.0f} {row['spin_rate']:>10,.0f} {row['tcp_peak_mb']:>7.1f} "
              f"{row['spin_peak_mb']:>7.1f} {row['tcp_grown_b']:>8.1f} {row['spin_b']:>9.1f} "
              f"{'yes' if ok else 'NO':>4}", flush=True)
    print("tcp s: tcpmodel wall time, process start to verdicts; spin cc: spin -a + gcc; spin s: "
          "pan.\nratio: (spin cc + spin s) / tcp s (above 1: tcpmodel first). st/s: states per "
          "second of search\n(tcpmodel: BFS only; SPIN: pan). MB: peak resident memory of the "
          "process (tcpmodel: Python\nincluded). tcp B/st: resident memory grown during the "
          "search per state; spin B/st: pan's peak\nper state. same: equal state counts and "
          "equal safety verdicts.")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
