"""What a finished search covered, seen from the endpoints: one pass over its states.

The explicit engine keeps only a BFS tree (parent and action per state), so the transitions
of the whole reachable graph are recomputed here, once, for pictures: the engine itself stays
as fast as it was.  A search of the vectorised engine is expanded again the same way, on
whole arrays of states (``_project_arrays``); one of the reference engine state by state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..system import SIDES

CHUNK = 1 << 14


@dataclass
class Projection:
    fired: set = field(default_factory=set)      # (rule id, state before, state after)
    pairs: dict = field(default_factory=dict)    # (A state, B state) -> global states there
    edges: dict = field(default_factory=dict)    # (pair, pair) -> {(actor, kind, event)}
    terminal: dict = field(default_factory=dict) # pair -> terminal global states there
    initial: tuple | None = None


def project(system, ex, progress=None) -> Projection:
    """The fired endpoint transitions and the state-pair graph of exploration ``ex``;
    ``progress(done, total)`` is called as the states are gone through."""
    if getattr(ex, "engine", None) == "fast":
        return _project_arrays(system, ex, progress)
    return _project_states(system, ex, progress)


def progress_lines(label: str, stream, every: float = 2.0):
    """A ``progress`` for :func:`project`: a line on ``stream`` every ``every`` seconds."""
    import time
    start = time.monotonic()
    due = [start + every]

    def tick(done, total):
        now = time.monotonic()
        if now >= due[0]:
            due[0] = now + every
            stream.write(f"  [{label}] going through the states for the pictures: {done:,} of "
                         f"{total:,}, {now - start:.0f} s\n")
            stream.flush()
    return tick


def _actor(act) -> str:
    return ("network" if act.kind in ("loss", "dup") else "attacker"
            if act.kind in ("drop", "inject") else SIDES[act.side])


def _project_states(system, ex, progress) -> Projection:
    ma, mb = system.machines
    out = Projection()
    name = (ma.state_name, mb.state_name)
    total = len(ex.states)
    for sid, s in enumerate(ex.states):
        p = (name[0](s[0]), name[1](s[1]))
        if sid == 0:
            out.initial = p
        out.pairs[p] = out.pairs.get(p, 0) + 1
        moves = system.successors(s)
        if not moves:
            out.terminal[p] = out.terminal.get(p, 0) + 1
        for act, t in moves:
            if act.out is not None:
                side = act.side
                rule = system.machines[side].rules[act.out.rule].id
                out.fired.add((rule, name[side](s[side]), name[side](t[side])))
            if t not in ex.index:   # beyond a search limit: not part of what was explored
                continue
            q = (name[0](t[0]), name[1](t[1]))
            if q != p:
                out.edges.setdefault((p, q), set()).add((_actor(act), act.kind,
                                                         system.event_name(act)))
        if progress and sid % CHUNK == CHUNK - 1:
            progress(sid + 1, total)
    return out


def _project_arrays(system, ex, progress) -> Projection:
    """The same on the vectorised engine's packed states: successors chunk by chunk with its
    expander, pairs and moves counted with numpy, Python only for the few distinct results."""
    import numpy as np

    from ..engines.explicit.vectorised import SHIFT_C, Expander

    T = ex.states.T
    X = Expander(system, T)
    visited = ex.states.visited
    keys = ex.states.keys()
    ma, mb = system.machines
    ns = len(ma.states)
    nr = len(ma.rules)
    pair_of = np.empty(0, np.int64)   # control id -> A state * ns + B state

    def pairs(c):
        nonlocal pair_of
        if len(T.ctrls) > len(pair_of):
            new = [ma.state_of(t[0]) * ns + mb.state_of(t[1]) for t in T.ctrls[len(pair_of):]]
            pair_of = np.concatenate([pair_of, np.array(new, np.int64)])
        return pair_of[c]

    counts = np.zeros(ns * ns, np.int64)
    terminal = np.zeros(ns * ns, np.int64)
    fired: set = set()
    edges: set = set()
    nact = 1 << 20   # action ids stay below this (vectorised._Truth)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        (ck, pos, _, mv, _), _, honest = X.expand(chunk)
        src = pairs((chunk >> SHIFT_C).astype(np.int64))
        counts += np.bincount(src, minlength=ns * ns)
        # only the attacker could act: the run may stop here (as the engines count it)
        terminal += np.bincount(src[honest == 0], minlength=ns * ns)
        dst = pairs((ck >> SHIFT_C).astype(np.int64))
        p = src[pos]
        rule = T.mv_fired.a[mv]
        ep = rule >= 0
        if ep.any():
            side = rule[ep] // nr
            before = np.where(side == 0, p[ep] // ns, p[ep] % ns)
            after = np.where(side == 0, dst[ep] // ns, dst[ep] % ns)
            fired.update(np.unique((rule[ep] * ns + before) * ns + after).tolist())
        act = T.mv_act.a[mv]
        keep = (p != dst) & (visited.find(ck) >= 0)   # within what was explored
        if keep.any():
            edges.update(np.unique((p[keep] * (ns * ns) + dst[keep]) * nact
                                   + act[keep]).tolist())
        if progress:
            progress(min(start + CHUNK, len(keys)), len(keys))
    names = ma.states
    pair = lambda i: (names[i // ns], names[i % ns])
    out = Projection()
    if len(keys):
        out.initial = pair(int(pairs((keys[:1] >> SHIFT_C).astype(np.int64))[0]))
    out.pairs = {pair(i): int(n) for i in np.flatnonzero(counts) for n in [counts[i]]}
    out.terminal = {pair(i): int(n) for i in np.flatnonzero(terminal) for n in [terminal[i]]}
    for code in fired:
        r, rest = divmod(code, ns * ns)
        b, a = divmod(rest, ns)
        out.fired.add((system.machines[r // nr].rules[r % nr].id, names[b], names[a]))
    for code in edges:
        pq, a = divmod(code, nact)
        pi, qi = divmod(pq, ns * ns)
        act = T.acts[a]
        out.edges.setdefault((pair(pi), pair(qi)), set()).add(
            (_actor(act), act.kind, system.event_name(act)))
    return out


def counterexample_ends(res) -> dict:
    """(A state, B state) where each counterexample of ``res`` ends -> the properties it
    refutes: the pairs a state-pair diagram fills red."""
    out: dict = {}
    for p in res.properties:
        if p.verdict == "violated" and p.trace is not None:
            last = p.trace.steps[-1] if p.trace.steps else None
            pair = (last.a, last.b) if last else (p.trace.initial_a, p.trace.initial_b)
            out.setdefault(pair, []).append(p.name)
    return out
