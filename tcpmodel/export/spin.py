"""Run SPIN on an exported model: ``spin -a``, ``gcc``, ``pan``; parse what pan reports.

Used by the tests (state counts and verdicts against tcpmodel's) and by the side-by-side
benchmark.  Times are wall-clock, memory is the peak resident size of the ``pan`` process.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field

# -DNOCLAIM: a safety search of the state graph, not of its product with the first ltl block
PAN_FLAGS = ("-O2", "-DSAFETY", "-DNOREDUCE", "-DNOCLAIM")
# what ``spin -run -DSAFETY -DNOREDUCE -DNOCLAIM`` compiles: gcc without optimisation
SPIN_RUN_FLAGS = ("-DSAFETY", "-DNOREDUCE", "-DNOCLAIM")


def available() -> str | None:
    """None if spin and gcc are on PATH, else what is missing (for skip messages)."""
    missing = [t for t in ("spin", "gcc") if shutil.which(t) is None]
    return ", ".join(missing) + " not installed" if missing else None


@dataclass
class SpinResult:
    states: int | None = None
    compile_s: float = 0.0     # spin -a plus gcc
    search_s: float = 0.0      # pan
    rate: float | None = None  # pan's own states/second
    peak_kb: int = 0           # pan's peak resident memory
    vector: int | None = None  # state-vector bytes
    depth: int | None = None   # depth pan reached
    violated: set = field(default_factory=set)   # always properties that fail
    witnessed: set = field(default_factory=set)  # sometimes properties with a witness
    errors: list = field(default_factory=list)   # anything else pan reported as an error
    complete: bool = True
    output: str = ""


def _timed(cmd, cwd) -> tuple:
    """(seconds, stdout, peak RSS kB) of one child process."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    secs = time.monotonic() - t0
    if p.returncode and cmd[0] != "./pan":
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.decode(errors='replace')[-2000:]}")
    return secs, out.decode(errors="replace"), usage.ru_maxrss


def compile_pan(pml: str, workdir: str, cflags=PAN_FLAGS) -> float:
    """``spin -a`` and gcc in ``workdir``; returns the seconds both took."""
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "model.pml"), "w") as f:
        f.write(pml)
    t1, _, _ = _timed(["spin", "-a", "model.pml"], workdir)
    t2, _, _ = _timed(["gcc", *cflags, "-o", "pan", "pan.c"], workdir)
    return t1 + t2


def search(workdir: str, *, expected_states: int | None = None,
           max_depth: int = 20_000_000) -> SpinResult:
    """Run the compiled ``pan`` (-c0: report every property) and parse what it reports.
    In BFS mode pan also stores states inside atomic sequences: its 'nominal states
    (stored-atomic)' are the states tcpmodel counts."""
    res = SpinResult()
    args = ["./pan", "-c0", f"-m{max_depth}"]
    if expected_states:
        args.append(f"-w{max(18, math.ceil(math.log2(expected_states)) + 1)}")
    res.search_s, out, res.peak_kb = _timed(args, workdir)
    res.output = out
    m = re.search(r"^\s*(\d+) nominal states", out, re.M) or \
        re.search(r"^\s*(\d+) states, stored", out, re.M)
    res.states = int(m.group(1)) if m else None
    m = re.search(r"pan: rate\s+([\d.]+) states/second", out)
    res.rate = float(m.group(1)) if m else None
    m = re.search(r"State-vector (\d+) byte, depth reached (\d+)", out)
    res.vector = int(m.group(1)) if m else None
    res.depth = int(m.group(2)) if m else None
    for line in out.splitlines():
        m = re.match(r"(?:cpu\d+: )?pan:\d+: assertion violated (violated|witness)_(\w+)", line)
        if m:
            (res.violated if m.group(1) == "violated" else res.witnessed).add(m.group(2))
        elif re.match(r"(?:cpu\d+: )?pan:\d+:", line) or "max search depth too small" in line:
            res.errors.append(line.strip())
    if "Search not completed" in out or "max search depth too small" in out:
        res.complete = False
    return res


def sensible_depth(workdir: str, states: int | None = None) -> int:
    """A ``-m`` for timed runs: the depth pan reaches on this model, plus a margin (pan
    allocates its DFS stack for -m up front, so 8 x states would inflate its memory).
    Found by an untimed run of the compiled pan with a large limit."""
    limit = 1_000_000
    while True:
        r = search(workdir, expected_states=states, max_depth=limit)
        if r.complete and r.depth is not None:
            return int(r.depth * 1.2) + 1000
        limit *= 8


def run(pml: str, workdir: str, *, expected_states: int | None = None,
        max_depth: int = 20_000_000, cflags=PAN_FLAGS) -> SpinResult:
    """Verify ``pml`` in ``workdir``: pan in depth-first mode, -c0 (report every property)."""
    compile_s = compile_pan(pml, workdir, cflags)
    res = search(workdir, expected_states=expected_states, max_depth=max_depth)
    res.compile_s = compile_s
    return res
