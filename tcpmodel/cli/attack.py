"""``tcpmodel attack``: the distinct minimal attacks per property, and where each transfers."""

from __future__ import annotations

import json
import sys

from .. import __version__
from .common import COUNT, EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, SECONDS, parse_sets

DEFAULT_VARIANTS = ("rfc9293", "rfc5961", "rfc1337", "linux")


def add_parser(sub) -> None:
    ap = sub.add_parser("attack", help="synthesise the distinct attacks that violate each property",
                        description="Search a check with an attacker ([attacker] table, or "
                                    "--set attacker=PRESET) for the distinct minimal attacks that "
                                    "violate each of its properties (distinct by what the attacker "
                                    "does, shortest first), write each as a replayable scenario, "
                                    "and test every attack against the other properties and "
                                    "variants (the transfer matrix).")
    ap.add_argument("check", metavar="CHECK", help="check name or path")
    ap.add_argument("--property", "-p", action="append", metavar="NAME",
                    help="attack only this property (repeatable; default: every always, "
                         "liveness and LTL property of the check)")
    ap.add_argument("--max", type=COUNT, default=10, metavar="N",
                    help="at most N attacks per property (default 10)")
    ap.add_argument("--actions", type=COUNT, default=None, metavar="K",
                    help="attacks of at most K attacker actions (default: the check's budget, "
                         "or 2 when it is unbounded)")
    ap.add_argument("--out", metavar="DIR", help="write each attack as a scenario (.toml) with "
                    "its chart (.svg, .mmd, .json, .txt), and attacks.json, matrix.txt and "
                    "report.html")
    ap.add_argument("--variant", help="synthesise on this variant (default: the check's)")
    ap.add_argument("--transfer", metavar="V1,V2", default=",".join(DEFAULT_VARIANTS),
                    help="variants of the transfer matrix (default: rfc9293,rfc5961,rfc1337,linux;"
                         " those that do not exist are skipped; '' for none)")
    ap.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                    help="override a parameter, or an [attacker] key as attacker.KEY=VALUE")
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("--max-states", type=COUNT, default=2_000_000, metavar="N",
                    help="give up after N states of the attacker's graph (default 2,000,000)")
    ap.add_argument("--timeout", type=SECONDS, metavar="SECONDS",
                    help="give up a search after this long")


def run(args) -> int:
    """Exit 1 when some property has an attack, 0 when none has one (every search complete),
    3 when a search stopped at a limit without finding one."""
    from ..attacks import run_attack
    from ..render.attack_report import render_text

    report = run_attack(args.check, properties=args.property, max_attacks=args.max,
                        max_actions=args.actions, variant=args.variant,
                        overrides=parse_sets(args.set),
                        transfer_variants=[v for v in args.transfer.split(",") if v.strip()],
                        max_states=args.max_states, timeout=args.timeout)
    if args.out:
        from pathlib import Path

        from ..render.attack_report import write_outputs
        write_outputs(report, Path(args.out))
    found = any(s.attacks for s in report.syntheses)
    incomplete = not report.graph_complete or any(not s.complete for s in report.syntheses)
    code = EXIT_VIOLATED if found else EXIT_UNKNOWN if incomplete else EXIT_OK
    if args.json:
        doc = report.to_json()
        doc.update({"tcpmodel": __version__, "exit_code": code})
        print(json.dumps(doc, indent=2))
    else:
        print(render_text(report))
        if args.out:
            print(f"   files written to {args.out}", file=sys.stderr)
    return code
