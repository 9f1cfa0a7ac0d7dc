#!/usr/bin/env python3
"""z3-engine benchmark, side by side with the explicit engine (medians over --runs runs).

1. Counterexamples: for each shipped violation, the BFS time and depth, the time incremental
   BMC needs to find it depth by depth, the time to confirm the BFS length with two
   queries (nothing shorter, something at exactly that length), and BMC's find mode
   (``--bmc find``) at the default bound 20 with no shortening (``--shorten 0``): the length
   it found and "none within" the depth it proved free of violations.
   ``find`` (its own part): find mode alone, in this process against a portfolio of
   ``--portfolio`` solver processes (``--bmc find --portfolio N``), interleaved run by run.
2. Proofs: k-induction time for every property with a strengthening, also on parameters the
   explicit engine cannot enumerate (seq_space 256, capacity 4); optionally Spacer.
3. BMC scaling: seconds per depth on each shipped check (all its safety properties, as
   ``--engine z3`` runs them when nothing is proved), up to --scaling-depth or --scaling-budget.
4. Inference: every shipped ``always`` property that holds on its check, proved with an
   inferred strengthening (no hand-written one), at the check's parameters and at
   seq_space = 2^32; the goal is at most 5 minutes each.

    python3 benchmarks/bench_z3.py [--runs 3] [--spacer 60] [--scaling-depth 14] [--quick]
                                   [--parts counterexamples,find,proofs,scaling,inference]
                                   [--portfolio 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tcpmodel.check import build, list_checks, load_check
from tcpmodel.engines import explicit
from tcpmodel.engines.symbolic import DEFAULT_DEPTH, bmc, bmc_find
from tcpmodel.engines.symbolic.induction import Prover
from tcpmodel.engines.symbolic.encoding import Encoding

# (check, variant, property) of every shipped counterexample
COUNTEREXAMPLES = [("half-open", None, "no_half_open_deadlock"),
                   ("crash", None, "no_half_open_deadlock"), ("crash", None, "no_deadlock"),
                   ("time-wait", None, "time_wait_safety")]
# (check, overrides[, variant]) whose strengthened properties are proved
PROOFS = [("handshake", {}), ("handshake", {"seq_space": 256}),
          ("handshake", {"seq_space": 256, "capacity": 4}), ("close", {}), ("half-open-keepalive", {}),
          ("crash", {}), ("time-wait", {}, "rfc1337"),
          ("close", {"seq_space": 256, "capacity": 4, "loss": "unbounded"})]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def timed(fn, runs):
    out, secs = None, []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        secs.append(time.perf_counter() - t0)
    return out, median(secs)


def timed_cpu(fn, runs):
    """(result, median wall seconds, median CPU seconds of this process): Z3 runs in this
    process on one thread, so on a shared machine the CPU time is what a quiet machine's wall
    time would be, and the wall time is what this run waited."""
    out, wall, cpu = None, [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return out, median(wall), median(cpu)


def counterexamples(runs: int) -> None:
    print(f"counterexamples: BFS vs BMC (seconds, median of {runs}; wall and CPU of this "
          "process: on a shared machine the CPU column is the quiet machine's wall time)")
    head = (f"{'check':<12} {'property':<24} {'BFS depth':>9} {'BFS s':>7} {'BMC depth':>9} "
            f"{'BMC wall':>8} {'BMC cpu':>8} {'confirm wall':>12} {'confirm cpu':>11} "
            f"{'find depth':>10} {'none within':>11} {'find wall':>9} {'find cpu':>8}")
    print(head)
    print("-" * len(head))
    for name, variant, prop in COUNTEREXAMPLES:
        model = build(load_check(name, variant=variant), [prop])
        eres, es = timed(lambda m=model: explicit.check(m), runs)
        edepth = eres.properties[0].depth
        run, bs, bc = timed_cpu(lambda m=model, d=edepth: bmc.run(m, m.properties, d), runs)
        hit = run.hits.get(prop)
        (chit, _), cs, cc = timed_cpu(
            lambda m=model, d=edepth: bmc.confirm_length(m, m.properties[0], d), runs)
        frun, fs, fc = timed_cpu(lambda m=model: bmc_find.run(m, m.properties, DEFAULT_DEPTH,
                                                               shorten=0), runs)
        fhit = frun.hits.get(prop)
        within = "-" if fhit is None else "shortest" if fhit.shortest else fhit.none_within
        nan = float("nan")
        print(f"{name:<12} {prop:<24} {edepth:>9} {es:>7.2f} {hit.depth if hit else '-':>9} "
              f"{bs:>8.2f} {bc:>8.2f} {cs if chit else nan:>12.2f} {cc if chit else nan:>11.2f} "
              f"{fhit.depth if fhit else '-':>10} {within:>11} {fs:>9.2f} {fc:>8.2f}",
              flush=True)
    print()


def _cpu_with_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + r.ru_utime + r.ru_stime


def find_mode(runs: int, members: int) -> None:
    """Find mode (bound 20, no shortening) in this process (A) and with a portfolio of
    ``members`` solver processes (B), interleaved A, B, A, B.  CPU counts the members too (the
    killed losers included); "quiet" is this process's CPU plus the CPU of the members that
    answered: the wall time on a quiet machine with a core per member."""
    print(f"find mode, bound {DEFAULT_DEPTH}, --shorten 0: in-process (A) vs --portfolio "
          f"{members} (B); seconds, median of {runs}, interleaved; load average at start "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    head = (f"{'check':<10} {'property':<22} {'A len':>5} {'A cpu':>6} {'A wall':>6} "
            f"{'B len':>5} {'B quiet':>7} {'B cpu':>6} {'B wall':>6}  A cpu each / B quiet each")
    print(head)
    print("-" * len(head))
    for name, variant, prop in COUNTEREXAMPLES:
        model = build(load_check(name, variant=variant), [prop])
        rows = {"A": [], "B": []}
        for _ in range(runs):
            for label, n in (("A", 1), ("B", members)):
                t0, c0 = time.perf_counter(), _cpu_with_children()
                c_own = time.process_time()
                run = bmc_find.run(model, model.properties, DEFAULT_DEPTH, shorten=0, members=n)
                wall, cpu = time.perf_counter() - t0, _cpu_with_children() - c0
                quiet = (time.process_time() - c_own) + run.member_cpu if n > 1 else cpu
                hit = run.hits.get(prop)
                rows[label].append((hit.depth if hit else None, cpu, wall, quiet))
        a, b = rows["A"], rows["B"]
        med = lambda xs, i: median([x[i] for x in xs])  # noqa: E731
        lens = lambda xs: "/".join(str(x[0]) for x in xs)  # noqa: E731
        print(f"{name:<10} {prop:<22} {lens(a):>5} {med(a, 1):>6.1f} {med(a, 2):>6.1f} "
              f"{lens(b):>5} {med(b, 3):>7.1f} {med(b, 1):>6.1f} {med(b, 2):>6.1f}  "
              + " ".join(f"{x[1]:.1f}" for x in a) + " / " + " ".join(f"{x[3]:.1f}" for x in b),
              flush=True)
    print("load average at end " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    print()


def proofs(runs: int, spacer: float | None) -> None:
    print(f"proofs: k-induction with the check's strengthening (seconds, median of {runs})")
    head = (f"{'check':<20} {'parameters':<40} {'property':<24} {'BFS states':>10} {'BFS s':>7} "
            f"{'result':<22} {'proof s':>8}")
    print(head)
    print("-" * len(head))
    for name, over, *variant in PROOFS:
        model = build(load_check(name, overrides=over, variant=variant[0] if variant else None))
        params = " ".join([f"{k}={v}" for k, v in over.items()] + variant) or "defaults"
        if not over:
            eres = explicit.check(model)
            states, es = f"{eres.states:,}", f"{eres.seconds:.2f}"
        else:
            states, es = "too many", "-"
        for p in model.properties:
            if p.strengthen is None:
                continue
            proof, ps = timed(lambda m=model, p=p: Prover(Encoding(m)).k_induction(
                p, p.strengthen.node), runs)
            print(f"{name:<20} {params:<40} {p.name:<24} {states:>10} {es:>7} "
                  f"{proof.status + ' ' + proof.method.split()[-1]:<22} {ps:>8.2f}")
            if spacer:
                sp = Prover(Encoding(model)).spacer(p, timeout=spacer)
                print(f"{'':<12} {'':<40} {'  (spacer)':<24} {'':>10} {'':>7} "
                      f"{sp.status:<22} {sp.seconds:>8.2f}  {sp.detail}")
    print()


def scaling(depth: int, budget: float) -> None:
    print(f"BMC scaling: seconds per depth for all the check's safety properties, no proofs "
          f"(up to depth {depth} or {budget:.0f} s; BMC stops early once every property is decided)")
    for name in list_checks():
        model = build(load_check(name))
        safety = [p for p in model.properties if p.kind in ("always", "sometimes")]
        run = bmc.run(model, safety, depth, timeout=budget)
        stop = f"  (stopped: {run.stop_reason})" if run.stop_reason else ""
        print(f"  {name:<10} " + " ".join(f"{t:.2f}" for t in run.times) + stop)
    print()


# (check, variant, properties that hold on it)
INFERENCE = [("handshake", None, ["no_deadlock", "no_half_open_deadlock", "seq_agreement"]),
             ("close", None, ["no_deadlock", "no_half_open_deadlock", "time_wait_safety",
                              "seq_agreement"]),
             ("half-open-keepalive", None, ["no_half_open_deadlock", "seq_agreement"]),
             ("crash", None, ["seq_agreement"]),
             ("time-wait", "rfc1337", ["time_wait_safety"])]
SEQ32 = 1 << 32


def inference(runs: int, only: str | None = None, timeout: float = 1800) -> None:
    from tcpmodel.engines.inference import infer

    print(f"inference: strengthenings mined and pruned, no hand-written one (seconds, median of "
          f"{runs}; runs interleaved: check parameters, 2^32, check parameters, ...)")
    head = (f"{'check':<20} {'property':<24} {'params':<10} {'result':<8} {'conj':>5} "
            f"{'cands':>6} {'wall s':>8} {'cpu s':>8}")
    print(head)
    print("-" * len(head))
    for name, variant, props in INFERENCE:
        if only and name not in only.split(","):
            continue
        times: dict = {}
        cpus: dict = {}
        last: dict = {}
        for _ in range(runs):
            for label, over in (("check", {}), ("2^32", {"seq_space": SEQ32})):
                model = build(load_check(name, overrides=over, variant=variant), props)
                t0, c0 = time.perf_counter(), time.process_time()
                inf = infer(model, timeout=timeout)
                times.setdefault(label, []).append(time.perf_counter() - t0)
                cpus.setdefault(label, []).append(time.process_time() - c0)
                last[label] = inf
        for label in ("check", "2^32"):
            inf = last[label]
            for p in props:
                r = inf.results[p]
                print(f"{name + ('/' + variant if variant else ''):<20} {p:<24} {label:<10} "
                      f"{r.status:<8} {r.conjuncts:>5} {inf.candidates:>6} "
                      f"{median(times[label]):>8.1f} {median(cpus[label]):>8.1f}", flush=True)
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--spacer", type=float, metavar="SECONDS",
                    help="also try Spacer on each proof with this timeout")
    ap.add_argument("--scaling-depth", type=int, default=14)
    ap.add_argument("--scaling-budget", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true", help="one run, no scaling table")
    ap.add_argument("--checks", help="inference: only these checks (comma-separated)")
    ap.add_argument("--infer-timeout", type=float, default=1800.0,
                    help="inference: seconds per check and parameter set (default 1800)")
    ap.add_argument("--parts", default="counterexamples,find,proofs,scaling,inference",
                    help="comma-separated subset of counterexamples, find, proofs, scaling, "
                         "inference")
    ap.add_argument("--portfolio", type=int, default=2,
                    help="find: solver processes per query in the portfolio runs (default 2)")
    args = ap.parse_args()
    runs = 1 if args.quick else args.runs
    parts = set(args.parts.split(","))
    if "counterexamples" in parts:
        counterexamples(runs)
    if "find" in parts:
        find_mode(runs, args.portfolio)
    if "proofs" in parts:
        proofs(runs, args.spacer)
    if "inference" in parts:
        inference(runs, args.checks, args.infer_timeout)
    if "scaling" in parts and not args.quick:
        scaling(args.scaling_depth, args.scaling_budget)


if __name__ == "__main__":
    main()
