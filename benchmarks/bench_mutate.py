"""tcpmodel mutate on the shipped checks: wall and CPU time, mutants per second, by status.

Runs the configurations interleaved (A, B, C, A, B, C, ...) and prints the median of each;
the machine is shared, so CPU time (this process and its workers) is the steadier figure.

    python3 benchmarks/bench_mutate.py                 # rfc9293, every shipped check, once each
    python3 benchmarks/bench_mutate.py --repeat 3 --variant rfc5961 --overlay
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
from tcpmodel.mutate.summary import overall  # noqa: E402

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


if __name__ == "__main__":
    main()
