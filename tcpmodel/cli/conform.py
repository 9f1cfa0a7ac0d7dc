"""``tcpmodel conform``: run tests generated from the model against the local Linux TCP stack,
each in a private network namespace (needs root, or CAP_NET_ADMIN)."""

from __future__ import annotations

import json
import sys
import time

from .. import __version__
from ..errors import InputError
from .common import COUNT, EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, NONNEGATIVE, parse_sets


def add_parser(sub) -> None:
    p = sub.add_parser(
        "conform", help="run model-generated tests against the kernel's TCP (needs root)",
        description="Generate tests from a variant's rules (the rule-coverage suite, scenario "
                    "runs, random walks), run each against the local kernel in its own network "
                    "namespace, and say per test whether the kernel did what the variant "
                    "predicts. With none of --rules, --scenario, --walks: --rules and every "
                    "shipped scenario.")
    p.add_argument("--variant", default="rfc9293", help="generate and judge with this variant "
                   "(default rfc9293)")
    p.add_argument("--rules", action="store_true",
                   help="the rule-coverage suite: the shortest run firing each rule in each of "
                        "its (state, event) pairs")
    p.add_argument("--scenario", nargs="*", metavar="FILE",
                   help="scenario runs (names or paths; none given: the shipped catalogue)")
    p.add_argument("--walks", type=NONNEGATIVE, default=0, metavar="N",
                   help="N seeded random walks of the model")
    p.add_argument("--seed", type=NONNEGATIVE, default=0, metavar="S",
                   help="seed of the random walks (default 0)")
    p.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a model parameter of the generated tests (e.g. tcp_rfc1337=true, "
                        "which also sets the sysctl)")
    p.add_argument("--compare", metavar="V,V", default=",".join(_compared()),
                   help="variants in the summary table (default: rfc9293,rfc5961,rfc1337,linux)")
    p.add_argument("--slow", action="store_true",
                   help="also run tests that wait for long timers (2 MSL: 60 s each)")
    p.add_argument("--jobs", type=COUNT, default=4, metavar="N",
                   help="tests running at once (they mostly wait for the kernel; default 4)")
    p.add_argument("--out", metavar="DIR", help="write a chart, both runs and JSON per divergence")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--diffs", action="store_true", help="show per-step TCB changes in model runs")


ORIGINS = {"rules": "rule coverage", "scenario": "scenarios", "walk": "random walks"}


def _compared() -> tuple:
    from ..conform import COMPARED
    return COMPARED


def run(args) -> int:
    """Exit 0 when every test that ran conforms to --variant, 1 on a divergence, 3 when a
    test could not complete, 2 for bad input or missing privileges."""
    from ..conform import generate, report, runner
    from ..conform.suite import run_cases
    from ..params import coerce
    from ..scenario import list_scenarios, resolve_scenario
    from ..spec import load_variant

    overrides = parse_sets(args.set)
    for k, v in overrides.items():
        coerce(k, v, where=f"--set {k}")

    from ..conform.cases import variant_ref
    try:
        args.variant = variant_ref(load_variant(args.variant))
    except InputError as e:
        raise e.located(where="--variant") from None
    compared = tuple(v.strip() for v in args.compare.split(",") if v.strip())
    for v in compared:
        try:
            load_variant(v)
        except InputError as e:
            raise e.located(where="--compare") from None
    want_rules = args.rules or (args.scenario is None and not args.walks)
    scenarios = args.scenario
    if scenarios is None and not args.rules and not args.walks:
        scenarios = []
    if scenarios is not None:
        scenarios = scenarios or list_scenarios()
        for s in scenarios:
            resolve_scenario(s)
    why = runner.probe()
    if why:
        what, fix = why
        raise InputError(f"conform {what}; nothing was run", fix=fix or None)
    t0 = time.monotonic()
    say = (lambda msg: None) if args.json else (lambda msg: print(msg, file=sys.stderr))
    cases = []
    if want_rules:
        say(f"generating the rule-coverage suite of {args.variant} ...")
        cases += generate.rule_cases(args.variant, overrides=overrides)
    if scenarios:
        say(f"searching {len(scenarios)} scenario(s) on {args.variant} ...")
        cases += generate.scenario_cases(scenarios, args.variant, overrides=overrides)
    if args.walks:
        cases += generate.walk_cases(args.variant, args.walks, args.seed, overrides=overrides)
    gen_s = time.monotonic() - t0
    runnable = sum(1 for c in cases if not c.skip and (args.slow or not c.slow))
    say(f"{len(cases)} tests generated in {gen_s:.1f} s; running {runnable} against the kernel "
        f"({args.jobs} at a time, each in its own network namespace) ...")
    ticker = _Ticker(runnable, None if args.json else sys.stderr)
    suite = run_cases(cases, args.variant, compared=compared, jobs=args.jobs, slow=args.slow,
                      progress=ticker)
    suite.seconds = round(time.monotonic() - t0, 1)
    code = _exit_code(suite)
    if args.out:
        from pathlib import Path
        for r in suite.results:
            if r.status == "diverge":
                report.write_files(r, Path(args.out), suite.kernel)
    if args.json:
        print(json.dumps(report.suite_json(suite, code), indent=2))
        return code
    _print(suite, args, code, report)
    return code


class _Ticker:
    """A progress line on stderr every few seconds while tests run."""

    def __init__(self, total: int, stream):
        self.total, self.stream = total, stream
        self.done = self.diverged = 0
        self.start = self.last = time.monotonic()

    def __call__(self, result) -> None:
        if result.observed is None:
            return
        self.done += 1
        self.diverged += result.status == "diverge"
        now = time.monotonic()
        if self.stream is not None and (now - self.last > 2.0 or self.done == self.total):
            self.last = now
            self.stream.write(f"  [conform] {self.done}/{self.total} tests run, {self.diverged} "
                              f"diverge, {now - self.start:.0f} s\n")
            self.stream.flush()


def _exit_code(suite) -> int:
    statuses = {r.status for r in suite.results}
    if "diverge" in statuses:
        return EXIT_VIOLATED
    if "incomplete" in statuses:
        return EXIT_UNKNOWN
    return EXIT_OK


def _print(suite, args, code: int, report) -> None:
    print(f"tcpmodel {__version__} conform: variant {suite.variant} against Linux "
          f"{suite.kernel or '(nothing ran)'}")
    settings = report.render_settings(suite)
    if settings:
        print(settings)
    width = max((len(r.case.name) for r in suite.results), default=20) + 2
    origin = None
    for r in suite.results:
        if r.case.origin != origin:
            origin = r.case.origin
            print(f"\n{ORIGINS.get(origin, origin)}:")
        print(report.render_case_line(r, width))
    for r in suite.results:
        if r.status == "diverge":
            print()
            print(report.render_divergence(r, suite.kernel, diffs=args.diffs))
    print("\nwho predicts the kernel (the same tests, judged by each variant):")
    print(report.render_table(suite))
    n = {s: suite.count(s) for s in ("pass", "diverge", "skipped", "incomplete")}
    print(f"\n{len(suite.results)} tests on {suite.variant}: {n['pass']} pass, {n['diverge']} "
          f"diverge, {n['skipped']} skipped, {n['incomplete']} incomplete ({suite.seconds} s, "
          f"exit {code})")
    if args.out:
        print(f"charts of the divergences written to {args.out}", file=sys.stderr)
