"""Command line: ``tcpmodel check``, ``tcpmodel export promela``, ``tcpmodel list``.

Exit codes: 0 every property holds, 1 a property is violated, 2 bad input,
3 unknown (a limit was hit or the run was interrupted).
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import InputError

EXIT_OK, EXIT_VIOLATED, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3


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
                   help="check only this property: one of the check's or any from the library "
                        "(repeatable)")
    c.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a model parameter, e.g. --set loss=2 (repeatable)")
    c.add_argument("--max-states", type=int, metavar="N", help="stop after N states (verdicts may be unknown)")
    c.add_argument("--timeout", type=float, metavar="SECONDS", help="stop after this many seconds per check")
    c.add_argument("--workers", type=int, default=1, metavar="N",
                   help="N >= 2: expand the next chunk of states in a second thread while the "
                        "current one is stored (same results; see docs/performance.md)")
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
        if args.cmd == "check":
            return cmd_check(args)
        if args.cmd == "list":
            return cmd_list(args)
        if args.cmd == "export":
            return cmd_export(args)
        _parser().print_help()
        return EXIT_INPUT
    except InputError as e:
        print(f"tcpmodel: error: {e}", file=sys.stderr)
        return EXIT_INPUT
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
    if args.workers < 1:
        raise InputError("--workers must be at least 1", where="command line")
    # load and build everything first: bad input fails before any search runs
    models = [build(load_check(n, overrides=overrides, variant=args.variant), args.property or None)
              for n in names]
    results = []
    interrupted = False
    for model in models:
        progress = None
        if not args.quiet:
            progress = explicit.Progress(model.check.name, sys.stderr)
        res = explicit.check(model, max_states=args.max_states, timeout=args.timeout,
                             progress=progress, workers=args.workers)
        results.append((model, res))
        if args.graph:
            _export_graph(model, res, args.graph, args.graph_limit, len(models))
        if not args.json:
            print(render_check(model, res, witnesses=args.witnesses, diffs=not args.no_diffs,
                               coverage=args.coverage))
            sys.stdout.flush()
        if res.stop_reason == "interrupted":
            interrupted = True
            break
    codes = [r.exit_code() for _, r in results]
    code = (EXIT_VIOLATED if EXIT_VIOLATED in codes else EXIT_UNKNOWN if EXIT_UNKNOWN in codes
            or interrupted else EXIT_OK)
    if args.json:
        doc = {"tcpmodel": __version__, "exit_code": code,
               "checks": [r.to_json() for _, r in results]}
        print(json.dumps(doc, indent=2))
    elif len(results) > 1:
        print(_overall(results, code))
    return code


def _overall(results, code) -> str:
    counts = {}
    for _, r in results:
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


def cmd_export(args) -> int:
    from .check import build, load_check
    from .export.promela import export_promela

    model = build(load_check(args.check, overrides=_parse_sets(args.set), variant=args.variant),
                  args.property or None)
    text = export_promela(model)
    if args.output:
        try:
            with open(args.output, "w") as f:
                f.write(text)
        except OSError as e:
            raise InputError(f"cannot write {args.output}: {e.strerror}", where="-o",
                             fix="give a writable path") from None
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
