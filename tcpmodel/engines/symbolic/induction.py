"""Unbounded proofs of safety properties: k-induction (with an optional user strengthening)
and Z3's Spacer (constrained Horn clauses).

An invariant J is proved by k-induction when
  base:  no run of fewer than k steps from the initial state leaves J, and
  step:  every k-step run of well-formed states that stays in J for k states stays in J
         at the next one (optionally on simple paths: no state repeated).
For ``always P`` on states J = P, or P and S with a strengthening S from the check file; for a
step property P (reads step.*), J = S and every step inside J satisfies P.  A failing step
query is a counterexample to induction (CTI): states that satisfy J (but need not be
reachable) with a step out of J.  Well-formedness (``Layout.wellformed``) is assumed in the
step query, so it is first proved inductive itself.

Spacer polarity (measured, see the engineering notes): ``Fixedpoint.query(bad)`` answers sat
when bad is REACHABLE and unsat when the system is safe.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import z3

from .encoding import Encoding, EncodingError
from .formulas import PropertyTerms


@dataclass
class Proof:
    status: str                  # proved, failed (a CTI or a base violation), unknown
    method: str
    seconds: float = 0.0
    detail: str = ""
    cti: list = field(default_factory=list)   # explicit states of a counterexample to induction
    cti_text: list | None = None              # ... or its lines, already described


class Prover:
    def __init__(self, enc: Encoding, pt: PropertyTerms | None = None):
        self.enc = enc
        self.pt = pt or PropertyTerms(enc)
        self._wf_ok: bool | None = None
        self.interrupted = False  # set by the engine when Ctrl-C ended a proof

    # ---------------------------------------------------------- building blocks

    def _solver(self, timeout: float | None):
        s = z3.SolverFor("QF_BV")
        if timeout is not None:
            s.set("timeout", max(1, int(timeout * 1000)))
        return s

    def check_wellformed(self, timeout: float | None = None) -> None:
        """Well-formedness holds initially and is preserved by every step (else: a bug)."""
        if self._wf_ok:
            return
        enc = self.enc
        s, t = enc.state("wf_s_"), enc.state("wf_t_")
        sol = self._solver(timeout)
        sol.add(enc.init(s), z3.Not(enc.wellformed(s)))
        if sol.check() != z3.unsat:
            raise EncodingError("the initial state is not well-formed")
        sol = self._solver(timeout)
        tr, _ = enc.trans(s, enc.choice("wf_c_"), t)
        sol.add(enc.wellformed(s), tr, z3.Not(enc.wellformed(t)))
        r = sol.check()
        if r == z3.sat:
            m = sol.model()
            raise EncodingError("a step leaves the well-formed states: "
                                f"{enc.lay.decode(m, s)} -> {enc.lay.decode(m, t)}")
        if r == z3.unknown:
            raise TimeoutError("well-formedness check")
        self._wf_ok = True

    def invariant(self, prop, strengthen, states, steps):
        """J on state i of a run (a list of Bool terms per state) and P on its steps."""
        pt = self.pt
        f = pt.formula(prop)
        negate = prop.kind == "sometimes"  # proving "sometimes P" false = proving always not P

        def body(i):
            if prop.on_steps:
                if i == 0:
                    return z3.BoolVal(True)
                b = pt.predicate(f.body.node, states[i], states[i - 1], steps[i - 1])
            else:
                b = pt.predicate(f.body.node, states[i])
            return z3.Not(b) if negate else b

        def state_inv(i):
            parts = [] if prop.on_steps else [body(i)]
            if strengthen is not None:
                parts.append(pt.predicate(strengthen, states[i]))
            return z3.And(parts) if parts else z3.BoolVal(True)

        def full(i):
            return z3.And(state_inv(i), body(i)) if prop.on_steps else state_inv(i)
        return full

    def _run(self, prefix: str, k: int, init: bool):
        enc = self.enc
        states = [enc.state(f"{prefix}s0_")]
        steps, cons = [], []
        if init:
            cons.append(enc.init(states[0]))
        else:
            cons.append(enc.wellformed(states[0]))
        for i in range(1, k + 1):
            t = enc.state(f"{prefix}s{i}_")
            tr, st = enc.trans(states[-1], enc.choice(f"{prefix}c{i}_"), t)
            cons.append(tr)
            states.append(t)
            steps.append(st)
        return states, steps, cons

    # ---------------------------------------------------------- k-induction

    def k_induction(self, prop, strengthen=None, *, kmax: int = 3, simple_path: bool = True,
                    timeout: float | None = None) -> Proof:
        t0 = time.monotonic()
        label = "k-induction" + (" with strengthening" if strengthen is not None else "")

        def left():
            return None if timeout is None else max(0.001, timeout - (time.monotonic() - t0))
        try:
            self.check_wellformed(left())
        except TimeoutError:
            return Proof("unknown", label, time.monotonic() - t0, "well-formedness check timed out")
        first_cti = None
        for k in range(1, kmax + 1):
            # base: J holds after every run of exactly k - 1 steps from the initial state
            # (shorter runs were checked for smaller k: k counts up from 1)
            states, steps, cons = self._run(f"kb{k}_", k - 1, init=True)
            J = self.invariant(prop, strengthen, states, steps)
            sol = self._solver(left())
            sol.add(cons)
            sol.add(z3.Not(J(k - 1)))
            r = sol.check()
            if r == z3.sat:
                m = sol.model()
                what = "the strengthening" if strengthen is not None else "the property"
                return Proof("failed", label, time.monotonic() - t0,
                             f"{what} fails on a reachable state at depth {k - 1}",
                             [self.enc.lay.decode(m, s) for s in states])
            if r == z3.unknown:
                return Proof("unknown", label, time.monotonic() - t0, f"base case k={k} timed out")
            # step: k states in J (well-formed, distinct) and one more step leaves J
            states, steps, cons = self._run(f"ks{k}_", k, init=False)
            J = self.invariant(prop, strengthen, states, steps)
            sol = self._solver(left())
            sol.add(cons)
            sol.add([self.enc.wellformed(s) for s in states[1:]])
            sol.add([J(i) for i in range(k)])
            if simple_path:
                lay = self.enc.lay
                sol.add([z3.Not(lay.equal(states[i], states[j]))
                         for i in range(k + 1) for j in range(i + 1, k + 1)])
            sol.add(z3.Not(J(k)))
            r = sol.check()
            if r == z3.unsat:
                return Proof("proved", f"{label} k={k}", time.monotonic() - t0,
                             f"inductive at k={k}")
            if r == z3.unknown:
                return Proof("unknown", label, time.monotonic() - t0, f"step k={k} timed out")
            if first_cti is None:
                m = sol.model()
                first_cti = [self.enc.lay.decode(m, s) for s in states]
        return Proof("failed", label, time.monotonic() - t0,
                     f"not inductive up to k={kmax}: counterexample to induction", first_cti)

    # ---------------------------------------------------------- Spacer

    def spacer(self, prop, *, timeout: float | None = None) -> Proof:
        """Spacer on Inv(s) <- Init(s); Inv(t) <- Inv(s), T(s, c, t); query Inv(s), bad."""
        t0 = time.monotonic()
        enc = self.enc
        fp = z3.Fixedpoint()
        fp.set(engine="spacer")
        if timeout is not None:
            fp.set(timeout=max(1, int(timeout * 1000)))
        s, t = enc.state("sp_s_"), enc.state("sp_t_")
        c = enc.choice("sp_c_")
        sv, tv = s.terms(), t.terms()
        inv = z3.Function("Inv", *[x.sort() for x in sv], z3.BoolSort())
        fp.register_relation(inv)
        cv = [c.kind, c.side, c.ev, c.slot, c.isn]
        fp.declare_var(*(sv + tv + cv))
        tr, step = enc.trans(s, c, t)
        fp.rule(inv(*sv), enc.init(s))
        fp.rule(inv(*tv), [inv(*sv), tr])
        J = self.invariant(prop, None, [s, t], [step])
        try:
            if prop.on_steps:
                r = fp.query(z3.And(inv(*sv), tr, z3.Not(J(1))))
            else:
                r = fp.query(z3.And(inv(*sv), z3.Not(J(0))))
        except z3.Z3Exception as e:  # e.g. canceled by the timeout
            msg = e.value.decode() if isinstance(e.value, bytes) else str(e.value)
            return Proof("unknown", "spacer", time.monotonic() - t0, f"spacer: {msg}")
        secs = time.monotonic() - t0
        if r == z3.unsat:
            return Proof("proved", "spacer", secs, "Spacer found an inductive invariant")
        if r == z3.sat:
            return Proof("failed", "spacer", secs, "Spacer reports the property reachable")
        return Proof("unknown", "spacer", secs, f"spacer: {fp.reason_unknown()}")


def describe_state(system, x: tuple) -> str:
    """One line for an explicit state: both endpoints, scripts, counters and channels."""
    parts = []
    for side, name in ((0, "A"), (1, "B")):
        v = system.machines[side].view(x[side])
        st = v.pop("state")
        tcb = " ".join(f"{k}={int(val) if isinstance(val, bool) else val}" for k, val in v.items())
        parts.append(f"{name} {st} [{tcb}] pc={x[2 + side]} inc={x[4 + side]}")
    for label, ch in (("A->B", x[9]), ("B->A", x[10])):
        segs = " ".join(f"{system.seg_text(c)}#{system.split(c)[1]}/{system.split(c)[2]}" for c in ch)
        parts.append(f"{label}: {segs or '-'}")
    parts.append(f"losses={x[6]} dups={x[7]} crashes={x[8]}")
    return "; ".join(parts)
