"""The long fuzzing profile: tests/test_fuzz.py with thousands of random inputs per test
(CI runs a few dozen, always the same ones), then how many inputs ran and what broke.

    python3 scripts/fuzz.py                  # 2,000 examples per test, 2 processes
    python3 scripts/fuzz.py --examples 500 --jobs 1 -k mutated

Each failure is printed by hypothesis with the smallest input it found; exit code 1 if any."""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=2000, help="inputs per test (default 2000)")
    ap.add_argument("--jobs", type=int, default=2, help="pytest-xdist processes (default 2)")
    ap.add_argument("-k", metavar="EXPR", help="only the tests matching EXPR (pytest -k)")
    args = ap.parse_args()
    env = dict(os.environ, TCPMODEL_FUZZ_PROFILE="long", TCPMODEL_FUZZ_EXAMPLES=str(args.examples))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fuzz.py",
           "--hypothesis-show-statistics", "-n", str(args.jobs)] + (["-k", args.k] if args.k else [])
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True)
    seconds = time.monotonic() - t0
    out = p.stdout + p.stderr
    print(out if p.returncode else "\n".join(
        line for line in out.splitlines() if "::" in line or "passing" in line or "%" in line))
    ran = sum(int(a) + int(b) for a, b in re.findall(r"- (\d+) passing, (\d+) failing", out))
    broke = sum(int(b) for _, b in re.findall(r"- (\d+) passing, (\d+) failing", out))
    tests = len(re.findall(r"^tests/test_fuzz\.py::\w+:$", out, re.M))
    print(f"\n{ran:,} inputs in {tests} tests, {seconds:.0f} s: {broke} failing "
          f"({'see above' if p.returncode else 'nothing broke'})")
    return 1 if p.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
