"""Opt-in: the fast engine against the reference engine with an attacker, at the shipped sizes.

tests/test_attacker.py compares the two engines on small spaces; this runs the same comparison
on korg's full parameters, where two blind forgeries reach ~580 k states (minutes on the
reference engine). Prints per case the states, transitions, both times and whether they agree;
exits 1 on any disagreement.

    python3 scripts/attacker_engines.py            # every case
    python3 scripts/attacker_engines.py --only 1   # one case by its index
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tcpmodel.check import build, load_check  # noqa: E402
from tcpmodel.engines.explicit import explore_reference  # noqa: E402
from tcpmodel.engines.explicit.vectorised import explore_fast  # noqa: E402

CASES = [("korg", {}), ("korg", {"attacker.preset": "off-path", "attacker.budget": 2}),
         ("korg", {"attacker.budget": "unbounded",
                   "attacker.ab": {"drop": 1, "inject": False, "replay": False},
                   "attacker.ba": {"drop": False, "inject": 2, "replay": False}}),
         ("half-open", {"attacker": 1}), ("crash", {"attacker": 1, "channel": "fifo"})]


def compare(name: str, overrides: dict) -> bool:
    m = build(load_check(name, overrides=overrides))
    props = [p for p in m.properties if p.kind in ("always", "sometimes")]
    t0 = time.monotonic()
    b = explore_fast(m.system, props, record_edges=True)
    t1 = time.monotonic()
    a = explore_reference(m.system, props, record_edges=True)
    t2 = time.monotonic()
    n = len(a.states)
    same = ((n, a.transitions, a.depth, a.terminal, a.complete)
            == (len(b.states), b.transitions, b.depth, b.terminal, b.complete)
            and list(a.states) == list(b.states)
            and list(a.parent) == [b.parent[i] for i in range(n)]
            and a.found == b.found and a.fired == b.fired and a.edges == b.edges)
    print(f"{name:10} {str(overrides)[:70]:70} {n:>9,} states {a.transitions:>10,} transitions "
          f"fast {t1 - t0:6.1f} s  reference {t2 - t1:6.1f} s  {'agree' if same else 'DISAGREE'}",
          flush=True)
    return same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", type=int, help="run one case, by its index (0-based)")
    args = ap.parse_args()
    cases = CASES if args.only is None else [CASES[args.only]]
    ok = [compare(name, ov) for name, ov in cases]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
