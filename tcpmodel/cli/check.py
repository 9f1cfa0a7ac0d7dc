"""``tcpmodel check``: run checks on the explicit engine, the z3 engine or both, and print verdicts."""

from __future__ import annotations

import json
import sys

from .. import __version__
from ..errors import InputError
from .common import progress as search_progress
from .common import (
    COUNT,
    EXIT_DISAGREE,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_VIOLATED,
    NONNEGATIVE,
    SECONDS,
    add_memory_option,
    max_memory,
    parse_sets,
    require_properties,
    write_traces,
)

ENGINES = ("explicit", "z3", "both")


def add_parser(sub) -> None:
    c = sub.add_parser("check", help="check properties of one or more check files",
                       description="Explore every reachable state of each check and report "
                                   "each property's verdict. With no CHECK, runs every shipped check.")
    c.add_argument("checks", nargs="*", metavar="CHECK", help="check name (see 'tcpmodel list') or path")
    c.add_argument("--variant", help="rule variant to use instead of the check's (e.g. rfc1337)")
    c.add_argument("--property", "-p", action="append", default=[], metavar="NAME",
                   help="check only this property: one of the check's or any from the library "
                        "(repeatable)")
    c.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a model parameter, e.g. --set loss=2 (repeatable)")
    c.add_argument("--max-states", type=COUNT, metavar="N", help="stop after N states (verdicts may be unknown)")
    c.add_argument("--timeout", type=SECONDS, metavar="SECONDS", help="stop after this many seconds per check")
    c.add_argument("--workers", type=COUNT, default=1, metavar="N",
                   help="N >= 2: expand the next chunk of states in a second thread while the "
                        "current one is stored (same results; see docs/performance.md)")
    c.add_argument("--jobs", "-j", type=COUNT, default=1, metavar="N",
                   help="check up to N checks at once in separate processes (at most one per "
                        "check and per core; output stays in order; only a heartbeat on long "
                        "runs)")
    c.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    c.add_argument("--witnesses", action="store_true", help="also print the traces of 'sometimes' witnesses")
    c.add_argument("--coverage", action="store_true",
                   help="list the rules that never fired (like SPIN's 'unreached')")
    c.add_argument("--no-diffs", action="store_true", help="omit the per-step TCB changes in traces")
    c.add_argument("--graph", metavar="FILE",
                   help="export the reachable state graph (.graphml or .dot; small runs only)")
    c.add_argument("--graph-limit", type=NONNEGATIVE, default=5000, metavar="N",
                   help="refuse to export graphs with more than N states (default 5000)")
    c.add_argument("--out", metavar="DIR",
                   help="write each counterexample (and witness, with --witnesses) to DIR as a "
                        "sequence chart (.svg), Mermaid (.mmd), JSON and text")
    add_memory_option(c)
    c.add_argument("--quiet", "-q", action="store_true",
                   help="no progress lines on stderr (only a heartbeat on long runs)")
    c.add_argument("--engine", choices=ENGINES, default="explicit",
                   help="explicit: BFS (the reference); z3: BMC plus k-induction/Spacer proofs; "
                        "both: run both and compare them (exit 4 on a disagreement)")
    c.add_argument("--depth", type=NONNEGATIVE, metavar="K",
                   help="BMC bound (default 20 for z3; 10 for both, which also confirms the "
                        "length of every trace the explicit engine found)")
    c.add_argument("--bmc-budget", type=SECONDS, metavar="SECONDS",
                   help="z3: stop depth-by-depth BMC after this long (default 120; the bound so "
                        "far is reported as 'holds up to depth d')")
    c.add_argument("--spacer", action="store_true",
                   help="z3: also try Spacer (CHC) when k-induction does not prove a property")
    c.add_argument("--proof-timeout", type=SECONDS, default=120.0, metavar="SECONDS",
                   help="z3: time for the proof attempts of one property (default 120)")
    c.add_argument("--samples", type=NONNEGATIVE, default=2, metavar="N",
                   help="both: confirm N random BFS states per depth reachable in exactly that "
                        "many Z3 steps (default 2; 0 to skip)")


def run(args) -> int:
    from .. import workers
    from ..check import build, list_checks, load_check
    from ..engines import explicit
    from ..report import render_check

    names = args.checks or list_checks()
    overrides = parse_sets(args.set)
    if args.engine != "explicit" and args.graph:
        raise InputError("--graph needs the explicit engine", where="command line",
                         fix="drop --graph or use --engine explicit")
    # load and build everything first: bad input fails before any search runs
    models = [build(load_check(n, overrides=overrides, variant=args.variant), args.property or None)
              for n in names]
    require_properties(models)
    if workers.count(args.jobs, len(models)) > 1 and args.engine == "explicit":
        return _check_in_parallel(args, names, overrides)
    results = []
    interrupted = disagreed = False
    limit = max_memory(args)
    for model in models:
        res = zres = None
        if args.engine in ("explicit", "both"):
            res = explicit.check(model, max_states=args.max_states, timeout=args.timeout,
                                 progress=search_progress(model, args), workers=args.workers,
                                 max_memory=limit)
            if args.graph:
                _export_graph(model, res, args.graph, args.graph_limit, len(models))
            if args.out:
                write_traces(model, res, args.out, args.witnesses)
        if args.engine in ("z3", "both") and not (res and res.stop_reason == "interrupted"):
            zres = _run_z3(model, res, args)
        shown = res or zres
        if zres is not None and res is not None:
            zres.cross_check = _cross_check(model, res, zres, args)
            disagreed = disagreed or bool(zres.cross_check["disagreements"])
        results.append((model, shown, zres if res is not None else None))
        if not args.json:
            for r in (res, zres):
                if r is not None:
                    print(render_check(model, r, witnesses=args.witnesses,
                                       diffs=not args.no_diffs, coverage=args.coverage))
            if res is not None and zres is not None:
                print(render_cross_check(zres.cross_check))
            sys.stdout.flush()
        if any(r is not None and r.stop_reason == "interrupted" for r in (res, zres)):
            interrupted = True
            break
    codes = [r.exit_code() for _, r, _ in results]
    code = (EXIT_DISAGREE if disagreed else EXIT_VIOLATED if EXIT_VIOLATED in codes
            else EXIT_UNKNOWN if EXIT_UNKNOWN in codes or interrupted else EXIT_OK)
    if args.json:
        checks = []
        for _, r, z in results:
            d = r.to_json()
            if z is not None:
                d["z3"] = z.to_json()
                d["cross_check"] = z.cross_check
            checks.append(d)
        doc = {"tcpmodel": __version__, "exit_code": code, "checks": checks}
        print(json.dumps(doc, indent=2))
    elif len(results) > 1:
        print(_overall(results, code))
    return code


def _one_check(job) -> tuple | None:
    """A whole check in a worker process: (text, JSON dict, exit code), or None when Ctrl-C
    came first. Models hold compiled closures, so each worker builds its own."""
    from .. import workers
    from ..check import build, load_check
    from ..engines import explicit
    from ..report import render_check

    name, overrides, args, limit = job
    model = build(load_check(name, overrides=overrides, variant=args.variant),
                  args.property or None)
    with workers.interruptible() as go:
        if not go:
            return None
        res = explicit.check(model, max_states=args.max_states, timeout=args.timeout,
                             workers=args.workers, max_memory=limit,
                             progress=search_progress(model, args, quiet=True))   # heartbeat only
    if args.graph:
        _export_graph(model, res, args.graph, args.graph_limit, 2)
    if args.out:
        write_traces(model, res, args.out, args.witnesses)
    text = "" if args.json else render_check(model, res, witnesses=args.witnesses,
                                             diffs=not args.no_diffs, coverage=args.coverage)
    return text, res.to_json(), res.exit_code()


def _check_in_parallel(args, names, overrides) -> int:
    """The checks in worker processes, printed in order; Ctrl-C: tcpmodel.workers."""
    from .. import workers

    docs, codes = [], []

    def each(result):
        text, doc, code = result
        docs.append(doc)
        codes.append(code)
        if not args.json:
            print(text)
            sys.stdout.flush()
    jobs = workers.count(args.jobs, len(names))
    limit = max_memory(args, jobs)   # shared by the worker processes
    interrupted = workers.run_in_order(_one_check, [(n, overrides, args, limit) for n in names],
                                       jobs, each)
    code = (EXIT_VIOLATED if EXIT_VIOLATED in codes else EXIT_UNKNOWN
            if EXIT_UNKNOWN in codes or interrupted else EXIT_OK)
    if args.json:
        print(json.dumps({"tcpmodel": __version__, "exit_code": code, "checks": docs}, indent=2))
    else:
        counts: dict = {}
        for d in docs:
            for p in d["properties"].values():
                counts[p["verdict"]] = counts.get(p["verdict"], 0) + 1
        parts = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
        print(f"{len(docs)} checks: {parts} (exit {code})")
    return code


def _run_z3(model, eres, args):
    """The z3 engine.  With --engine both it confirms the length of every trace the explicit
    engine found (two queries each) and BMC goes to --depth (default BOTH_DEPTH) for the rest."""
    from ..engines import crosscheck, symbolic

    depth = args.depth
    if depth is None:
        depth = symbolic.DEFAULT_DEPTH if eres is None else symbolic.BOTH_DEPTH
    progress = None
    if not args.quiet:
        def progress(d, secs, name=model.check.name):
            if secs >= 1.0:
                print(f"  [{name}] z3: BMC depth {d} in {secs:.1f} s", file=sys.stderr, flush=True)
    return symbolic.check(model, depth=depth, timeout=args.timeout, spacer=args.spacer,
                          proof_timeout=args.proof_timeout, progress=progress,
                          keep_going=eres is not None,
                          bmc_budget=(args.bmc_budget if args.bmc_budget is not None
                                      else symbolic.DEFAULT_BMC_BUDGET),
                          lengths=crosscheck.trace_lengths(eres) if eres is not None else None)


def _cross_check(model, eres, zres, args) -> dict:
    from ..engines import crosscheck

    return crosscheck.cross_check(model, eres, zres, samples=args.samples)


def render_cross_check(cc: dict) -> str:
    head = (f"   cross-check: the engines agree on every decided verdict and trace length; "
            f"{cc['depth_samples']} sampled BFS states are reached by Z3 in exactly their BFS depth "
            f"and {cc['successor_samples']} have the same successors")
    if cc["agree"]:
        return head + "\n"
    lines = ["   CROSS-CHECK FAILED: the engines disagree (a bug in one of them):"]
    lines += [f"     - {d}" for d in cc["disagreements"]]
    return "\n".join(lines) + "\n"


def _overall(results, code) -> str:
    counts = {}
    for _, r, _ in results:
        for p in r.properties:
            counts[p.verdict] = counts.get(p.verdict, 0) + 1
    parts = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    return f"{len(results)} checks: {parts} (exit {code})"


def _export_graph(model, res, path, limit, nchecks) -> None:
    from ..graph import write_graph
    target = path
    if nchecks > 1:
        stem, dot, ext = path.rpartition(".")
        target = f"{stem}-{model.check.name}.{ext}" if dot else f"{path}-{model.check.name}"
    write_graph(model, res._exploration, target, limit)
    print(f"  graph written to {target}", file=sys.stderr)
