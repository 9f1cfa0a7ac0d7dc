"""tcpmodel mutate on the shipped checks: wall and CPU time, mutants per second, by status.

Runs the configurations interleaved (A, B, C, A, B, C, ...) and prints the median of each;
the machine is shared, so CPU time (this process and its workers) is the steadier figure.

    python3 benchmarks/bench_mutate.py                 # rfc9293, every shipped check, once each
    python3 benchmarks/bench_mutate.py --repeat 3 --variant rfc5961 --overlay
    python3 benchmarks/bench_mutate.py --only "--matrix, --jobs 2" --per-check   # score per check
    python3 benchmarks/bench_mutate.py --only "first kill, --jobs 2" \
        --overlays rfc793,rfc1337,rfc5961,linux    # also each overlay's own rules, once each
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tcpmodel.mutate import Options, run  # noqa: E402
from tcpmodel.mutate.summary import overall, per_check  # noqa: E402

CONFIGS = [("first kill, --jobs 2", dict(jobs=2)),
           ("first kill, --jobs 1", dict(jobs=1)),
           ("--matrix, --jobs 2", dict(jobs=2, matrix=True))]


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--variant", default=None)
    ap.add_argument("--overlay", action="store_true")
    ap.add_argument("--only", choices=[c for c, _ in CONFIGS], action="append")
    ap.add_argument("--per-check", action="store_true",
                    help="print each check's figures (its own score from the --matrix configuration)")
    ap.add_argument("--overlays", default="",
                    help="comma-separated variants whose own rules are also mutated, once each")
    args = ap.parse_args()
    configs = [(n, kw) for n, kw in CONFIGS if not args.only or n in args.only]
    times: dict = {n: [] for n, _ in configs}
    last: dict = {}
    for _ in range(args.repeat):
        for name, kw in configs:
            c0, w0 = cpu(), time.monotonic()
            res = run(None, Options(variant=args.variant, overlay=args.overlay, **kw), stream=None)
            times[name].append((time.monotonic() - w0, cpu() - c0))
            last[name] = res
    print(f"{'configuration':<22} {'wall s':>8} {'cpu s':>8} {'mutants':>8} {'per s':>7}  statuses")
    for name, _ in configs:
        wall = statistics.median(w for w, _ in times[name])
        used = statistics.median(c for _, c in times[name])
        res = last[name]
        t = overall(res)
        statuses = ", ".join(f"{t[s]} {s}" for s in ("killed", "survived", "unknown",
                                                      "unexercised", "equivalent", "refused"))
        print(f"{name:<22} {wall:8.1f} {used:8.1f} {len(res.mutants):8} "
              f"{len(res.mutants) / wall:7.1f}  {statuses}; score {t['score']} %")
    print(f"(median of {args.repeat}; {len(last[configs[0][0]].checks)} checks, variant "
          f"{last[configs[0][0]].variant})")
    # per check: each check's own score with --matrix; otherwise where each mutant was decided
    shown = next((n for n, kw in configs if kw.get("matrix")), configs[0][0])
    if args.per_check:
        print(f"\n{shown}")
        print(f"{'check':<22} {'states':>8} {'killed':>7} {'survived':>9} {'equivalent':>11}  score")
        for name, t in per_check(last[shown]).items():
            score = "-" if t["score"] is None else f"{t['score']:.1f} %"
            print(f"{name:<22} {t['states']:>8,} {t['killed']:>7} {t['survived']:>9} "
                  f"{t['equivalent']:>11}  {score}")
    if args.overlays:
        kw = dict(configs[0][1])
        print(f"\noverlay rules ({configs[0][0]}, once each)")
        print(f"{'variant':<10} {'wall s':>8} {'cpu s':>8} {'mutants':>8}  statuses")
        for v in args.overlays.split(","):
            c0, w0 = cpu(), time.monotonic()
            res = run(None, Options(variant=v, overlay=True, **kw), stream=None)
            wall, used = time.monotonic() - w0, cpu() - c0
            t = overall(res)
            statuses = ", ".join(f"{t[s]} {s}" for s in ("killed", "survived", "unknown",
                                                          "unexercised", "equivalent", "refused"))
            print(f"{v:<10} {wall:8.1f} {used:8.1f} {len(res.mutants):8}  {statuses}; "
                  f"score {t['score']} %")


if __name__ == "__main__":
    main()
