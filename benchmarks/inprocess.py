"""tcpmodel measured from inside its process (for bench_scale.py): the check's search and
liveness seconds, and the peak resident memory grown during the check apart from what Python
and the imports hold before it starts (``base_kb``), which is what bytes per state mean there.

bench_spin.py times the command a user runs instead (interpreter start to exit)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
t0 = time.monotonic()
sys.path.insert(0, sys.argv[1])
from tcpmodel.check import build, load_check
from tcpmodel.cli.common import parse_sets
from tcpmodel.engines.explicit import check
name, full_check, sets = sys.argv[2], sys.argv[3] == "full", sys.argv[4:]
full = build(load_check(name, overrides=parse_sets(sets)))
safety = [p.name for p in full.properties if p.kind in ("always", "sometimes")]
model = full if full_check else build(load_check(name, overrides=parse_sets(sets)), safety)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
res = check(model)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"states": res.states, "transitions": res.transitions, "search": res.seconds, "wall": time.monotonic() - t0,
                  "live": res.liveness_seconds or 0.0, "peak_kb": peak, "base_kb": before,
                  "complete": res.complete,
                  "violated": sorted(p.name for p in res.properties
                                     if p.kind == "always" and p.verdict == "violated"),
                  "witnessed": sorted(p.name for p in res.properties
                                      if p.kind == "sometimes" and p.verdict == "holds"),
                  "verdicts": {p.name: p.verdict for p in res.properties}}))
"""


def run_tcpmodel(name, sets, full=False) -> dict:
    """One check in a fresh process: safety properties only, or ``full`` (with liveness)."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), name,
                          "full" if full else "safety", *sets],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def safety_model(name, sets):
    """The check restricted to its always and sometimes properties."""
    sys.path.insert(0, str(ROOT))
    from tcpmodel.check import build, load_check
    from tcpmodel.cli.common import parse_sets
    full = build(load_check(name, overrides=parse_sets(sets)))
    safety = [p.name for p in full.properties if p.kind in ("always", "sometimes")]
    return build(load_check(name, overrides=parse_sets(sets)), safety)
