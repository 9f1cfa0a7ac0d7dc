"""``tcpmodel export``: a check's composed system in another tool's language (Promela)."""

from __future__ import annotations

import sys

from .common import EXIT_OK, parse_sets


def add_parser(sub) -> None:
    ex = sub.add_parser("export", help="export a check to another tool's language",
                        description="Write a check's composed system (same rules, faults, bounds "
                                    "and safety properties) as a Promela model for SPIN: pan "
                                    "-DSAFETY -DNOREDUCE -DNOCLAIM stores exactly as many states.")
    ex.add_argument("format", choices=["promela"], help="output language")
    ex.add_argument("check", metavar="CHECK", help="check name or path")
    ex.add_argument("--variant", help="rule variant to use instead of the check's")
    ex.add_argument("--property", "-p", action="append", default=[], metavar="NAME",
                    help="export only this property (repeatable)")
    ex.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                    help="override a model parameter (repeatable)")
    ex.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def run(args) -> int:
    from ..check import build, load_check
    from ..export.promela import export_promela

    model = build(load_check(args.check, overrides=parse_sets(args.set), variant=args.variant),
                  args.property or None)
    text = export_promela(model)
    if args.output:
        from ..render.files import emit
        emit(text, args.output)
        print(f"  wrote {args.output}: spin -a {args.output} && gcc -O2 -DSAFETY -DNOREDUCE "
              "-DNOCLAIM -o pan pan.c && ./pan -c0 -m20000000", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK
