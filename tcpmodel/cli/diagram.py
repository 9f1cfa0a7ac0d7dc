"""``tcpmodel diagram``: the endpoint state diagram, a variant diff, state pairs or coverage."""

from __future__ import annotations

import sys

from ..errors import InputError
from .common import EXIT_OK, parse_sets, projection, search


def add_parser(sub) -> None:
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


def run(args) -> int:
    from ..render.files import emit, format_of, graph_output
    from ..spec import load_variant

    fmt = format_of(args.output, args.format, ("svg", "png", "dot", "mermaid"), "dot")
    check_name = args.pairs or args.coverage
    if args.set and not check_name:
        raise InputError("--set needs a check (--pairs CHECK or --coverage CHECK)",
                         where="command line")
    if fmt == "mermaid" and (check_name and args.pairs or args.diff):
        raise InputError("Mermaid output draws the endpoint state diagram only",
                         where="--format", fix="write .svg, .png or .dot")
    if check_name:
        from ..check import build, load_check
        from ..render.explored import counterexample_ends
        model = build(load_check(check_name, overrides=parse_sets(args.set),
                                 variant=args.variant))
        res = search(model, args)
        proj = projection(model, res, args)
        spec = model.check.spec
        labels = spec.diagram.labels if spec.diagram else {}
        if not res.complete:
            print(f"  warning: the search stopped ({res.stop_reason}); the picture shows what "
                  "it reached", file=sys.stderr)
        if args.pairs:
            from ..render.pairs import pairs_dot
            dot = pairs_dot(proj, name=model.check.name, labels=labels,
                            ends=counterexample_ends(res))
        elif fmt == "mermaid":
            raise InputError("Mermaid output cannot mark coverage", where="--format",
                             fix="write .svg, .png or .dot")
        else:
            from ..render.fsm import fsm_dot
            dot = fsm_dot(spec, main_only=args.main, collapse=not args.no_collapse,
                          loops=not args.no_loops, fired=proj.fired, coverage_of=model.check.name)
    elif args.diff:
        from ..render.diff import diff_dot
        dot = diff_dot(load_variant(args.diff), load_variant(args.variant or "rfc9293"),
                       loops=not args.no_loops)
    else:
        spec = load_variant(args.variant or "rfc9293")
        if fmt == "mermaid":
            from ..render.mermaid import fsm_mermaid
            dot = fsm_mermaid(spec, main_only=args.main, loops=not args.no_loops)
        else:
            from ..render.fsm import fsm_dot
            dot = fsm_dot(spec, main_only=args.main, collapse=not args.no_collapse,
                          loops=not args.no_loops)
    emit(dot if fmt == "mermaid" else graph_output(dot, fmt), args.output)
    if args.output and args.output != "-":
        print(f"  diagram written to {args.output}", file=sys.stderr)
    return EXIT_OK
