#!/usr/bin/env python3
"""tcpmodel against SPIN, side by side, interleaved, on the same checks (the safety properties
both decide).

Rows: every shipped check the Promela export can take (not those with an attacker), each
restricted to its safety properties the export can express (the others, e.g. those reading
``step.*``, are left out of both tools' runs and listed), then a scaled family.
Per row and repetition, in this order: ``tcpmodel check CHECK -p ... --json --quiet`` as a
user runs it, in a fresh process (wall time from before the interpreter starts to its exit:
imports, loading the rule files, search, traces; one untimed run first, which also writes the
bytecode as ``pip install`` does), then pan three ways: as ``spin -run -DSAFETY -DNOREDUCE``
builds it (gcc without -O), with gcc -O2, and with gcc -O2 -DNCORE=2 (two cores).  Compile
(``spin -a`` + gcc) and search (``pan``) are timed apart; spin -run's build is compiled at
every repetition, the -O2 builds once.  pan runs depth-first with -DSAFETY -DNOREDUCE, -c0,
-w log2(states)+1 and a sensible -m: the depth pan reaches on the model (one untimed run) plus
20 % and 1000.  Medians of --runs repetitions; ratios are the median of each repetition's
ratio; state counts and verdicts must match (column "same").

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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALED = [("handshake", ["seq_space=16"]),            # sequence space
          ("close", ["capacity=3"]),                  # channel capacity
          ("time-wait", ["capacity=3", "dup=1"])]     # capacity, two incarnations
BIG = [("close", ["capacity=4"])]                     # >= 5 M states

# (column label, gcc flags, hidden temporaries)
PAN_BUILDS = [("run", ("-DSAFETY", "-DNOREDUCE"), True),     # what spin -run -DSAFETY builds
              ("O2", ("-O2", "-DSAFETY", "-DNOREDUCE"), True),
              ("O2x2", ("-O2", "-DSAFETY", "-DNOREDUCE", "-DNCORE=2"), False)]
# (the safety models exported here have no ltl blocks, so -DNOCLAIM changes nothing)


def run_tcpmodel(name, sets, props) -> dict:
    """One ``tcpmodel check`` exactly as a user runs it, in a fresh process: wall time from
    before the interpreter starts to its exit (imports, loading the rule files, search,
    traces, output), peak resident memory of that process, and the JSON it prints."""
    cmd = [sys.executable, "-m", "tcpmodel", "check", name, "--json", "--quiet",
           *(a for p in props for a in ("-p", p)), *(a for s in sets for a in ("--set", s))]
    # as after `pip install .`, which compiles the bytecode: a PYTHONDONTWRITEBYTECODE in the
    # environment would make every run compile tcpmodel from source
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        child = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - t0
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code not in (0, 1):             # 1: some property violated
            sys.exit(f"bench_spin: {' '.join(cmd)} exited {code}: {err.read().decode()[-2000:]}")
        doc = json.loads(out.read())["checks"][0]
    verdicts = {n: p["verdict"] for n, p in doc["properties"].items()}
    kinds = {n: p["kind"] for n, p in doc["properties"].items()}
    return {"states": doc["states"], "transitions": doc["transitions"], "search": doc["seconds"],
            "wall": wall, "peak_kb": usage.ru_maxrss, "complete": doc["complete"],
            "violated": sorted(n for n, v in verdicts.items()
                               if kinds[n] == "always" and v == "violated"),
            "witnessed": sorted(n for n, v in verdicts.items()
                                if kinds[n] == "sometimes" and v == "holds")}


def row_name(name, sets) -> str:
    return " ".join([name, *sets])


def shipped() -> list:
    """Every shipped check, as (name, no overrides) rows."""
    return [(f.stem, []) for f in sorted((ROOT / "specs" / "checks").glob("*.toml"))]


def comparable(name, sets):
    """(model, properties, dropped, why_not): the check restricted to its safety properties
    that the Promela export can express (``dropped``: the others, e.g. those reading
    ``step.*``); ``model`` is None, with the reason, when the export refuses the check itself
    (an attacker) or none of its properties."""
    from tcpmodel.check import build, load_check
    from tcpmodel.cli.common import parse_sets
    from tcpmodel.errors import InputError
    from tcpmodel.export.promela import export_promela

    def model_of(props):
        return build(load_check(name, overrides=parse_sets(sets)), props)

    safety = [p.name for p in model_of(None).properties if p.kind in ("always", "sometimes")]
    props, dropped = [], []
    for prop in safety:
        try:
            export_promela(model_of([prop]), True)
            props.append(prop)
        except InputError as e:
            if "attacker" in str(e):
                return None, [], safety, "the export has no attacker"
            dropped.append(prop)
    if not props:
        return None, [], dropped, "no safety property the export can express"
    return model_of(props), props, dropped, None


class Pan:
    """One pan build of one configuration: compiled (and timed) at its first run, or at every
    run with ``recompile`` (what a time to verdict counts); -m measured once by an untimed run."""

    def __init__(self, pml: str, flags, workdir: str, recompile: bool = False):
        self.pml, self.flags, self.dir, self.recompile = pml, flags, workdir, recompile
        self.depth = None
        self.compile_s = None

    def once(self, states: int) -> dict:
        from tcpmodel.export import spin
        if self.compile_s is None:
            self.compile_s = spin.compile_pan(self.pml, self.dir, self.flags)
            self.depth = spin.sensible_depth(self.dir, states)
        elif self.recompile:
            self.compile_s = spin.compile_pan(self.pml, self.dir, self.flags)
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
    every = shipped() + SCALED + BIG
    configs = shipped() + ([] if args.quick else SCALED) + (BIG if args.big else [])
    if args.only:
        configs = [c for c in every if row_name(*c) in args.only]
        if len(configs) != len(args.only):
            sys.exit(f"bench_spin: --only names rows of {[row_name(*c) for c in every]}")
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
    skipped, partial = [], []
    for name, sets in configs:
        model, props, dropped, why_not = comparable(name, sets)
        if model is None:
            skipped.append(f"{row_name(name, sets)} ({why_not})")
            continue
        if dropped:
            partial.append(f"{row_name(name, sets)}: {', '.join(dropped)}")
        run_tcpmodel(name, sets, props)           # untimed: bytecode written, files cached
        with tempfile.TemporaryDirectory() as tmp:
            # spin -run's build is compiled at every repetition (its time to verdict); the
            # -O2 builds once (minutes under load; their search is what they are raced for)
            pans = {lab: Pan(export_promela(model, hidden), flags, f"{tmp}/{lab}", lab == "run")
                    for lab, flags, hidden in PAN_BUILDS}
            t, s = [], {lab: [] for lab in pans}
            for _ in range(args.runs):            # interleaved: tcpmodel, then each pan
                t.append(run_tcpmodel(name, sets, props))
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
            # the median of each repetition's ratio (the two measured side by side)
            row[f"{lab}_ratio"] = med((r["compile"] + r["search"]) / x["wall"]
                                      for r, x in zip(s[lab], t))
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
    print("tcp s: wall time of `tcpmodel check CHECK -p ... --json --quiet` in a fresh process, "
          "interpreter start to exit.\nrun: pan as spin -run builds it (gcc, no -O); "
          "O2: gcc -O2; x2: gcc -O2 -DNCORE=2 (two cores;\nits compile time is O2's give or "
          "take).  cc: spin -a + gcc; s: pan's search.  vs X: (X cc + X s) / tcp s per repetition, median;\nabove 1: "
          "tcpmodel first.  st/s: states per second of search (tcpmodel: its BFS).  MB: peak "
          "resident\nmemory (tcpmodel: its process; x2: the largest pan process).  -m: pan's "
          "measured depth + 20 % + 1000.\nsame: equal state counts and safety verdicts in every "
          "run of every build.")
    for line in partial:
        print(f"properties the export cannot express, left out of both tools' run: {line}")
    for line in skipped:
        print(f"not compared: {line}")
    if rows:
        worst = min(rows, key=lambda r: r["run_ratio"])
        print(f"time to verdict against spin -run (compile included): {len(rows)} rows, "
              f"median {med(r['run_ratio'] for r in rows):.2f}x, lowest {worst['run_ratio']:.2f}x "
              f"({worst['check']}); at or above 3x: "
              f"{sum(r['run_ratio'] >= 3 for r in rows)} of {len(rows)}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
