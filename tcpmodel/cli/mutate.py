"""``tcpmodel mutate``: mutate a variant's rules and report which mutants the checks' properties
notice (killed), miss (survived), or cannot tell apart (equivalent)."""

from __future__ import annotations

import json
import os
import sys

from .. import __version__
from .common import COUNT, EXIT_OK, EXIT_VIOLATED, SECONDS, parse_sets


def _kinds(text: str) -> tuple:
    from ..mutate.operators import check_kinds
    return check_kinds(k.strip() for k in text.split(",") if k.strip())


def _percent(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = None
    if v is None or not 0 <= v <= 100:
        import argparse
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage between 0 and 100")
    return v


def add_parser(sub) -> None:
    p = sub.add_parser("mutate", help="mutate the rules and measure what the checks' properties notice",
                       description="Generate one-rule mutants of a variant (delete a rule, change its "
                                   "next state, negate or drop its guard, drop one of its effects) and "
                                   "run the checks on each: killed (a verdict changed), survived, "
                                   "equivalent (same reachable graph), refused (completeness check). "
                                   "With no CHECK, every shipped check runs on --variant (default "
                                   "rfc9293).")
    p.add_argument("checks", nargs="*", metavar="CHECK", help="check name or path (default: every shipped check)")
    p.add_argument("--variant", help="the variant to mutate, run by every check (default: the checks' "
                                     "own variant, or rfc9293 with no CHECK)")
    p.add_argument("--kinds", type=_kinds, default=None, metavar="K,K",
                   help="mutant kinds: delete, retarget, guard, effect (default: all)")
    p.add_argument("--rule", action="append", default=[], metavar="ID",
                   help="mutate only this rule (repeatable; see 'tcpmodel list rules')")
    p.add_argument("--overlay", action="store_true",
                   help="mutate only the rules the variant's own file adds or replaces")
    p.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a model parameter in every check (repeatable)")
    p.add_argument("--property", "-p", action="append", default=[], metavar="NAME",
                   help="judge mutants by this property only (repeatable)")
    p.add_argument("--jobs", "-j", type=COUNT, default=os.cpu_count() or 1, metavar="N",
                   help="worker processes (default: one per core)")
    p.add_argument("--max-states", type=COUNT, metavar="N",
                   help="states one mutant run may explore (default: 4 x the check's, at least "
                        "20,000); a run that stops is 'unknown'")
    p.add_argument("--timeout", type=SECONDS, default=60.0, metavar="SECONDS",
                   help="seconds one mutant run may take (default 60)")
    p.add_argument("--matrix", action="store_true",
                   help="run every mutant on every check that reaches its rule, even once one "
                        "check killed it (slower; complete per-check scores). By default a "
                        "mutant stops at its first kill, cheapest checks first")
    p.add_argument("--all-rules", action="store_true", help="list every rule's score, not only "
                                                             "those below 100 %%")
    p.add_argument("--fail-under", type=_percent, metavar="PERCENT",
                   help="exit 1 if the mutation score is below PERCENT")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")


def run(args) -> int:
    from ..api import mutation

    res = mutation(args.checks or None, variant=args.variant, params=parse_sets(args.set),
                 properties=args.property or None, kinds=args.kinds, rules=args.rule or None,
                 overlay=args.overlay, jobs=args.jobs, matrix=args.matrix,
                 max_states=args.max_states, timeout=args.timeout,
                 progress=None if args.quiet else sys.stderr)
    code = EXIT_OK
    if args.fail_under is not None and (res.score is None or res.score < args.fail_under):
        code = EXIT_VIOLATED
    if args.json:
        print(json.dumps({"tcpmodel": __version__, "exit_code": code} | res.to_json(), indent=2))
    else:
        print(res.text(all_rules=args.all_rules), end="")
    return code
