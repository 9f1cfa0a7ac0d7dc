"""``tcpmodel check``: run checks on the explicit engine, the z3 engine or both, and print verdicts."""

from __future__ import annotations

import json
import sys

from .. import __version__
from ..errors import InputError
from ..api import ENGINES
from .common import (
    COUNT,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_VIOLATED,
    NONNEGATIVE,
    SECONDS,
    SECONDS_OR_ZERO,
    add_memory_option,
    max_memory,
    parse_sets,
    require_properties,
)


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
    c.add_argument("--junit", metavar="FILE",
                   help="also write JUnit XML to FILE for CI: one test case per property, a "
                        "violation is a failure carrying its trace, unknown an error")
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
    c.add_argument("--bmc", choices=("depth", "find"), default="depth",
                   help="z3: depth (default) tries depths in order, so a trace is shortest; "
                        "find asks one query per bound (10, then --depth), much faster on deep "
                        "counterexamples, then shortens the trace found within --shorten seconds "
                        "and says whether it is proven shortest")
    c.add_argument("--shorten", type=SECONDS_OR_ZERO, metavar="SECONDS",
                   help="z3 with --bmc find: time per trace to look for a shorter one, or prove "
                        "there is none (default 10; 0 keeps the trace found, its repeated "
                        "states cut out)")
    c.add_argument("--portfolio", type=COUNT, metavar="N",
                   help="z3 with --bmc find: solve each query with N solver processes side by "
                        "side (different preprocessing and random seed; the first answer wins, "
                        "the others are stopped); default 1, in this process")
    c.add_argument("--spacer", action="store_true",
                   help="z3: also try Spacer (CHC) when k-induction does not prove a property")
    c.add_argument("--proof-timeout", type=SECONDS, default=120.0, metavar="SECONDS",
                   help="z3: time for the proof attempts of one property (default 120)")
    c.add_argument("--infer", action="store_true",
                   help="z3: infer a strengthening for every 'always' property (mined from the "
                        "explicit engine's reachable states at small parameters, pruned by Z3 "
                        "at the check's) instead of the check's own; by default only properties "
                        "without one that k-induction alone does not prove get one")
    c.add_argument("--no-infer", action="store_true",
                   help="z3: never infer strengthenings (k-induction with the check's own only)")
    c.add_argument("--infer-out", metavar="FILE",
                   help="z3: write the inferred strengthenings to FILE as [define] and "
                        "[strengthen] entries for a check file (implies --infer)")
    c.add_argument("--infer-timeout", type=SECONDS, default=300.0, metavar="SECONDS",
                   help="z3: time for inference per check (default 300)")
    c.add_argument("--samples", type=NONNEGATIVE, default=2, metavar="N",
                   help="both: confirm N random BFS states per depth reachable in exactly that "
                        "many Z3 steps (default 2; 0 to skip)")


def run(args) -> int:
    from .. import api, workers
    from ..check import list_checks

    names = args.checks or list_checks()
    overrides = parse_sets(args.set)
    if args.engine != "explicit" and args.graph:
        raise InputError("--graph needs the explicit engine", where="command line",
                         fix="drop --graph or use --engine explicit")
    if (args.infer or args.infer_out or args.no_infer) and args.engine == "explicit":
        raise InputError("--infer, --infer-out and --no-infer are options of the z3 engine",
                         where="command line", fix="add --engine z3 (or --engine both)")
    if args.no_infer and (args.infer or args.infer_out):
        raise InputError("--no-infer contradicts --infer/--infer-out", where="command line",
                         fix="drop one of them")
    if args.shorten is not None and args.bmc != "find":
        raise InputError("--shorten is an option of --bmc find", where="command line",
                         fix="add --bmc find (with --engine z3), or drop --shorten")
    if args.portfolio is not None and args.bmc != "find":
        raise InputError("--portfolio is an option of --bmc find", where="command line",
                         fix="add --bmc find (with --engine z3), or drop --portfolio")
    infer = "always" if (args.infer or args.infer_out) else "off" if args.no_infer else "auto"
    # load and build everything first: bad input fails before any search runs
    models = [api.load(n, params=overrides, variant=args.variant, properties=args.property)
              for n in names]
    require_properties(models)
    if workers.count(args.jobs, len(models)) > 1 and args.engine == "explicit":
        return _check_in_parallel(args, names, overrides)
    runs = []
    limit = max_memory(args)
    interrupted = False
    for model in models:
        run = api.run(model, engine=args.engine, max_states=args.max_states,
                        timeout=args.timeout, workers=args.workers, depth=args.depth,
                        bmc_budget=args.bmc_budget, spacer=args.spacer,
                        bmc=args.bmc, shorten=args.shorten, portfolio=args.portfolio or 1,
                        proof_timeout=args.proof_timeout, samples=args.samples,
                        infer=infer, infer_timeout=args.infer_timeout,
                        progress=sys.stderr, quiet=args.quiet, max_memory=limit)
        if run.result.engine == "explicit":
            _outputs(run, args, len(models))
        if run.inference is not None and args.infer_out:
            _write_inferred(run.inference, args.infer_out, len(models))
        runs.append(run)
        if not args.json:
            print(run.text(witnesses=args.witnesses, diffs=not args.no_diffs,
                           coverage=args.coverage))
            sys.stdout.flush()
        if any(r is not None and r.stop_reason == "interrupted" for r in (run.result, run.z3)):
            interrupted = True
            break
    code = api.exit_code(runs, interrupted)
    if args.junit:
        from ..render.files import emit
        emit(api.junit_xml(runs), args.junit)
    if args.json:
        doc = {"tcpmodel": __version__, "exit_code": code, "checks": [r.to_json() for r in runs]}
        print(json.dumps(doc, indent=2))
    elif len(runs) > 1:
        print(_overall([r.result for r in runs], code))
    return code


def _outputs(run, args, nchecks) -> None:
    """The files an explicit-engine run writes: --graph and --out."""
    from .. import api
    if args.graph:
        _export_graph(run.model, run.result, args.graph, args.graph_limit, nchecks)
    if args.out:
        api.write_traces(run, args.out, args.witnesses)


def _write_inferred(inf, path: str, nchecks: int) -> None:
    from ..render.files import emit
    target = path
    if nchecks > 1:
        stem, dot, ext = path.rpartition(".")
        target = f"{stem}-{inf.check}.{ext}" if dot else f"{path}-{inf.check}"
    emit(inf.toml() or f"# tcpmodel: no strengthening could be inferred for {inf.check}\n", target)
    print(f"  inferred strengthening written to {target}", file=sys.stderr)


def _one_check(job) -> tuple | None:
    """A whole check in a worker process: (text, JSON dict, exit code, JUnit suite), or None
    when Ctrl-C came first. Models hold compiled closures, so each worker builds its own from
    the check's name and options."""
    from .. import api, workers

    name, overrides, args, limit = job
    model = api.load(name, params=overrides, variant=args.variant, properties=args.property)
    with workers.interruptible() as go:
        if not go:
            return None
        run = api.run(model, max_states=args.max_states, timeout=args.timeout,
                      workers=args.workers, max_memory=limit, progress=sys.stderr,
                      quiet=True)   # a heartbeat only: the processes' lines would interleave
    _outputs(run, args, 2)
    text = "" if args.json else run.text(witnesses=args.witnesses, diffs=not args.no_diffs,
                                         coverage=args.coverage)
    suite = None
    if args.junit:   # here: a run holds compiled closures and does not leave its process
        from ..junit import suite_xml
        suite = suite_xml(run)
    return text, run.to_json(), run.exit_code, suite


def _check_in_parallel(args, names, overrides) -> int:
    """The checks in worker processes, printed in order; Ctrl-C: tcpmodel.workers."""
    from .. import workers

    docs, codes, suites = [], [], []

    def each(result):
        text, doc, code, suite = result
        docs.append(doc)
        codes.append(code)
        suites.append(suite)
        if not args.json:
            print(text)
            sys.stdout.flush()
    jobs = workers.count(args.jobs, len(names))
    limit = max_memory(args, jobs)   # shared by the worker processes
    interrupted = workers.run_in_order(_one_check, [(n, overrides, args, limit) for n in names],
                                       jobs, each)
    code = (EXIT_VIOLATED if EXIT_VIOLATED in codes else EXIT_UNKNOWN
            if EXIT_UNKNOWN in codes or interrupted else EXIT_OK)
    if args.junit:
        from ..junit import junit_document
        from ..render.files import emit
        emit(junit_document(suites), args.junit)
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


def _overall(results, code) -> str:
    counts = {}
    for r in results:
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
