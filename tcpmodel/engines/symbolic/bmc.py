"""Bounded model checking: incremental unrolling of the Z3 transition relation.

Depth d asks whether some run of exactly d steps ends in a violation (or a witness); depths are
tried in order, so the first hit is a shortest one, like the BFS.  After an unsatisfiable depth
its negation is a valid fact about every d-step run and is kept as a lemma.

A model is decoded into explicit states, and each step is looked up among the explicit
engine's ``successors``: the trace is built by the same code as the explicit engine's, and a
Z3 step the explicit engine does not have is an encoding bug (``EncodingError``), never a trace.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import pairwise

import z3

from ...trace import build_trace
from .encoding import Encoding, EncodingError
from .formulas import PropertyTerms


@dataclass
class Hit:
    depth: int
    states: list          # explicit states s0..sd
    trace: object
    seconds: float        # solver time until found
    shortest: bool = True  # proven: no violation (witness) within depth - 1 steps
    none_within: int | None = None  # else: the depth up to which none is proven (-1: none)


@dataclass
class BmcRun:
    depth: int = -1                                     # deepest depth fully checked
    hits: dict = field(default_factory=dict)            # property name -> Hit
    times: list = field(default_factory=list)           # seconds per depth (solver + encoding)
    errors: dict = field(default_factory=dict)          # property name -> EncodingError text
    stop_reason: str | None = None
    seconds: float = 0.0
    member_cpu: float = 0.0  # find mode's portfolio: CPU seconds of the members that answered


class Unrolling:
    """Init(s0) and T(s_i-1, c_i, s_i) for i = 1..depth, asserted into one solver.

    ``guarded``: each T_i holds only under the literal ``lits[i-1]``, so one unrolling answers
    queries about runs of any length up to its depth (``active(d)``: the first d steps);
    otherwise every step is asserted and only the final depth's runs exist (a run cut short by
    a dead end is not a run of that length).
    """

    def __init__(self, enc: Encoding, solver=None, prefix: str = "", guarded: bool = False):
        self.enc = enc
        self.solver = solver if solver is not None else z3.SolverFor("QF_BV")
        self.prefix = prefix
        self.guarded = guarded
        self.lits: list = []
        self.states = [enc.state(f"{prefix}s0_")]
        self.steps = []
        self.solver.add(enc.init(self.states[0]))

    @property
    def depth(self) -> int:
        return len(self.states) - 1

    def extend(self) -> None:
        d = len(self.states)
        s = self.enc.state(f"{self.prefix}s{d}_")
        tr, step = self.enc.trans(self.states[-1], self.enc.choice(f"{self.prefix}c{d}_"), s)
        if self.guarded:
            lit = z3.Bool(f"{self.prefix}step{d}")
            self.lits.append(lit)
            tr = z3.Implies(lit, tr)
        self.solver.add(tr)
        self.states.append(s)
        self.steps.append(step)

    def active(self, d: int) -> list:
        """Assumptions that make the first d steps (and only those) part of the run."""
        return self.lits[:d]

    def decode(self, model, upto: int | None = None) -> list:
        upto = self.depth if upto is None else upto
        return [self.enc.lay.decode(model, s) for s in self.states[:upto + 1]]


ENUMERABLE_CHOICES = 4096


@contextmanager
def enumerable(system, states: list) -> Iterator[None]:
    """Within: with ISS lists too long to enumerate (seq_space 2^32), each machine reacts with
    only the values the run's TCBs hold (and the two below, as SND.NXT = ISS + 1 would): a
    subset of its choices, so a move found is a move of the full system, none found an error."""
    with ExitStack() as stack:
        if any(len(c) > ENUMERABLE_CHOICES for m in system.machines for c in m.iss_choices):
            n = system.params["seq_space"]
            for side, m in enumerate(system.machines):
                seen = {v for s in states for v in m.decode(s[side])[1:] if isinstance(v, int)}
                stack.enter_context(m.choices_only({(v - d) % n for v in seen for d in range(3)}))
        yield


def replay(system, states: list, last_ok=None) -> list:
    """The explicit (action, next) moves through ``states``; ``last_ok`` filters the last move."""
    with enumerable(system, states):
        return _replay(system, states, last_ok)


def _replay(system, states: list, last_ok) -> list:
    moves = []
    for i, (a, b) in enumerate(pairwise(states)):
        cands = [(act, t) for act, t in system.successors(a) if t == b]
        if last_ok is not None and i == len(states) - 2:
            cands = [mv for mv in cands if last_ok(a, mv)]
        if not cands:
            raise EncodingError(f"Z3 step {i + 1} is not a step of the explicit engine: "
                                f"{a} -> {b}")
        moves.append(cands[0])
    return moves


def bad_term(pt: PropertyTerms, prop, un: Unrolling, d: int):
    """The term 'depth d violates (always) or witnesses (sometimes) prop', or None."""
    f = pt.formula(prop)
    if prop.on_steps:
        if d == 0:
            return None
        body = pt.predicate(f.body.node, un.states[d], un.states[d - 1], un.steps[d - 1])
    else:
        body = pt.predicate(f.body.node, un.states[d])
    return z3.Not(body) if prop.kind == "always" else body


def explicit_hit(system, prop, states: list):
    """Build the trace of a Z3 hit with the explicit engine, and check it really is a hit."""
    with enumerable(system, states):
        return _explicit_hit(system, prop, states)


def _explicit_hit(system, prop, states: list):
    want = prop.kind == "always"  # a violation makes the test false, a witness true
    if prop.on_steps:
        moves = _replay(system, states,
                        lambda s, mv: prop.test((mv[1], False, s, mv[0])) != want)
    else:
        moves = _replay(system, states, None)
        last = states[-1]
        if prop.test((last, not system.successors(last), None, None)) == want:
            raise EncodingError(f"Z3 says depth {len(states) - 1} decides '{prop.name}' but the "
                                f"explicit engine disagrees on the state {last}")
    return build_trace(system, states[0], moves)


def run(model, props, depth: int, *, timeout: float | None = None, enc: Encoding | None = None,
        progress=None, stop=None) -> BmcRun:
    """BMC of the safety ``props`` (always/sometimes) up to ``depth`` steps; ``stop()`` true
    (Ctrl-C) ends it as interrupted."""
    t0 = time.monotonic()
    enc = enc or Encoding(model)
    pt = PropertyTerms(enc)
    un = Unrolling(enc)
    solver = un.solver
    res = BmcRun()
    pending = list(props)
    try:
        for d in range(depth + 1):
            td = time.monotonic()
            if d > 0:
                un.extend()
            bads = {}
            for p in pending:
                b = bad_term(pt, p, un, d)
                if b is not None:
                    bads[p.name] = (p, b)
            while bads:
                if timeout is not None:
                    left = timeout - (time.monotonic() - t0)
                    if left <= 0:
                        res.stop_reason = "time budget"
                        return res
                    solver.set("timeout", max(1, int(left * 1000)))
                act = z3.FreshBool("query")
                solver.add(z3.Implies(act, z3.Or([b for _, b in bads.values()])))
                r = solver.check(act)
                if stop is not None and stop():
                    res.stop_reason = "interrupted"
                    return res
                if r == z3.unknown:
                    res.stop_reason = ("time budget" if timeout is not None
                                       else f"solver: {solver.reason_unknown()}")
                    return res
                if r == z3.unsat:
                    for _, b in bads.values():
                        solver.add(z3.Not(b))  # a valid fact about every d-step run
                    break
                m = solver.model()
                states = un.decode(m, d)
                for name, (p, b) in list(bads.items()):
                    if z3.is_true(m.eval(b, model_completion=True)):
                        try:
                            res.hits[name] = Hit(d, states, explicit_hit(model.system, p, states),
                                                 time.monotonic() - t0)
                        except EncodingError as err:  # reported, never turned into a verdict
                            res.errors[name] = str(err)
                        del bads[name]
                        pending.remove(p)
            res.depth = d
            res.times.append(time.monotonic() - td)
            if progress:
                progress(d, res.times[-1])
            if not pending:
                break
        return res
    except KeyboardInterrupt:
        res.stop_reason = "interrupted"
        return res
    finally:
        res.seconds = time.monotonic() - t0


def sat_solver(timeout: float | None = None):
    """A one-shot bit-blasting SAT solver: about twice as fast as the incremental SMT core on
    one deep query (measured on time-wait), but it keeps nothing between queries."""
    from .portfolio import TACTICS   # one pipeline, the portfolio's first member's
    s = z3.Then(*TACTICS["eqs"]).solver()
    if timeout is not None:
        s.set("timeout", max(1, int(timeout * 1000)))
    return s


def confirm_length(model, prop, length: int, *, enc: Encoding | None = None,
                   timeout: float | None = None):
    """Two queries instead of ``length`` BMC depths: no violation (witness) within
    ``length - 1`` steps, and one at exactly ``length`` (decoded and replayed).  Returns
    (Hit or None, reason): the Hit when both hold, else why not."""
    enc = enc or Encoding(model)
    pt = PropertyTerms(enc)
    un = Unrolling(enc, solver=z3.Solver(), guarded=True)
    while un.depth < length:
        un.extend()
    t0 = time.monotonic()
    sooner = [z3.And(*un.active(d), b) for d in range(length)
              for b in [bad_term(pt, prop, un, d)] if b is not None]
    if sooner:
        sol = sat_solver(timeout)
        sol.add(un.solver.assertions())
        sol.add(z3.Or(sooner))
        r = sol.check()
        if r != z3.unsat:
            return None, f"{'a shorter run exists' if r == z3.sat else 'unknown'} (within {length - 1})"
    left = None if timeout is None else max(0.001, timeout - (time.monotonic() - t0))
    sol = sat_solver(left)
    sol.add(un.solver.assertions())
    sol.add(*un.active(length))
    sol.add(bad_term(pt, prop, un, length))
    r = sol.check()
    if r != z3.sat:
        return None, f"no run of exactly {length} steps ({r})"
    states = un.decode(sol.model(), length)
    return Hit(length, states, explicit_hit(model.system, prop, states),
               time.monotonic() - t0), ""
