"""How long `tcpmodel conform` takes: generating the rule-coverage suite of each variant, and
running it against the kernel with several tests at a time (needs root: namespaces and TUN).

    sudo python3 benchmarks/bench_conform.py [--variant linux] [--jobs 2,4,8] [--rounds 1]

Prints per variant the generation time and the number of tests, then per --jobs value the wall
time of the run, tests per second and the divergences found (rounds interleaved: A, B, A, B).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tcpmodel import conform  # noqa: E402
from tcpmodel.conform.generate import rule_cases  # noqa: E402
from tcpmodel.conform.suite import run_cases  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="linux")
    ap.add_argument("--jobs", default="2,4,8")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    why = conform.available()
    if why:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    print(f"{'variant':<10} {'generate s':>10} {'tests':>6} {'skipped':>8}")
    cases = None
    for v in ("rfc9293", "rfc5961", "rfc1337", "linux"):
        t0 = time.monotonic()
        cs = rule_cases(v)
        dt = time.monotonic() - t0
        if v == args.variant:
            cases = cs
        print(f"{v:<10} {dt:>10.2f} {len(cs):>6} {sum(1 for c in cs if c.skip or c.slow):>8}")
    if cases is None:
        cases = rule_cases(args.variant)
    jobs = [int(j) for j in args.jobs.split(",")]
    times: dict = {j: [] for j in jobs}
    found: dict = {}
    for _ in range(args.rounds):
        for j in jobs:
            t0 = time.monotonic()
            suite = run_cases(cases, args.variant, jobs=j)
            times[j].append(time.monotonic() - t0)
            found[j] = (suite.count("pass"), suite.count("diverge"), suite.count("incomplete"))
    ran = sum(1 for c in cases if not c.skip and not c.slow)
    print(f"\nrule-coverage suite of {args.variant}: {ran} tests against the kernel")
    print(f"{'jobs':>4} {'median s':>9} {'tests/s':>8} {'pass':>5} {'diverge':>8} {'incomplete':>11}")
    for j in jobs:
        med = statistics.median(times[j])
        p, d, i = found[j]
        print(f"{j:>4} {med:>9.1f} {ran / med:>8.1f} {p:>5} {d:>8} {i:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
