"""Command line: ``tcpmodel check``, ``tcpmodel list``.

Exit codes: 0 every property holds, 1 a property is violated, 2 bad input,
3 unknown (a limit was hit or the run was interrupted), 4 the engines disagree
(``--engine both``: a bug in one of them, never a verdict).
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import InputError

EXIT_OK, EXIT_VIOLATED, EXIT_INPUT, EXIT_UNKNOWN, EXIT_DISAGREE = 0, 1, 2, 3, 4
ENGINES = ("explicit", "z3", "both")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other input error
        raise InputError(message, where="command line", fix=f"see '{self.prog} --help'")


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
                   help="check only this property (repeatable)")
    c.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a model parameter, e.g. --set loss=2 (repeatable)")
    c.add_argument("--max-states", type=int, metavar="N", help="stop after N states (verdicts may be unknown)")
    c.add_argument("--timeout", type=float, metavar="SECONDS", help="stop after this many seconds per check")
    c.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    c.add_argument("--witnesses", action="store_true", help="also print the traces of 'sometimes' witnesses")
    c.add_argument("--coverage", action="store_true",
                   help="list the rules that never fired (like SPIN's 'unreached')")
    c.add_argument("--no-diffs", action="store_true", help="omit the per-step TCB changes in traces")
    c.add_argument("--graph", metavar="FILE",
                   help="export the reachable state graph (.graphml or .dot; small runs only)")
    c.add_argument("--graph-limit", type=int, default=5000, metavar="N",
                   help="refuse to export graphs with more than N states (default 5000)")
    c.add_argument("--quiet", "-q", action="store_true", help="no progress output on stderr")
    c.add_argument("--engine", choices=ENGINES, default="explicit",
                   help="explicit: BFS (the reference); z3: BMC plus k-induction/Spacer proofs; "
                        "both: run both and compare them (exit 4 on a disagreement)")
    c.add_argument("--depth", type=int, metavar="K",
                   help="BMC bound (default 20 for z3; 10 for both, which also confirms the "
                        "length of every trace the explicit engine found)")
    c.add_argument("--bmc-budget", type=float, metavar="SECONDS",
                   help="z3: stop depth-by-depth BMC after this long (default 120; the bound so "
                        "far is reported as 'holds up to depth d')")
    c.add_argument("--spacer", action="store_true",
                   help="z3: also try Spacer (CHC) when k-induction does not prove a property")
    c.add_argument("--proof-timeout", type=float, default=120.0, metavar="SECONDS",
                   help="z3: time for the proof attempts of one property (default 120)")
    c.add_argument("--samples", type=int, default=2, metavar="N",
                   help="both: confirm N random BFS states per depth reachable in exactly that "
                        "many Z3 steps (default 2; 0 to skip)")

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
        if args.cmd == "check":
            return cmd_check(args)
        if args.cmd == "list":
            return cmd_list(args)
        _parser().print_help()
        return EXIT_INPUT
    except InputError as e:
        print(f"tcpmodel: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as e:
        if type(e).__name__ != "EncodingError":  # z3 is imported only when the engine runs
            raise
        print(f"tcpmodel: internal error: the Z3 encoding disagrees with the explicit engine: {e}",
              file=sys.stderr)
        return EXIT_DISAGREE
    except BrokenPipeError:  # e.g. piped into head
        return EXIT_OK


def cmd_check(args) -> int:
    from .check import build, list_checks, load_check
    from .engines import explicit
    from .report import render_check

    names = args.checks or list_checks()
    overrides = _parse_sets(args.set)
    if args.max_states is not None and args.max_states < 1:
        raise InputError("--max-states must be at least 1", where="command line")
    if args.timeout is not None and args.timeout <= 0:
        raise InputError("--timeout must be positive", where="command line")
    if args.depth is not None and args.depth < 0:
        raise InputError("--depth must be 0 or more", where="command line")
    if args.engine != "explicit" and args.graph:
        raise InputError("--graph needs the explicit engine", where="command line",
                         fix="drop --graph or use --engine explicit")
    # load and build everything first: bad input fails before any search runs
    models = [build(load_check(n, overrides=overrides, variant=args.variant), args.property or None)
              for n in names]
    results = []
    interrupted = disagreed = False
    for model in models:
        progress = None
        if not args.quiet:
            progress = explicit.Progress(model.check.name, sys.stderr)
        res = zres = None
        if args.engine in ("explicit", "both"):
            res = explicit.check(model, max_states=args.max_states, timeout=args.timeout,
                                 progress=progress)
            if args.graph:
                _export_graph(model, res, args.graph, args.graph_limit, len(models))
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
