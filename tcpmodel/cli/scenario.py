"""``tcpmodel scenario``: search the model for runs matching scenario files."""

from __future__ import annotations

import json
import sys

from .. import __version__
from .common import COUNT, EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, SECONDS, parse_sets


def add_parser(sub) -> None:
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


def run(args) -> int:
    """Exit 0 when every run is as its file expects (or found, where nothing is expected),
    1 otherwise, 3 when a search hit its limit."""
    from .. import api
    from ..scenario import variants_of
    from ..scenario_report import outcome_json, render_outcome

    if args.docs:
        from pathlib import Path

        from ..render.scenario_docs import write
        write(Path(args.docs))
        print(f"scenario pages written to {args.docs}", file=sys.stderr)
        return EXIT_OK
    names = args.scenarios or api.scenario_names()
    overrides = parse_sets(args.set)
    jobs = [(n, v) for n in names for v in ([args.variant] if args.variant else variants_of(n))]
    outcomes = []
    interrupted = False
    for n, v in jobs:
        try:
            o = api.run_scenario(n, variant=v, params=overrides, max_states=args.max_states,
                                 timeout=args.timeout)[0].outcome
        except KeyboardInterrupt:   # Ctrl-C: the runs so far, then the summary (exit 3)
            interrupted = True
            break
        outcomes.append(o)
        if args.out and o.trace is not None:
            from pathlib import Path

            from ..render.files import write_trace_files
            Path(args.out).mkdir(parents=True, exist_ok=True)
            write_trace_files(o.trace, Path(args.out), f"{o.scenario.name}-{v}",
                              f"{o.scenario.title} ({v})")
        if not args.json:
            print(render_outcome(o, diffs=args.diffs))
            sys.stdout.flush()
    ok = [o.as_expected if o.expected is not None else o.found for o in outcomes]
    code = EXIT_UNKNOWN if interrupted or any(o.found is None for o in outcomes) else \
        EXIT_OK if all(ok) else EXIT_VIOLATED
    if args.json:
        print(json.dumps({"tcpmodel": __version__, "exit_code": code,
                          "runs": [outcome_json(o) for o in outcomes]}, indent=2))
    else:
        good = sum(1 for x in ok if x)
        print(f"{len(outcomes)} scenario runs: {good} as expected, {len(outcomes) - good} not"
              + (f", {len(jobs) - len(outcomes)} not run (interrupted)" if interrupted else "")
              + f" (exit {code})")
    return code
