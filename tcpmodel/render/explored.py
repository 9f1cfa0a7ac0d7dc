"""What a finished search covered, seen from the endpoints: one pass over its states.

The explicit engine keeps only a BFS tree (parent and action per state), so the transitions
of the whole reachable graph are recomputed here, once, for pictures: the engine itself stays
as fast as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..system import SIDES


@dataclass
class Projection:
    fired: set = field(default_factory=set)      # (rule id, state before, state after)
    pairs: dict = field(default_factory=dict)    # (A state, B state) -> global states there
    edges: dict = field(default_factory=dict)    # (pair, pair) -> {(actor, kind, event)}
    terminal: dict = field(default_factory=dict) # pair -> terminal global states there
    initial: tuple | None = None


def project(system, ex) -> Projection:
    """The fired endpoint transitions and the state-pair graph of exploration ``ex``."""
    ma, mb = system.machines
    out = Projection()
    name = (ma.state_name, mb.state_name)
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
                actor = ("network" if act.kind in ("loss", "dup") else "attacker"
                         if act.kind in ("drop", "inject") else SIDES[act.side])
                out.edges.setdefault((p, q), set()).add((actor, act.kind,
                                                          system.event_name(act)))
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
