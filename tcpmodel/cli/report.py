"""``tcpmodel report``: run checks and write one self-contained HTML report."""

from __future__ import annotations

import sys

from ..errors import InputError
from .common import (
    COUNT,
    SECONDS,
    add_memory_option,
    exit_code,
    parse_sets,
    projection,
    require_properties,
    search,
    traces_to_draw,
)


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
    from ..check import build, list_checks, load_check
    from ..render.explored import counterexample_ends
    from ..render.files import emit, graph_output
    from ..render.fsm import fsm_dot
    from ..render.html import report_html
    from ..render.pairs import pairs_dot
    from ..render.seqchart import chart_svg

    overrides = parse_sets(args.set)
    models = [build(load_check(n, overrides=overrides, variant=args.variant))
              for n in (args.checks or list_checks())]
    require_properties(models)
    runs, results = [], []
    for model in models:
        res = search(model, args)
        results.append((model, res))
        spec = model.check.spec
        proj = projection(model, res, args)
        run = {"model": model, "result": res,
               "charts": {p.name: chart_svg(p.trace, title)
                          for p, title in traces_to_draw(res, args.witnesses)}}
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
    code = exit_code(results, any(r.stop_reason == "interrupted" for _, r in results))
    emit(report_html(runs, exit_code=code), args.output)
    print(f"  report written to {args.output}", file=sys.stderr)
    return code
