"""Command line: ``tcpmodel check``, ``list``, ``diagram``, ``trace``, ``report``, ``diagrams``.

Exit codes: 0 every property holds, 1 a property is violated, 2 bad input,
3 unknown (a limit was hit or the run was interrupted), 4 the engines disagree
(``--engine both``: a bug in one of them, never a verdict).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import __version__
from .errors import InputError

EXIT_OK, EXIT_VIOLATED, EXIT_INPUT, EXIT_UNKNOWN, EXIT_DISAGREE = 0, 1, 2, 3, 4
EXIT_BROKEN_PIPE = 128 + 13  # what a process killed by SIGPIPE reports
ENGINES = ("explicit", "z3", "both")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other input error
        raise InputError(message, where="command line", fix=f"see '{self.prog} --help'")


def _number(convert, minimum: float, strict: bool = False):
    """An argparse type: a number of at least ``minimum`` (above it when ``strict``)."""
    word = "an integer" if convert is int else "a number"
    bound = f"above {minimum:g}" if strict else f"at least {minimum:g}"

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or value != value:  # value != value: nan
            raise argparse.ArgumentTypeError(f"{text!r} is not {word}") from None
        if not (value > minimum if strict else value >= minimum):
            raise argparse.ArgumentTypeError(f"{text} is too small: must be {bound}")
        return value
    return parse


COUNT, NONNEGATIVE, SECONDS = _number(int, 1), _number(int, 0), _number(float, 0, strict=True)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tcpmodel", description="Model checker for the TCP connection state machine.")
    p.add_argument("--version", action="version", version=f"tcpmodel {__version__}")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser)

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
                   help="check up to N checks at once in separate processes (output stays in "
                        "order; no progress lines)")
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
    c.add_argument("--quiet", "-q", action="store_true", help="no progress output on stderr")
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

    d = sub.add_parser("diagram", help="draw the endpoint state diagram, a variant diff, or the "
                                       "state pairs of a check",
                       description="Draw the endpoint state diagram of a variant from its rules "
                                   "(RFC 9293 Figure 5 layout). --diff draws two variants on one "
                                   "picture; --pairs the reachable (A, B) state pairs of a check; "
                                   "--coverage marks the transitions a check never fired.")
    d.add_argument("-o", "--output", metavar="FILE",
                   help="output file: .svg, .png, .dot or .mmd (default: DOT on stdout)")
    d.add_argument("--format", choices=["svg", "png", "dot", "mermaid"],
                   help="output format (default: from the file suffix)")
    d.add_argument("--variant", help="variant to draw (default rfc9293; with a check: the check's)")
    d.add_argument("--main", action="store_true",
                   help="only the RFC's main transitions (the [diagram] main list), like Figure 5")
    d.add_argument("--no-collapse", action="store_true",
                   help="one edge per rule instead of one per pair of states")
    d.add_argument("--no-loops", action="store_true",
                   help="leave out the rules that keep the state (listed inside the states)")
    g = d.add_mutually_exclusive_group()
    g.add_argument("--diff", metavar="OLD",
                   help="compare with variant OLD: added (only in --variant), removed, changed")
    g.add_argument("--pairs", metavar="CHECK", help="reachable (A state, B state) pairs of CHECK")
    g.add_argument("--coverage", metavar="CHECK",
                   help="mark the transitions CHECK never fires (dashed grey)")
    d.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter of the check (repeatable)")

    t = sub.add_parser("trace", help="render a saved trace (from check --json or --out)",
                       description="Render a trace saved by 'tcpmodel check --json' or "
                                   "'tcpmodel check --out' as a sequence chart, Mermaid or text.")
    t.add_argument("file", metavar="FILE.json", help="a trace, or a whole check --json document")
    t.add_argument("-o", "--output", metavar="FILE", help="output: .svg, .mmd, .txt (default: text on stdout)")
    t.add_argument("--format", choices=["svg", "mermaid", "text"], help="output format")
    t.add_argument("--check", metavar="NAME", help="in a check --json document: this check's trace")
    t.add_argument("--property", "-p", metavar="NAME", help="in a check --json document: this property's trace")
    t.add_argument("--title", help="title of the chart")

    r = sub.add_parser("report", help="run checks and write a self-contained HTML report",
                       description="Run checks (every shipped check by default) and write one "
                                   "HTML file: verdicts, figures, diagrams and counterexamples.")
    r.add_argument("checks", nargs="*", metavar="CHECK", help="check name or path")
    r.add_argument("-o", "--output", metavar="FILE", default="report.html",
                   help="HTML file to write (default report.html)")
    r.add_argument("--variant", help="rule variant to use instead of each check's")
    r.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a model parameter (repeatable)")
    r.add_argument("--max-states", type=COUNT, metavar="N", help="stop after N states")
    r.add_argument("--timeout", type=SECONDS, metavar="SECONDS", help="stop after this many seconds per check")
    r.add_argument("--witnesses", action="store_true", help="also chart the witnesses of 'sometimes' properties")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress output on stderr")

    rg = sub.add_parser("diagrams", help="regenerate the diagrams the README shows",
                        description="Regenerate diagrams/ (rendered with graphviz-pure, whose "
                                    "output is the same on every machine).")
    rg.add_argument("--dir", metavar="DIR", help="target directory (default: the repository's diagrams/)")
    rg.add_argument("--check", action="store_true", dest="verify",
                    help="only compare: exit 1 if a file is missing or differs")

    sn = sub.add_parser("scenario", help="search the model for a run matching a scenario file",
                        description="Search for an execution matching each scenario (an RFC "
                                    "figure, a hazard) on the variants it names, or on --variant. "
                                    "With no SCENARIO, runs the shipped catalogue.")
    sn.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenario name or path")
    sn.add_argument("--variant", help="search on this variant only")
    sn.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                    help="override a model parameter of the scenario")
    sn.add_argument("--json", action="store_true", help="print one JSON document")
    sn.add_argument("--out", metavar="DIR", help="write a chart (.svg, .mmd, .json, .txt) per run found")
    sn.add_argument("--diffs", action="store_true", help="show per-step TCB changes in traces")
    sn.add_argument("--max-states", type=COUNT, default=2_000_000, metavar="N",
                    help="give up (unknown) after N search states (default 2,000,000)")
    sn.add_argument("--timeout", type=SECONDS, metavar="SECONDS", help="give up after this long per run")
    sn.add_argument("--docs", metavar="DIR",
                    help="regenerate the catalogue pages (one per scenario, with charts) in DIR")

    ex = sub.add_parser("export", help="export a check to another tool's language",
                        description="Write a check's composed system (same rules, faults, bounds "
                                    "and safety properties) as a Promela model for SPIN: pan "
                                    "-DSAFETY -DNOREDUCE stores exactly as many states.")
    ex.add_argument("format", choices=["promela"], help="output language")
    ex.add_argument("check", metavar="CHECK", help="check name or path")
    ex.add_argument("--variant", help="rule variant to use instead of the check's")
    ex.add_argument("--property", "-p", action="append", default=[], metavar="NAME",
                    help="export only this property (repeatable)")
    ex.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                    help="override a model parameter (repeatable)")
    ex.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

    ls = sub.add_parser("list", help="list shipped checks, variants, properties and parameters")
    ls.add_argument("what", nargs="?", choices=["checks", "variants", "properties", "params"],
                    help="only this kind")
    return p


def _parse_sets(items: list[str]) -> dict:
    from .params import parse_cli_value
    out = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"--set expects KEY=VALUE, got '{item}'", where="command line",
                             fix="e.g. --set loss=2")
        k, v = item.split("=", 1)
        out[k.strip()] = parse_cli_value(v)
    return out


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        commands = {"check": cmd_check, "list": cmd_list, "diagram": cmd_diagram,
                    "trace": cmd_trace, "report": cmd_report, "diagrams": cmd_diagrams,
                    "scenario": cmd_scenario, "export": cmd_export}
        if args.cmd not in commands:
            _parser().print_help()
            return EXIT_INPUT
        code = commands[args.cmd](args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below
        return code
    except InputError as e:
        print(f"tcpmodel: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # e.g. piped into head: stop quietly, like other Unix tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush
        return EXIT_BROKEN_PIPE
    except Exception as e:
        if type(e).__name__ != "EncodingError":  # z3 is imported only when the engine runs
            raise
        print(f"tcpmodel: internal error: the Z3 encoding disagrees with the explicit engine: {e}",
              file=sys.stderr)
        return EXIT_DISAGREE


def _require_properties(models) -> None:
    """A check with nothing to check would print an empty table and exit 0: refuse it."""
    for m in models:
        if not m.properties:
            raise InputError("this check has no properties", file=m.check.path,
                             fix='list some, e.g. properties = ["no_deadlock"], add a '
                                 '[[property]] table, or pass --property NAME')


def cmd_check(args) -> int:
    from .check import build, list_checks, load_check
    from .engines import explicit
    from .report import render_check

    names = args.checks or list_checks()
    overrides = _parse_sets(args.set)
    if args.engine != "explicit" and args.graph:
        raise InputError("--graph needs the explicit engine", where="command line",
                         fix="drop --graph or use --engine explicit")
    # load and build everything first: bad input fails before any search runs
    models = [build(load_check(n, overrides=overrides, variant=args.variant), args.property or None)
              for n in names]
    _require_properties(models)
    if args.jobs > 1 and len(models) > 1 and args.engine == "explicit":
        return _check_in_parallel(args, names, overrides)
    results = []
    interrupted = disagreed = False
    for model in models:
        progress = None
        if not args.quiet:
            progress = explicit.Progress(model.check.name, sys.stderr)
        res = zres = None
        if args.engine in ("explicit", "both"):
            res = explicit.check(model, max_states=args.max_states, timeout=args.timeout,
                                 progress=progress, workers=args.workers)
            if args.graph:
                _export_graph(model, res, args.graph, args.graph_limit, len(models))
            if args.out:
                _write_traces(model, res, args.out, args.witnesses)
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


def _one_check(job) -> tuple:
    """A whole check in a worker process: (text, JSON dict, exit code). Models hold compiled
    closures, so each worker builds its own from the check's name and options."""
    from .check import build, load_check
    from .engines import explicit
    from .report import render_check

    name, overrides, args = job
    model = build(load_check(name, overrides=overrides, variant=args.variant),
                  args.property or None)
    res = explicit.check(model, max_states=args.max_states, timeout=args.timeout,
                         workers=args.workers)
    if args.graph:
        _export_graph(model, res, args.graph, args.graph_limit, 2)
    if args.out:
        _write_traces(model, res, args.out, args.witnesses)
    text = "" if args.json else render_check(model, res, witnesses=args.witnesses,
                                             diffs=not args.no_diffs, coverage=args.coverage)
    return text, res.to_json(), res.exit_code()


def _check_in_parallel(args, names, overrides) -> int:
    from concurrent.futures import ProcessPoolExecutor

    docs, codes = [], []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for text, doc, code in pool.map(_one_check, [(n, overrides, args) for n in names]):
            docs.append(doc)
            codes.append(code)
            if not args.json:
                print(text)
                sys.stdout.flush()
    code = (EXIT_VIOLATED if EXIT_VIOLATED in codes else EXIT_UNKNOWN if EXIT_UNKNOWN in codes
            else EXIT_OK)
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


def _exit_code(results, interrupted=False) -> int:
    codes = [r.exit_code() for _, r in results]
    return (EXIT_VIOLATED if EXIT_VIOLATED in codes else EXIT_UNKNOWN if EXIT_UNKNOWN in codes
            or interrupted else EXIT_OK)


def _traces_to_draw(res, witnesses: bool):
    """(property, title) of each trace a run shows: counterexamples, and witnesses if asked."""
    for p in res.properties:
        if p.trace is not None and (p.verdict == "violated" or witnesses):
            what = "counterexample" if p.verdict == "violated" else "witness"
            yield p, (f"{res.name} ({res.variant}): {p.name} {p.verdict}, "
                      f"shortest {what} ({p.depth} steps)")


def _write_traces(model, res, out_dir, witnesses) -> None:
    from pathlib import Path

    from .render.files import write_trace_files
    for p, title in _traces_to_draw(res, witnesses):
        paths = write_trace_files(p.trace, Path(out_dir), f"{model.check.name}-{p.name}", title)
        print(f"  chart written to {paths[0]} (and .mmd, .json, .txt)", file=sys.stderr)


def _run_z3(model, eres, args):
    """The z3 engine.  With --engine both it confirms the length of every trace the explicit
    engine found (two queries each) and BMC goes to --depth (default BOTH_DEPTH) for the rest."""
    from .engines import crosscheck, symbolic

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
    from .engines import crosscheck

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
    from .graph import write_graph
    target = path
    if nchecks > 1:
        stem, dot, ext = path.rpartition(".")
        target = f"{stem}-{model.check.name}.{ext}" if dot else f"{path}-{model.check.name}"
    write_graph(model, res._exploration, target, limit)
    print(f"  graph written to {target}", file=sys.stderr)


def _search(model, quiet: bool, max_states=None, timeout=None):
    from .engines import explicit
    progress = None if quiet else explicit.Progress(model.check.name, sys.stderr)
    return explicit.check(model, max_states=max_states, timeout=timeout, progress=progress)


def cmd_diagram(args) -> int:
    from .render.files import emit, format_of, graph_output
    from .spec import load_variant

    fmt = format_of(args.output, args.format, ("svg", "png", "dot", "mermaid"), "dot")
    check_name = args.pairs or args.coverage
    if args.set and not check_name:
        raise InputError("--set needs a check (--pairs CHECK or --coverage CHECK)",
                         where="command line")
    if fmt == "mermaid" and (check_name and args.pairs or args.diff):
        raise InputError("Mermaid output draws the endpoint state diagram only",
                         where="--format", fix="write .svg, .png or .dot")
    if check_name:
        from .check import build, load_check
        from .render.explored import counterexample_ends, project
        model = build(load_check(check_name, overrides=_parse_sets(args.set),
                                 variant=args.variant))
        res = _search(model, quiet=False)
        proj = project(model.system, res._exploration)
        spec = model.check.spec
        labels = spec.diagram.labels if spec.diagram else {}
        if not res.complete:
            print(f"  warning: the search stopped ({res.stop_reason}); the picture shows what "
                  "it reached", file=sys.stderr)
        if args.pairs:
            from .render.pairs import pairs_dot
            dot = pairs_dot(proj, name=model.check.name, labels=labels,
                            ends=counterexample_ends(res))
        elif fmt == "mermaid":
            raise InputError("Mermaid output cannot mark coverage", where="--format",
                             fix="write .svg, .png or .dot")
        else:
            from .render.fsm import fsm_dot
            dot = fsm_dot(spec, main_only=args.main, collapse=not args.no_collapse,
                          loops=not args.no_loops, fired=proj.fired, coverage_of=model.check.name)
    elif args.diff:
        from .render.diff import diff_dot
        dot = diff_dot(load_variant(args.diff), load_variant(args.variant or "rfc9293"),
                       loops=not args.no_loops)
    else:
        spec = load_variant(args.variant or "rfc9293")
        if fmt == "mermaid":
            from .render.mermaid import fsm_mermaid
            dot = fsm_mermaid(spec, main_only=args.main, loops=not args.no_loops)
        else:
            from .render.fsm import fsm_dot
            dot = fsm_dot(spec, main_only=args.main, collapse=not args.no_collapse,
                          loops=not args.no_loops)
    emit(dot if fmt == "mermaid" else graph_output(dot, fmt), args.output)
    if args.output and args.output != "-":
        print(f"  diagram written to {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_trace(args) -> int:
    from pathlib import Path

    from .render.files import emit, format_of
    from .trace import render_text, trace_from_json

    fmt = format_of(args.output, args.format, ("svg", "mermaid", "text"), "text")
    try:
        doc = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", file=args.file, fix="check the path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read: {e}", file=args.file) from None
    except json.JSONDecodeError as e:
        raise InputError(f"malformed JSON: {e.msg}", file=args.file, where=f"{e.lineno}:{e.colno}",
                         fix="give a file written by tcpmodel check --json or --out") from None
    found, title = _pick_trace(doc, args)
    trace = trace_from_json(found, file=args.file)
    title = args.title or title or Path(args.file).stem
    if fmt == "svg":
        from .render.seqchart import chart_svg
        out = chart_svg(trace, title)
    elif fmt == "mermaid":
        from .render.mermaid import trace_mermaid
        out = trace_mermaid(trace, title)
    else:
        out = f"{title}\n\n{render_text(trace, indent='')}\n"
    emit(out, args.output)
    return EXIT_OK


def _pick_trace(doc, args) -> tuple:
    """(trace document, title) from a trace, a property, a check or a check --json document."""
    if isinstance(doc, dict) and "steps" in doc:
        return doc, None
    cands = []   # (check, property, verdict, trace)
    checks = doc.get("checks") if isinstance(doc, dict) else None
    if checks is None and isinstance(doc, dict) and "properties" in doc:
        checks = [doc]
    for c in checks if isinstance(checks, list) else []:
        props = c.get("properties") if isinstance(c, dict) else None
        for name, p in (props.items() if isinstance(props, dict) else ()):
            if isinstance(p, dict) and "trace" in p:
                cands.append((str(c.get("name")), name, p.get("verdict"), p["trace"]))
    if isinstance(doc, dict) and "trace" in doc and not cands:
        cands.append((None, None, doc.get("verdict"), doc["trace"]))
    if not cands:
        raise InputError("no trace in this file", file=args.file,
                         fix="give a file written by 'tcpmodel check --json' or '--out'")
    if args.check:
        cands = [c for c in cands if c[0] == args.check]
    if args.property:
        cands = [c for c in cands if c[1] == args.property]
    if len(cands) > 1 and not args.property:
        violated = [c for c in cands if c[2] == "violated"]
        cands = violated or cands
    if len(cands) != 1:
        names = ", ".join(f"{c}/{p}" for c, p, _, _ in cands) or "none matches"
        raise InputError(f"the file holds {len(cands)} matching traces ({names})", file=args.file,
                         fix="pick one with --check NAME and --property NAME")
    c, p, verdict, trace = cands[0]
    return trace, (f"{c}: {p} {verdict}" if p else None)


def cmd_report(args) -> int:
    from .check import build, list_checks, load_check
    from .render.explored import counterexample_ends, project
    from .render.files import emit, graph_output
    from .render.fsm import fsm_dot
    from .render.html import report_html
    from .render.pairs import pairs_dot
    from .render.seqchart import chart_svg

    overrides = _parse_sets(args.set)
    models = [build(load_check(n, overrides=overrides, variant=args.variant))
              for n in (args.checks or list_checks())]
    _require_properties(models)
    runs, results = [], []
    for model in models:
        res = _search(model, args.quiet, args.max_states, args.timeout)
        results.append((model, res))
        spec = model.check.spec
        proj = project(model.system, res._exploration)
        run = {"model": model, "result": res,
               "charts": {p.name: chart_svg(p.trace, title)
                          for p, title in _traces_to_draw(res, args.witnesses)}}
        labels = spec.diagram.labels if spec.diagram else {}
        pictures = {"pairs_svg": pairs_dot(proj, name=model.check.name, labels=labels,
                                           ends=counterexample_ends(res)),
                    "fsm_svg": fsm_dot(spec, fired=proj.fired, coverage_of=model.check.name)}
        for key, dot in pictures.items():
            try:
                run[key] = graph_output(dot, "svg")
            except InputError as e:   # the report is still worth having without the layouts
                run[key] = str(e)
                print(f"tcpmodel: warning: {e}", file=sys.stderr)
        runs.append(run)
        if res.stop_reason == "interrupted":
            break
    code = _exit_code(results, any(r.stop_reason == "interrupted" for _, r in results))
    emit(report_html(runs, exit_code=code), args.output)
    print(f"  report written to {args.output}", file=sys.stderr)
    return code


def cmd_diagrams(args) -> int:
    from pathlib import Path

    from .render.regen import regenerate
    changed = regenerate(args.dir, verify=args.verify)
    for path in changed:
        word = "written" if not args.verify else "differs" if Path(path).exists() else "missing"
        print(f"  {word}: {path}", file=sys.stderr)
    if args.verify and changed:
        again = "tcpmodel diagrams" + (f" --dir {args.dir}" if args.dir else "")
        print(f"tcpmodel: {args.dir or 'diagrams/'} is out of date: run '{again}'", file=sys.stderr)
        return EXIT_VIOLATED
    return EXIT_OK


def cmd_scenario(args) -> int:
    """Exit 0 when every run is as its file expects (or found, where nothing is expected),
    1 otherwise, 3 when a search hit its limit."""
    from .scenario import list_scenarios, run, variants_of
    from .scenario_report import outcome_json, render_outcome

    if args.docs:
        from pathlib import Path

        from .render.scenario_docs import write
        write(Path(args.docs))
        print(f"scenario pages written to {args.docs}", file=sys.stderr)
        return EXIT_OK
    names = args.scenarios or list_scenarios()
    overrides = _parse_sets(args.set)
    jobs = [(n, v) for n in names for v in ([args.variant] if args.variant else variants_of(n))]
    outcomes = []
    for n, v in jobs:
        o = run(n, variant=v, overrides=overrides, max_states=args.max_states, timeout=args.timeout)
        outcomes.append(o)
        if args.out and o.trace is not None:
            from pathlib import Path

            from .render.files import write_trace_files
            Path(args.out).mkdir(parents=True, exist_ok=True)
            write_trace_files(o.trace, Path(args.out), f"{o.scenario.name}-{v}",
                              f"{o.scenario.title} ({v})")
        if not args.json:
            print(render_outcome(o, diffs=args.diffs))
            sys.stdout.flush()
    ok = [o.as_expected if o.expected is not None else o.found for o in outcomes]
    code = EXIT_UNKNOWN if any(o.found is None for o in outcomes) else \
        EXIT_OK if all(ok) else EXIT_VIOLATED
    if args.json:
        print(json.dumps({"tcpmodel": __version__, "exit_code": code,
                          "runs": [outcome_json(o) for o in outcomes]}, indent=2))
    else:
        good = sum(1 for x in ok if x)
        print(f"{len(outcomes)} scenario runs: {good} as expected, {len(outcomes) - good} not "
              f"(exit {code})")
    return code


def cmd_export(args) -> int:
    from .check import build, load_check
    from .export.promela import export_promela

    model = build(load_check(args.check, overrides=_parse_sets(args.set), variant=args.variant),
                  args.property or None)
    text = export_promela(model)
    if args.output:
        from .render.files import emit
        emit(text, args.output)
        print(f"  wrote {args.output}: spin -a {args.output} && gcc -O2 -DSAFETY -DNOREDUCE "
              "-o pan pan.c && ./pan -c0 -m20000000", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_list(args) -> int:
    from .check import list_checks, load_check, load_library
    from .params import describe
    from .spec import list_variants, load_variant

    what = args.what
    if what in (None, "checks"):
        print("checks:")
        for n in list_checks():
            c = load_check(n)
            print(f"  {n:<12} {' '.join(c.description.split())}")
    if what in (None, "variants"):
        print("variants:")
        for v in list_variants():
            print(f"  {v:<12} {load_variant(v).description}")
    if what in (None, "properties"):
        print("properties (specs/properties.toml):")
        _, props, _ = load_library()
        for n, p in props.items():
            print(f"  {n:<22} {' '.join(p.formula.split())}")
    if what in (None, "params"):
        print("parameters (--set KEY=VALUE or [params] in a check file):")
        for name, default, doc in describe():
            print(f"  {name:<14} default {default:<9} {doc}")
    return EXIT_OK


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
