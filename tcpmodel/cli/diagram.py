"""``tcpmodel diagram``: the endpoint state diagram, a variant diff, state pairs or coverage."""

from __future__ import annotations

import sys

from ..errors import InputError
from .common import EXIT_OK, parse_sets


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
    from .. import api
    from ..render.files import emit, format_of

    fmt = format_of(args.output, args.format, ("svg", "png", "dot", "mermaid"), "dot")
    check_name = args.pairs or args.coverage
    if args.set and not check_name:
        raise InputError("--set needs a check (--pairs CHECK or --coverage CHECK)",
                         where="command line")
    if fmt == "mermaid" and (check_name and args.pairs or args.diff):
        raise InputError("Mermaid output draws the endpoint state diagram only",
                         where="--format", fix="write .svg, .png or .dot")
    if check_name:
        run = api.run(check_name, params=parse_sets(args.set), variant=args.variant,
                        progress=sys.stderr)
        if not run.result.complete:
            print(f"  warning: the search stopped ({run.result.stop_reason}); the picture shows "
                  "what it reached", file=sys.stderr)
        if args.pairs:
            pic = api.pairs(run)
        elif fmt == "mermaid":
            raise InputError("Mermaid output cannot mark coverage", where="--format",
                             fix="write .svg, .png or .dot")
        else:
            pic = api.fsm(main=args.main, collapse=not args.no_collapse, loops=not args.no_loops,
                          coverage=run)
    elif args.diff:
        pic = api.diff(args.diff, args.variant or "rfc9293", loops=not args.no_loops)
    else:
        pic = api.fsm(args.variant or "rfc9293", main=args.main, collapse=not args.no_collapse,
                      loops=not args.no_loops)
    emit(pic.render(fmt), args.output)
    if args.output and args.output != "-":
        print(f"  diagram written to {args.output}", file=sys.stderr)
    return EXIT_OK
