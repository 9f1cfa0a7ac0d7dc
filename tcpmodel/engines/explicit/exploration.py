"""What one explicit search leaves behind (the visited graph, enough to replay any path), and
its progress line on stderr.  Both search loops (``search.py`` and ``vectorised.py``) fill it."""

from __future__ import annotations

import time
from array import array
from dataclasses import dataclass, field


@dataclass
class Exploration:
    """The visited graph of one search, enough to replay any path."""
    states: list                     # id -> state
    index: dict                      # state -> id
    parent: array                    # id -> parent id (-1 for initial states)
    via: array                       # id -> index of the action in successors(parent)
    transitions: int = 0
    depth: int = 0
    complete: bool = False
    stop_reason: str | None = None
    seconds: float = 0.0
    terminal: int = 0
    overflow: int = 0
    fired: set = field(default_factory=set)       # (side, rule index) pairs that fired
    found: dict = field(default_factory=dict)     # property name -> (state id, action index|None)
    edge_lists: list | None = None   # id -> [(target id, fairness label, k, fairness request)]
    graph: object = None             # the same edges as arrays (graph_arrays.ArrayGraph)

    @property
    def edges(self) -> list | None:
        """The labelled edges as lists (the reference engine's form; built from ``graph``
        on first use when the search recorded arrays)."""
        if self.edge_lists is None and self.graph is not None:
            self.edge_lists = self.graph.to_lists()
        return self.edge_lists

    @edges.setter
    def edges(self, value) -> None:
        self.edge_lists = value

    def depths(self):
        """Each state's BFS depth, as a numpy array (ids are in BFS order and parents never
        decrease, so each level is one id range)."""
        import numpy as np
        parent = self.parent.array() if hasattr(self.parent, "array") else self.parent
        parent = np.asarray(parent, np.int64)
        n = len(parent)
        dist = np.zeros(n, np.int32)
        hi = int((parent < 0).sum())
        d = 0
        while hi < n:
            nhi = int(np.searchsorted(parent, hi, side="left"))
            d += 1
            dist[hi:nhi] = d
            hi = nhi
        return dist

    def path(self, sid: int) -> list[int]:
        out = []
        while sid >= 0:
            out.append(sid)
            sid = self.parent[sid]
        return out[::-1]


class Progress:
    """Prints a progress line to stderr every ``every`` seconds (only when runs are long)."""

    def __init__(self, label: str, stream, every: float = 2.0):
        self.label = label
        self.stream = stream
        self.every = every
        self.start = time.monotonic()
        self.next = self.start + every
        self.printed = False

    def tick(self, states: int, queue: int, depth: int) -> None:
        now = time.monotonic()
        if now < self.next or self.stream is None:
            return
        self.next = now + self.every
        rate = states / max(now - self.start, 1e-9)
        self.stream.write(f"  [{self.label}] {states:,} states, {queue:,} queued, depth {depth}, "
                          f"{rate:,.0f} states/s, {now - self.start:.0f} s\n")
        self.stream.flush()
        self.printed = True
