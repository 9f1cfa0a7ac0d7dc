"""BMC's find mode: one query for "a violation (witness) within K steps" instead of one per depth.

Depth-by-depth BMC proves every depth below a hit unsatisfiable, and those proofs cost about 2x
per depth: most of its time goes to refuting depths that have no hit.  A satisfiable query at a
larger bound is often much cheaper (crash, 13 steps: one query at bound 20 against 13 depths).
Here each bound of a short schedule (``bounds``: 10, then ``depth``) asks one one-shot SAT query
over a guarded unrolling: some d in (covered, K] with the first d steps taken and property
``bad`` at d.  An unsatisfiable answer covers every depth up to K (so "holds up to depth K" is
as true as depth by depth); a satisfiable one gives a run of some length L <= K, which need not
be the shortest.  The run is then shortened: repeated states are cut out (the explicit engine's
successors depend only on the state), and, within ``shorten`` seconds, queries for a run within
L - 1 steps follow until one is unsatisfiable (then the trace is proven shortest) or time is up
(then the trace says how far shorter runs were ruled out).  Every trace is replayed on the
explicit engine, as depth-by-depth BMC's are.
"""

from __future__ import annotations

import time

import z3

from . import portfolio
from .bmc import BmcRun, Hit, Unrolling, bad_term, explicit_hit, sat_solver
from .encoding import Encoding, EncodingError
from .formulas import PropertyTerms

DEFAULT_SHORTEN = 10.0   # seconds per found trace for proving (or finding) a shorter one
FIRST_BOUND = 10         # below this a query costs about a second on the shipped checks


def bounds(depth: int) -> list:
    """The schedule of bounds up to ``depth``: halving from ``depth`` down to FIRST_BOUND.
    Few bounds, because a query whose bound falls just short of the hit is an expensive
    unsatisfiable one (time-wait: bound 16 took 19 s of CPU, bound 20 with the hit 15 s)."""
    out = [depth]
    while out[0] > FIRST_BOUND:
        out.insert(0, out[0] // 2)
    return out


def cut_loops(states: list, on_steps: bool) -> list:
    """``states`` without the runs between two equal states.  A state property's violation at
    the last state is kept (the first time that state appears ends the run); a step property's
    last step is kept whole (its pre-state stays the one before the last)."""
    keep = len(states) - 1 if on_steps else len(states)
    head, tail = states[:keep], states[keep:]
    out, seen = [], {}
    for s in head:
        if s in seen:
            del out[seen[s] + 1:]
            seen = {x: i for i, x in enumerate(out)}
        else:
            seen[s] = len(out)
            out.append(s)
    if tail and tail[0] in seen and not on_steps:
        return out[:seen[tail[0]] + 1]
    return out + tail


class _Query:
    """One guarded unrolling, grown on demand; each query gets a fresh one-shot SAT solver
    (bit-blasting the unrolling again, which costs less than the incremental SMT core's search
    on these queries: 10 s against 23 s of CPU on crash at bound 20)."""

    def __init__(self, enc: Encoding, portfolio: int = 1, stop=None):
        self.enc = enc
        self.portfolio, self.stop = portfolio, stop
        self.member_cpu = 0.0  # CPU seconds of the portfolio members that answered
        self.pt = PropertyTerms(enc)
        self.un = Unrolling(enc, solver=z3.Solver(), guarded=True)

    def bad(self, p, d: int):
        while self.un.depth < d:
            self.un.extend()
        b = bad_term(self.pt, p, self.un, d)
        return None if b is None else z3.And(*self.un.active(d), b)

    def ask(self, props, lo: int, hi: int, timeout: float | None):
        """(result, model or the reason of an unknown) of "some prop is bad at some depth d,
        lo < d <= hi"."""
        terms = [b for p in props for d in range(lo + 1, hi + 1)
                 for b in [self.bad(p, d)] if b is not None]
        if not terms:
            return z3.unsat, None
        if self.portfolio > 1:
            a = portfolio.solve(list(self.un.solver.assertions()) + [z3.Or(terms)],
                                self.portfolio, timeout, self.stop)
            self.member_cpu += a.winner_cpu
            return a.result, a.model if a.result == z3.sat else a.reason or None
        sol = sat_solver(timeout)
        sol.add(self.un.solver.assertions())
        sol.add(z3.Or(terms))
        r = sol.check()
        return r, (sol.model() if r == z3.sat else sol.reason_unknown() if r == z3.unknown
                   else None)

    def first_hit(self, model, p, lo: int, hi: int):
        """The least depth in (lo, hi] at which ``model`` makes ``p`` bad, or None."""
        for d in range(lo + 1, hi + 1):
            b = self.bad(p, d)
            if b is not None and z3.is_true(model.eval(b, model_completion=True)):
                return d
        return None

    def hit(self, system, p, model, d: int, t0: float) -> Hit:
        states = cut_loops(self.un.decode(model, d), p.on_steps)
        return Hit(len(states) - 1, states, explicit_hit(system, p, states),
                   time.monotonic() - t0)


def run(model, props, depth: int, *, timeout: float | None = None, enc: Encoding | None = None,
        progress=None, stop=None, shorten: float = DEFAULT_SHORTEN,
        members: int = 1) -> BmcRun:
    """Find mode of BMC for the safety ``props`` up to ``depth`` steps, each query solved in
    this process (``members`` 1) or by a portfolio of ``members`` solver processes.  ``res.depth`` is the
    depth up to which every open property is proven to have no violation (witness); a hit's
    ``shortest`` says whether its length is proven minimal (``none_within`` otherwise)."""
    t0 = time.monotonic()
    q = _Query(enc or Encoding(model), members, stop)
    res = BmcRun()
    pending = list(props)
    covered = -1

    def left():
        return None if timeout is None else timeout - (time.monotonic() - t0)

    def out_of_time():
        return timeout is not None and left() <= 0

    try:
        for k in bounds(depth):
            tk = time.monotonic()
            while pending:
                if out_of_time():
                    res.stop_reason = "time budget"
                    return res
                r, m = q.ask(pending, covered, k, left())
                if stop is not None and stop():
                    res.stop_reason = "interrupted"
                    return res
                if r == z3.unknown:
                    res.stop_reason = ("time budget" if timeout is not None
                                       else f"solver: {m}")
                    return res
                if r == z3.unsat:
                    break
                hit_props = [(p, d) for p in pending for d in [q.first_hit(m, p, covered, k)]
                             if d is not None]
                if not hit_props:  # the model satisfies the query but no disjunct: never loop
                    raise EncodingError(f"a model of the bound-{k} query decodes to no hit")
                for p, d in hit_props:
                    pending.remove(p)
                    try:
                        found = q.hit(model.system, p, m, d, t0)
                        res.hits[p.name] = _shorten(q, model.system, p, found, covered, t0,
                                                    shorten, left, stop)
                    except EncodingError as err:  # reported, never turned into a verdict
                        res.errors[p.name] = str(err)
            covered = res.depth = k
            res.times.append(time.monotonic() - tk)
            if progress:
                progress(k, res.times[-1])
            if not pending:
                break
        return res
    except KeyboardInterrupt:
        res.stop_reason = "interrupted"
        return res
    finally:
        res.seconds = time.monotonic() - t0
        res.member_cpu = q.member_cpu


def _shorten(q: _Query, system, p, hit: Hit, covered: int, t0: float, budget: float, left,
             stop) -> Hit:
    """``hit``, or a shorter one, with ``shortest`` proven when a query within its length - 1
    answers unsatisfiable within ``budget`` seconds (and the run's time left)."""
    ts = time.monotonic()
    while True:
        if hit.depth <= covered:
            raise EncodingError(f"a {hit.depth}-step run violates '{p.name}' on the explicit "
                                f"engine, but Z3 found none within {covered} steps")
        if hit.depth - 1 <= covered:
            hit.shortest, hit.none_within = True, None
            return hit
        hit.shortest, hit.none_within = False, covered
        cap = budget - (time.monotonic() - ts)
        rest = left()
        if rest is not None:
            cap = min(cap, rest)
        if cap <= 0 or (stop is not None and stop()):
            return hit
        r, m = q.ask([p], covered, hit.depth - 1, cap)
        if r == z3.unsat:
            covered = hit.depth - 1
        elif r == z3.sat:
            d = q.first_hit(m, p, covered, hit.depth - 1)
            hit = q.hit(system, p, m, d, t0)
        else:
            return hit
