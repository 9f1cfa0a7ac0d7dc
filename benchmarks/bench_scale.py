#!/usr/bin/env python3
"""Scaling: from 10^4 states to millions, safety-only and full checks (safety + liveness),
time and bytes per state, side by side with SPIN (pan -O2, exact storage), interleaved.

Per size and repetition, in this order: tcpmodel safety-only, tcpmodel full check, pan -O2 on
the safety properties (compiled once, -m measured once; see bench_spin.py).  Every figure is a
fresh process.  Medians of --runs repetitions.

    python3 benchmarks/bench_scale.py [--runs 1] [--max-states N] [--only ROW]... [--json FILE]

Series (the column "grows"): sequence space (handshake seq_space), incarnations (time-wait),
data (close data), channel capacity (close capacity 2..5) and loss budget (close loss 1..4);
--max-states skips rows known to exceed it; --only runs just the rows named as printed
(e.g. ``--only "close capacity=4 loss=4"``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_spin import Pan  # noqa: E402
from inprocess import run_tcpmodel, safety_model  # noqa: E402

# (series, check, --set overrides, approximate states: for --max-states and ordering only)
SERIES = [("seq space", "handshake", [], 8_746),
          ("seq space", "handshake", ["seq_space=32"], 139_426),
          ("incarnations", "time-wait", ["incarnations=1"], 4_033),
          ("incarnations", "time-wait", [], 137_310),
          ("inc+capacity", "time-wait", ["capacity=3", "dup=1"], 1_578_833),
          ("data", "close", [], 81_599),
          ("data", "close", ["data=2"], 82_560),
          ("capacity", "close", ["capacity=3"], 882_228),
          ("capacity", "close", ["capacity=4"], 5_583_747),
          ("capacity", "close", ["capacity=5"], 26_900_000),
          ("loss", "close", ["capacity=3", "loss=1"], 404_038),
          ("loss", "close", ["capacity=3", "loss=4"], 1_925_905),
          ("loss", "close", ["capacity=4", "loss=4"], 12_000_000)]


def row_name(name, sets) -> str:
    return " ".join([name, *sets])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--max-states", type=int, default=6_000_000)
    ap.add_argument("--only", action="append", metavar="ROW")
    ap.add_argument("--no-pan", action="store_true",
                    help="tcpmodel only (pan columns empty): e.g. to re-measure a liveness change")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    rows_wanted = [r for r in SERIES if args.only is None or row_name(r[1], r[2]) in args.only]
    if args.only and len(rows_wanted) != len(args.only):
        sys.exit(f"bench_scale: --only names rows of {[row_name(r[1], r[2]) for r in SERIES]}")
    from tcpmodel.export import spin
    from tcpmodel.export.promela import export_promela
    if spin.available():
        sys.exit(f"bench_scale: {spin.available()}")
    med = statistics.median
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores, shared)")
    print(f"scaling, median of {args.runs} interleaved run(s); B/st = peak resident memory grown "
          "during the run / states")
    head = (f"{'grows':<12} {'check':<26} {'states':>11} {'edges/st':>8} {'safe s':>7} "
            f"{'B/st':>6} {'full s':>7} "
            f"{'live s':>7} {'B/st':>6} {'pan cc':>6} {'pan s':>7} {'pan B/st':>8} "
            f"{'safe/pan':>8} {'same':>4}")
    print(head)
    print("-" * len(head))
    rows = []
    for series, name, sets, approx in rows_wanted:
        if approx > args.max_states and not args.only:
            continue
        model = safety_model(name, sets)
        with tempfile.TemporaryDirectory() as tmp:
            pan = Pan(export_promela(model), ("-O2", "-DSAFETY", "-DNOREDUCE"), tmp)
            safe, full, pans = [], [], []
            for _ in range(args.runs):
                safe.append(run_tcpmodel(name, sets))
                full.append(run_tcpmodel(name, sets, full=True))
                if not args.no_pan:
                    pans.append(pan.once(safe[0]["states"]))
        n = safe[0]["states"]

        def grown(rs):
            return med((r["peak_kb"] - r["base_kb"]) * 1024 for r in rs) / n
        row = {"series": series, "check": row_name(name, sets), "states": n,
               "edges_per_state": full[0]["transitions"] / n,
               "safe_s": med(r["search"] for r in safe), "safe_b": grown(safe),
               "full_s": med(r["search"] + r["live"] for r in full),
               "live_s": med(r["live"] for r in full), "full_b": grown(full),
               "pan_cc": pans[0]["compile"] if pans else float("nan"),
               "pan_s": med(r["search"] for r in pans) if pans else float("nan"),
               "pan_b": med(r["peak_kb"] for r in pans) * 1024 / n if pans else float("nan"),
               "same": all(r["states"] == n and r["complete"]
                           and (r["violated"], r["witnessed"]) == (safe[0]["violated"],
                                                                   safe[0]["witnessed"])
                           for r in pans) and full[0]["states"] == n}
        row["ratio"] = row["pan_s"] / row["safe_s"]
        rows.append(row)
        print(f"{series:<12} {row['check']:<26} {n:>11,} {row['edges_per_state']:>8.1f} "
              f"{row['safe_s']:>7.2f} {row['safe_b']:>6.0f} "
              f"{row['full_s']:>7.2f} {row['live_s']:>7.2f} {row['full_b']:>6.0f} "
              f"{row['pan_cc']:>6.1f} {row['pan_s']:>7.2f} {row['pan_b']:>8.0f} "
              f"{row['ratio']:>8.2f} {'yes' if row['same'] else 'NO':>4}", flush=True)
    print("safe s: tcpmodel's BFS with the safety properties; full s: BFS recording the graph plus "
          "the liveness\nanalysis (live s); pan: gcc -O2 -DSAFETY -DNOREDUCE, depth-first, exact "
          "storage (cc: spin -a + gcc).\nB/st: tcpmodel: peak RSS grown during the check (Python "
          "and imports excluded); from 2^20 states a full check\nkeeps its keys, parents and "
          "action indices (13 B/state) in a temporary file during the liveness analysis:\n"
          "on disk or in the kernel's page cache (clean, reclaimable), not in the RSS, except "
          "pages read back\nwhile they are mapped; pan: its peak RSS.\n"
          "safe/pan: pan s / safe s (above 1: "
          "tcpmodel's search is faster).  same: equal states and safety verdicts.")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
