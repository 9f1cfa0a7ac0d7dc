"""``tcpmodel report``: run checks and write one self-contained HTML report."""

from __future__ import annotations

import sys

from .common import COUNT, SECONDS, add_memory_option, max_memory, parse_sets, require_properties


def add_parser(sub) -> None:
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
    add_memory_option(r)
    r.add_argument("--quiet", "-q", action="store_true",
                   help="no progress lines on stderr (only a heartbeat on long runs)")


def run(args) -> int:
    from .. import api
    from ..render.files import emit

    overrides = parse_sets(args.set)
    models = [api.load(n, params=overrides, variant=args.variant)
              for n in (args.checks or api.check_names())]
    require_properties(models)
    runs = []
    for model in models:
        runs.append(api.run(model, max_states=args.max_states, timeout=args.timeout,
                              progress=sys.stderr, quiet=args.quiet,
                              max_memory=max_memory(args)))
        if runs[-1].result.stop_reason == "interrupted":
            break
    interrupted = any(r.result.stop_reason == "interrupted" for r in runs)
    html = api.report_page(runs, witnesses=args.witnesses,
                      warn=lambda e: print(f"tcpmodel: warning: {e}", file=sys.stderr))
    emit(html.html, args.output)
    print(f"  report written to {args.output}", file=sys.stderr)
    return api.exit_code(runs, interrupted)
