"""Houdini: the largest inductive subset of candidate invariants, and the part of it a
property needs (the second half of inference; candidates come from ``engines/mining.py``).

Candidates are formulas of the property language.  Houdini drops every candidate that fails
in the initial state, then repeats: find a well-formed state satisfying every remaining
candidate (and the properties being proved) with a step to a state that violates some
candidate; drop those.  What remains is inductive: it holds initially and every step from a
state satisfying it keeps it, so it holds in every reachable state, at the parameters of the
encoding (e.g. seq_space = 2^32), however the candidates were found.

A property (``always P``) takes part as a protected candidate: if a step from the remaining
candidates violates it, it cannot be proved from them, and the result says why: the candidates
dropped in the last rounds and that counterexample to induction (two states and the step).
Step properties (reading ``step.*``) are checked against the final set.

The proved set is then cut down to what the properties need: the unsat cores of the
inductiveness queries, closed under "needed to keep a needed candidate", give a smaller set
that is still inductive and still implies the properties.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import z3

from ... import expr as E
from .encoding import Encoding
from .formulas import PropertyTerms


@dataclass
class Outcome:
    """What Houdini found for one property."""
    name: str
    proved: bool
    needed: list = field(default_factory=list)       # candidate texts the proof uses
    reason: str = ""
    dropped_last: list = field(default_factory=list)  # texts dropped in the last rounds
    cti: list = field(default_factory=list)           # [state, state] (explicit tuples)
    step: tuple | None = None                         # (kind, side, event, slot) of the CTI


@dataclass
class HoudiniRun:
    outcomes: dict                   # property name -> Outcome
    survivors: list                  # texts of the inductive subset
    candidates: int = 0
    dropped_initial: int = 0
    rounds: int = 0
    seconds: float = 0.0
    stop_reason: str | None = None   # a time limit, or None


class Houdini:
    def __init__(self, enc: Encoding, pt: PropertyTerms | None = None):
        self.enc = enc
        self.pt = pt or PropertyTerms(enc)
        self.s, self.c, self.t = enc.state("hd_s_"), enc.choice("hd_c_"), enc.state("hd_t_")
        self.tr, self.step = enc.trans(self.s, self.c, self.t)

    def _terms(self, node):
        return self.pt.predicate(node, self.s), self.pt.predicate(node, self.t)

    def run(self, texts: list[str], props: list, *, timeout: float | None = None,
            progress=None, batch: int = 64) -> HoudiniRun:
        """Houdini over ``texts``, then the (always/sometimes) ``props`` against what is left.

        Phase 1 prunes the candidates alone (no property assumed: cheaper queries, and a
        property that reads ``terminal`` would make every query carry the guard of every
        action).  A state property implied by the result is proved; one that is not is tried
        as a protected candidate (phase 2: it may itself be what keeps candidates inductive).
        Step properties are checked against the final set."""
        t0 = time.monotonic()
        enc, pt = self.enc, self.pt
        pre, post = [], []
        for text in texts:
            a, b = self._terms(E.parse(text))
            pre.append(a)
            post.append(b)
        state_props = [p for p in props if not p.on_steps]
        reads_terminal = {p.name for p in state_props if p.uses_terminal}
        step_props = [p for p in props if p.on_steps]
        prop_terms, prop_texts = {}, {}
        for p in state_props:
            body = pt.formula(p).body
            a, b = self._terms(body.node)
            text = " ".join(body.text.split())
            if p.kind == "sometimes":  # no witness: always not P
                a, b, text = z3.Not(a), z3.Not(b), f"not ({text})"
            prop_terms[p.name] = (a, b)
            prop_texts[p.name] = text

        # base: the initial state is one concrete state; evaluate everything there
        sol0 = z3.SolverFor("QF_BV")
        sol0.add(enc.init(self.s))
        sol0.check()
        m0 = sol0.model()

        def holds0(term):
            return z3.is_true(m0.eval(term, model_completion=True))
        alive = [i for i in range(len(texts)) if holds0(pre[i])]
        outcomes = {p.name: Outcome(p.name, False) for p in props}
        pending = []
        for name, (a, _) in prop_terms.items():
            if holds0(a):
                pending.append(name)
            else:
                outcomes[name].reason = "it fails in the initial state"
        res = HoudiniRun(outcomes, [], len(texts), len(texts) - len(alive))

        lits = [z3.Bool(f"hd_cand_{i}") for i in range(len(texts))]
        plits = {name: z3.Bool(f"hd_prop_{name}") for name in prop_terms}
        sol = z3.SolverFor("QF_BV")       # one step: s -> t
        sol.set("core.minimize", True)
        sol.add(enc.wellformed(self.s), self.tr)
        one = z3.SolverFor("QF_BV")       # one state: s (terminal states included)
        one.set("core.minimize", True)
        one.add(enc.wellformed(self.s))
        for i, lit in enumerate(lits):
            sol.add(z3.Implies(lit, pre[i]))
            one.add(z3.Implies(lit, pre[i]))
        for name, lit in plits.items():
            sol.add(z3.Implies(lit, prop_terms[name][0]))
        history: list = []   # texts dropped per round
        pre_of = {lit.get_id(): pre[i] for i, lit in enumerate(lits)}
        pre_of.update({lit.get_id(): prop_terms[n][0] for n, lit in plits.items()})

        def goals_pre(assumed):
            return [pre_of[a.get_id()] for a in assumed]

        def left():
            return None if timeout is None else timeout - (time.monotonic() - t0)

        def check(solver, assumed, goals, fresh=False):
            """A model violating some goal under the assumptions, or None (unsat); raises
            TimeoutError.  ``fresh``: a new solver with the assumptions asserted (measured:
            an incremental solver's queries slow down to tens of seconds as Houdini goes on,
            a fresh one answers in about a second)."""
            rest = left()
            if rest is not None and rest <= 0:
                raise TimeoutError
            if fresh:
                f = z3.SolverFor("QF_BV")
                if rest is not None:
                    f.set("timeout", max(1, int(rest * 1000)))
                f.add(enc.wellformed(self.s), self.tr, *goals_pre(assumed), z3.Or(goals))
                r = f.check()
                res.rounds += 1
                if r == z3.unknown:
                    raise TimeoutError(f.reason_unknown())
                return (f.model() if r == z3.sat else None), None
            solver.set("timeout", 4294967295 if rest is None else max(1, int(rest * 1000)))
            q = z3.FreshBool("hd_goal")
            solver.add(z3.Implies(q, z3.Or(goals)))
            r = solver.check(*assumed, q)
            mod = solver.model() if r == z3.sat else None
            core = solver.unsat_core() if r == z3.unsat else None
            solver.add(z3.Not(q))  # retire the goal (after reading the model or core)
            res.rounds += 1
            if r == z3.unknown:
                raise TimeoutError(solver.reason_unknown())
            return mod, core

        def sweeps(live: list) -> None:
            """Drop candidates until a sweep over all of them (and the protected properties
            ``live``) drops none; a failing property leaves ``live`` with its CTI."""
            nonlocal alive
            while True:
                dropped = False
                for start in range(0, len(alive), batch):
                    group = alive[start:start + batch]
                    while group:
                        assumed = [lits[i] for i in alive] + [plits[n] for n in live]
                        mod, _ = check(sol, assumed, [z3.Not(post[i]) for i in group], True)
                        if mod is None:
                            break
                        dead = {i for i in alive
                                if not z3.is_true(mod.eval(post[i], model_completion=True))}
                        history.append([texts[i] for i in sorted(dead)])
                        alive = [i for i in alive if i not in dead]
                        group = [i for i in group if i not in dead]
                        dropped = True
                        if progress:
                            progress(res.rounds, len(alive))
                while live:
                    assumed = [lits[i] for i in alive] + [plits[n] for n in live]
                    mod, _ = check(sol, assumed, [z3.Not(prop_terms[n][1]) for n in live], True)
                    if mod is None:
                        break
                    cti = [enc.lay.decode(mod, self.s), enc.lay.decode(mod, self.t)]
                    last = [t for rnd in history[-2:] for t in rnd]
                    for n in list(live):
                        if not z3.is_true(mod.eval(prop_terms[n][1], model_completion=True)):
                            o = outcomes[n]
                            o.reason = ("a step from a state satisfying every remaining "
                                        "candidate and the property violates it")
                            o.dropped_last, o.cti, o.step = last, cti, self._step_of(mod)
                            live.remove(n)
                    dropped = True
                if not dropped:
                    return

        try:
            sweeps([])
            res.survivors = [texts[i] for i in alive]
            items = {lits[i].get_id(): (lits[i], texts[i], post[i]) for i in alive}
            protect = []
            for n in pending:
                mod, core = check(one, [lits[i] for i in alive], [z3.Not(prop_terms[n][0])])
                if mod is not None and n in reads_terminal:
                    # a dead end the candidates allow: as a protected candidate the property
                    # would put the guard of every action into every query, and a fact about
                    # dead ends rarely keeps other candidates inductive; report the state
                    o = outcomes[n]
                    o.reason = ("the inductive candidates allow a state where it fails (a dead "
                                "end they do not rule out)")
                    o.cti = [enc.lay.decode(mod, self.s)]
                    o.dropped_last = [t for rnd in history[-2:] for t in rnd]
                    continue
                if mod is not None:
                    protect.append(n)
                    continue
                first = [c.get_id() for c in core if c.get_id() in items]
                need = self._closure(sol, items, first)
                o = outcomes[n]
                o.proved, o.needed = need is not None, need or []
            if protect:  # phase 2: the properties not implied, as protected candidates
                live = list(protect)
                sweeps(live)
                res.survivors = [texts[i] for i in alive]
                items = {lits[i].get_id(): (lits[i], texts[i], post[i]) for i in alive}
                for n in live:
                    items[plits[n].get_id()] = (plits[n], prop_texts[n], prop_terms[n][1])
                for n in live:
                    need = self._closure(sol, items, [plits[n].get_id()])
                    o = outcomes[n]
                    o.proved = need is not None
                    o.needed = [t for t in (need or []) if t != prop_texts[n]]
            for p in step_props:
                self._step_property(p, sol, items, outcomes[p.name], history)
        except TimeoutError as err:
            res.stop_reason = f"solver: {err}" if str(err) else "time limit"
        res.seconds = time.monotonic() - t0
        return res

    def _closure(self, sol, items: dict, first: list):
        """Texts of the items (literal id -> (literal, text, post term)) needed by the items
        ``first`` (literal ids), closed under 'needed to keep a needed item inductive' with
        unsat cores: what is returned holds initially (every item does) and is inductive.
        None if a query is not unsat."""
        assumptions = [lit for lit, _, _ in items.values()]
        order = {k: j for j, k in enumerate(items)}
        need = set(first)
        todo = [z3.Not(items[k][2]) for k in need]
        while todo:
            q = z3.FreshBool("hd_core")
            sol.add(z3.Implies(q, z3.Or(todo)))
            r = sol.check(*assumptions, q)
            core = sol.unsat_core() if r == z3.unsat else []
            sol.add(z3.Not(q))
            if r != z3.unsat:
                return None
            new = {c.get_id() for c in core if c.get_id() in items} - need
            need |= new
            todo = [z3.Not(items[k][2]) for k in new]
        return [items[k][1] for k in sorted(need, key=order.__getitem__)]

    def _step_property(self, p, sol, items, out, history):
        """A step property against the final set: no step from it violates the property."""
        body = self.pt.formula(p).body.node
        ok = self.pt.predicate(body, self.t, self.s, self.step)
        q = z3.FreshBool("hd_stepprop")
        sol.add(z3.Implies(q, z3.Not(ok)))
        r = sol.check(*[lit for lit, _, _ in items.values()], q)
        mod = sol.model() if r == z3.sat else None
        core = sol.unsat_core() if r == z3.unsat else []
        sol.add(z3.Not(q))
        if r == z3.unsat:
            first = [c.get_id() for c in core if c.get_id() in items]
            need = self._closure(sol, items, first)
            out.proved = need is not None
            out.needed = need or []
            if need is None:
                out.reason = "the proved set does not re-prove it (solver gave no answer)"
        elif r == z3.sat:
            out.reason = "a step from a state satisfying every remaining candidate violates it"
            out.cti = [self.enc.lay.decode(mod, self.s), self.enc.lay.decode(mod, self.t)]
            out.step = self._step_of(mod)
            out.dropped_last = [t for rnd in history[-2:] for t in rnd]
        else:
            out.reason = f"solver: {sol.reason_unknown()}"

    def _step_of(self, mod) -> tuple:
        c = self.c
        return tuple(mod.eval(x, model_completion=True).as_long()
                     for x in (c.kind, c.side, c.ev, c.slot))
