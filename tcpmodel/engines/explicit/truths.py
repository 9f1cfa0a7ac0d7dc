"""A state predicate's truth at every stored state, as a bool array (for liveness).

On the fast engine a formula that reads endpoints, counters and channel sizes (not channel
contents) is evaluated once per distinct (control part, channel sizes, terminal) and looked
up for all states at once (``vectorised._Truth``); otherwise once per state.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

CHUNK = 1 << 20


class StateTruths:
    def __init__(self, model, ex, graph):
        self.ex = ex
        self.n = graph.n
        self.terminal = graph.outdeg == 0
        self.tables = getattr(ex, "tables", None)

    def __call__(self, fn, reads: frozenset) -> np.ndarray:
        from .vectorised import CHANNEL_CONTENTS, _Truth
        out = np.empty(self.n, bool)
        if self.tables is not None and not (reads & CHANNEL_CONTENTS):
            truth = _Truth(self.tables, [SimpleNamespace(test=fn, reads=reads)], [])
            keys = self.ex.states.visited.keys   # in memory, or spilled (read a chunk at a time)
            for lo in range(0, self.n, CHUNK):
                hi = min(lo + CHUNK, self.n)
                out[lo:hi] = truth.state_bits(keys[lo:hi], self.terminal[lo:hi]) & 1
            return out
        states = self.ex.states
        for v in range(self.n):
            out[v] = bool(fn((states[v], bool(self.terminal[v]), None, None)))
        return out
