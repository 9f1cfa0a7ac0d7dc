"""One mutant against one check: equivalent, killed, survived, unknown or refused.

The unmutated run of a check (its *baseline*) records every reaction the endpoints computed
at reachable states (``EndpointMachine.evaluated``): which rule answered which (state, event,
segment), and which rules were tried before it. A mutant changes one rule, so its reachable
graph can differ from the baseline's only where that rule was tried. In order of cost:

1. the rule was never tried in the check: the mutant is *equivalent* for it (same graph);
2. the mutant's endpoints react as the baseline's wherever the rule was tried: equivalent;
3. no reachable state of the baseline has different labelled successors under the mutant
   (by induction over the BFS, the two reachable graphs are then identical): equivalent;
4. otherwise the check runs on the mutant, safety properties first (on a small prefix of the
   state space, then in full), liveness only if safety noticed nothing. A verdict that
   differs from the baseline's *kills* the mutant; none differing: it *survived*. A run that
   hits its state or time limit without a differing verdict is *unknown*.

Labels compare what TCP shows (the actor, event, segments received and sent, the signal, the
next state), not which rule produced it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace

from ..check import Model, build, load_check
from ..engines import explicit
from ..errors import InputError
from ..results import HOLDS, UNKNOWN, VIOLATED
from ..system import System
from .operators import Mutant, apply

PREFIX_STATES = (300, 3000)   # the first safety runs: most kills are shallow


@dataclass
class Baseline:
    """The unmutated run of one check and what the mutants are compared against."""
    name: str
    check: object               # the loaded Check (variant already forced)
    model: Model
    properties: list | None     # --property selection, as given
    verdicts: dict              # property -> verdict
    states: int
    transitions: int
    seconds: float
    exploration: object
    tried: dict = field(default_factory=dict)     # rule id -> [(side, reaction key)]
    selected: set = field(default_factory=set)    # rule ids that answered some reaction
    _by_code: dict | None = None                  # (side, local code) -> [state id]

    def summary(self) -> dict:
        """What the main process needs: verdicts, size and the rules reached."""
        return {"name": self.name, "variant": self.check.variant, "verdicts": self.verdicts,
                "states": self.states, "transitions": self.transitions,
                "seconds": round(self.seconds, 3), "tried": sorted(self.tried),
                "selected": sorted(self.selected)}

    def states_with(self, side: int, code: int) -> list:
        """Ids of the reachable states in which endpoint ``side`` has local state ``code``."""
        if self._by_code is None:
            idx: dict = {}
            for i, s in enumerate(self.exploration.states):
                idx.setdefault((0, s[0]), []).append(i)
                idx.setdefault((1, s[1]), []).append(i)
            self._by_code = idx
        return self._by_code.get((side, code), [])


def run_baseline(name: str, variant: str | None, overrides: dict,
                 properties: list | None) -> Baseline:
    """Run a check unmutated and record the reactions its reachable states use."""
    check = load_check(name, overrides=overrides, variant=variant)
    model = build(check, properties)
    model.properties = memoised(model.properties)
    t0 = time.monotonic()
    res = explicit.check(model)
    if not res.complete:
        raise InputError(f"check '{name}' did not finish ({res.stop_reason}): mutation needs "
                         "complete baselines", fix="drop the limit or make the check smaller")
    base = Baseline(name, check, model, properties, {p.name: p.verdict for p in res.properties},
                    res.states, res.transitions, time.monotonic() - t0, res._exploration)
    for side, m in enumerate(model.system.machines):
        for key, outs in m.evaluated():
            cands = m.candidates(m.state_of(key[0]), key[1])
            chosen = outs[0].rule
            base.selected.add(m.rules[chosen].id)
            for k in cands[:cands.index(chosen) + 1]:
                base.tried.setdefault(m.rules[k].id, []).append((side, key))
    return base


MEMO_LIMIT = 1_000_000


def memoised(props: list) -> list:
    """The properties, answering from a memo per situation (state, terminal, previous state,
    action): mutants share most situations with the baseline and with each other. The state
    and the step properties each share one memo of all their answers, filled at once."""
    out = list(props)
    for group in ([p for p in props if p.kind in ("always", "sometimes") and not p.on_steps],
                  [p for p in props if p.kind in ("always", "sometimes") and p.on_steps]):
        tests = tuple(p.test for p in group)
        memo: dict = {}
        last = [None, None]

        def answers(env, tests=tests, memo=memo, last=last):
            if env is last[0]:
                return last[1]
            r = memo.get(env)
            if r is None:
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()
                r = memo[env] = tuple(t(env) for t in tests)
            last[0], last[1] = env, r
            return r
        for i, p in enumerate(group):
            out[props.index(p)] = dc_replace(p, test=lambda env, i=i, a=answers: a(env)[i])
    return out


def _outcomes(outs) -> frozenset:
    return frozenset((o.code, o.send, o.signal) for o in outs)


def differing_reactions(base: Baseline, model: Model, mutant: Mutant) -> set:
    """(side, local code) of the reactions, among those where the rule was tried, that the
    mutant answers differently (or with a different reading of msl_expired)."""
    out = set()
    for side, key in base.tried.get(mutant.rule, ()):
        old, new = base.model.system.machines[side], model.system.machines[side]
        pair = (old.state_of(key[0]), key[1])
        if (pair in old.uses_msl) != (pair in new.uses_msl) \
                or _outcomes(old.react_key(key)) != _outcomes(new.react_key(key)):
            out.add((side, key[0]))
    return out


def _label(act) -> tuple:
    o = act.out
    return (act.kind, act.side, act.event, act.seg, act.sent, act.overflow, act.stale,
            None if o is None else (o.code, o.send, o.signal))


def first_different_state(base: Baseline, model: Model, codes: set):
    """A reachable state of the baseline whose labelled successors differ under the mutant
    (the one found first in BFS order), or None: then the reachable graphs are identical."""
    ids = sorted({i for side, code in codes for i in base.states_with(side, code)})
    old, new = base.model.system, model.system
    for i in ids:
        s = base.exploration.states[i]
        a = Counter((_label(x), t) for x, t in old.successors(s))
        b = Counter((_label(x), t) for x, t in new.successors(s))
        if a != b:
            return s
    return None


@dataclass
class Outcome:
    """A mutant's result on one check."""
    status: str                  # equivalent, killed, survived, unknown, refused
    why: str = ""
    killed_by: list = field(default_factory=list)   # [(property, baseline verdict, mutant verdict)]
    states: int | None = None
    seconds: float = 0.0

    def to_json(self) -> dict:
        d = {"status": self.status}
        if self.why:
            d["why"] = self.why
        if self.killed_by:
            d["killed_by"] = [{"property": p, "was": a, "now": b} for p, a, b in self.killed_by]
        if self.states is not None:
            d["states"] = self.states
        d["seconds"] = round(self.seconds, 3)
        return d


def mutant_model(base: Baseline, spec) -> Model:
    """The check on the mutated variant. The baseline's compiled rules, scripts and properties
    are reused (the layout of states is the same); properties that read ``step.rule`` are
    compiled again (a deleted rule shifts the rule numbers)."""
    check = dc_replace(base.check, spec=spec)
    if any("step.rule" in p.reads for p in base.model.properties):
        return build(check, base.properties, reuse=base.model.system)
    old = base.model.system
    return Model(check, System(spec, check.params, old.scripts, old.attacker, reuse=old), base.model.properties)


def safety_verdicts(model: Model, props: list, limit: int, timeout: float | None):
    """Verdicts of safety properties from one search (no traces are built): (verdicts, search)."""
    ex = explicit.explore(model.system, props, max_states=limit, timeout=timeout)
    verdicts = {}
    for p in props:
        if p.name in ex.found:
            verdicts[p.name] = VIOLATED if p.kind == "always" else HOLDS
        elif ex.complete:
            verdicts[p.name] = HOLDS if p.kind == "always" else VIOLATED
        else:
            verdicts[p.name] = UNKNOWN
    return verdicts, ex


class Trial:
    """A mutant on one check, run stage by stage (cheapest first) until a stage decides."""

    def __init__(self, base: Baseline, mutant: Mutant, *, max_states: int,
                 timeout: float | None):
        self.base, self.mutant = base, mutant
        self.max_states, self.timeout = max_states, timeout
        self.seconds = 0.0
        self.outcome: Outcome | None = None
        self.model = None
        self.safety_done = False

    def _timed(self, fn) -> Outcome | None:
        t0 = time.monotonic()
        try:
            out = fn()
        except InputError as e:   # e.g. a dropped guard lets a counter leave its range
            out = Outcome("refused", str(e))
        self.seconds += time.monotonic() - t0
        if out is not None:
            out.seconds = self.seconds
            self.outcome = out
        return out

    def step(self, stage: str) -> Outcome | None:
        """Run one stage of STAGES unless an earlier one decided."""
        if self.outcome is not None:
            return self.outcome
        return self._timed(getattr(self, "_" + stage))

    def _analyse(self):
        base, mutant = self.base, self.mutant
        if mutant.rule not in base.tried:
            return Outcome("equivalent", "the rule is never reached in this check")
        model = mutant_model(base, apply(base.check.spec, mutant))
        codes = differing_reactions(base, model, mutant)
        if not codes:
            return Outcome("equivalent", "same reactions wherever the check reaches the rule")
        if first_different_state(base, model, codes) is None:
            return Outcome("equivalent", "no reachable step changes")
        self.model = model
        return None

    def _safety_run(self, limit: int):
        if self.safety_done:
            return None
        props = [p for p in self.model.properties if p.kind in ("always", "sometimes")]
        verdicts, ex = safety_verdicts(self.model, props, min(limit, self.max_states),
                                       self.timeout)
        self.safety_done = ex.complete
        return self._judge(verdicts, ex)

    def _shallow(self):
        return self._safety_run(PREFIX_STATES[0])

    def _prefix(self):
        return self._safety_run(PREFIX_STATES[1])

    def _safety(self):
        return self._safety_run(self.max_states)

    def _liveness(self):
        live = [p for p in self.model.properties if p.kind not in ("always", "sometimes")]
        if live:
            m = self.model
            res = explicit.check(Model(m.check, m.system, live), max_states=self.max_states,
                                 timeout=self.timeout)
            out = self._judge({p.name: p.verdict for p in res.properties}, res._exploration)
            if out is not None:
                return out
        return Outcome("survived", "every verdict as without the mutant")

    def _judge(self, verdicts: dict, ex) -> Outcome | None:
        base = self.base.verdicts
        killed = [(n, base[n], v) for n, v in verdicts.items() if v != UNKNOWN and v != base[n]]
        states = len(ex.states)
        if killed:
            return Outcome("killed", killed_by=killed, states=states)
        if ex.stop_reason == "timeout" or (not ex.complete and states >= self.max_states):
            return Outcome("unknown", f"stopped ({ex.stop_reason}) after {states:,} states",
                           states=states)
        return None


STAGES = ("analyse", "shallow", "prefix", "safety", "liveness")


def evaluate(base: Baseline, mutant: Mutant, *, max_states: int, timeout: float | None) -> Outcome:
    """The mutant's status on this check (see the module docstring for the steps)."""
    t = Trial(base, mutant, max_states=max_states, timeout=timeout)
    for stage in STAGES:
        out = t.step(stage)
        if out is not None:
            return out
    raise AssertionError("the liveness stage always decides")  # pragma: no cover
