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

    def level_starts(self):
        """The first id of each BFS level, as a numpy array (ids are in BFS order and parents
        never decrease, so each level is one id range)."""
        import numpy as np
        parent = self.parent.array() if hasattr(self.parent, "array") else self.parent
        parent = np.asarray(parent)
        if parent.dtype.kind not in "iu":
            parent = parent.astype(np.int64)
        n = len(parent)
        starts = [0]
        hi = int((parent < 0).sum())
        while hi < n:
            starts.append(hi)
            hi = int(np.searchsorted(parent, hi, side="left"))
        return np.array(starts, np.int64)

    def depths(self):
        """Each state's BFS depth, as a numpy array."""
        import numpy as np
        bounds = self.level_starts()
        n = len(self.parent)
        return np.repeat(np.arange(len(bounds), dtype=np.int32),
                         np.diff(np.append(bounds, n)))

    def depth_of(self):
        """The BFS depth of any ids, looked up from the level bounds (no array per state):
        ``ex.depth_of()[ids]``."""
        return LevelDepths(self.level_starts())

    def path(self, sid: int) -> list[int]:
        out = []
        while sid >= 0:
            out.append(sid)
            sid = self.parent[sid]
        return out[::-1]


class LevelDepths:
    """Depths of states read from the first id of each level (see ``Exploration.depth_of``)."""

    def __init__(self, bounds):
        self.bounds = bounds

    def __getitem__(self, ids):
        import numpy as np
        return (np.searchsorted(self.bounds, ids, side="right") - 1).astype(np.int32)


class Progress:
    """Progress on stderr while a search runs: a line every ``every`` seconds (states, queue,
    depth, rate, memory in use), only a heartbeat every ``HEARTBEAT`` seconds when ``quiet``;
    and once, even when quiet, a warning when an unlimited run grows past what a check usually
    needs (``hint`` says why this one may)."""

    HEARTBEAT = 30.0
    GROWTH_STATES = 5_000_000
    GROWTH_SECONDS = 120.0

    def __init__(self, label: str, stream, every: float = 2.0, *, quiet: bool = False,
                 limited: bool = True, hint: str | None = None):
        self.label = label
        self.stream = stream
        self.every = self.HEARTBEAT if quiet else every
        self.start = time.monotonic()
        self.next = self.start + self.every
        self.printed = False
        self.warned = limited   # a run with --max-states or --timeout is what the user asked for
        self.hint = hint

    def tick(self, states: int, queue: int, depth: int) -> None:
        now = time.monotonic()
        if not self.warned and (states >= self.GROWTH_STATES
                                or now - self.start >= self.GROWTH_SECONDS):
            self.warned = True
            self._write(f"  [{self.label}] warning: {states:,} states after "
                        f"{now - self.start:.0f} s and still growing"
                        + (f": {self.hint}" if self.hint else "")
                        + " (--max-states or --timeout bound it; Ctrl-C stops it with the "
                          "verdicts so far)")
        if now < self.next or self.stream is None:
            return
        self.next = now + self.every
        from ...memory import in_use, text
        rate = states / max(now - self.start, 1e-9)
        self._write(f"  [{self.label}] {states:,} states, {queue:,} queued, depth {depth}, "
                    f"{rate:,.0f} states/s, {text(in_use())} in use, {now - self.start:.0f} s")
        self.printed = True

    def _write(self, line: str) -> None:
        if self.stream is not None:
            self.stream.write(line + "\n")
            self.stream.flush()


def progress_for(model, stream, *, quiet: bool = False, limited: bool = False) -> Progress:
    """The progress of a check's search, with the likely reason it may grow large: a side
    without ``[scripts]`` may make any call at any moment."""
    scripts = model.check.scripts_raw
    free = [s.upper() for s in ("a", "b") if scripts.get(s, "any") == "any"]
    hint = None
    if free:
        hint = (f"this check has no [scripts] for {' and '.join(free)}, so "
                f"{'each application' if len(free) == 2 else 'that application'} may make any "
                "call at any time")
    return Progress(model.check.name, stream, quiet=quiet, limited=limited, hint=hint)
