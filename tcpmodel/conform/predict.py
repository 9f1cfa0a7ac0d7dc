"""What a variant predicts for a case, step by step, and where the kernel's run leaves it.

The kernel side of every variant is replayed on the same stimuli (the calls, segments and
timeouts the kernel got); its outcome at each stimulus is compared with what the kernel did:
the segment it sent, the state it is in, and what the application was told.  Segments the
kernel sends on its own while a timer of the variant could send them (a retransmission, a
keep-alive) are accepted as that timer and listed, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ..endpoint import NO_SEG, EndpointMachine, Outcome
from ..spec import load_variant

SIGNAL_CLASS = {"deliver": "deliver", "reset": "reset", "refused": "reset", "aborted": "aborted"}

PASS, DIVERGE, SKIPPED, INCOMPLETE = "pass", "diverge", "skipped", "incomplete"


@dataclass
class Difference:
    index: int              # stimulus index
    step: int               # model run step number
    what: list              # "segment", "state", "signal"
    expected: dict          # sent, state, signal, rule
    observed: dict          # sent, state, signal, detail


@dataclass
class Verdict:
    variant: str
    status: str             # pass, diverge, skipped, incomplete
    first: Difference | None = None
    reason: str = ""        # skipped / incomplete: why
    timers: list = field(default_factory=list)   # (step, segment, rule) taken as timer steps
    rules: list = field(default_factory=list)    # rules the variant fired, per stimulus

    def to_json(self) -> dict:
        d = {"variant": self.variant, "status": self.status}
        if self.reason:
            d["reason"] = self.reason
        if self.first is not None:
            d["first_difference"] = dict(vars(self.first))
        if self.timers:
            d["spontaneous"] = [{"step": s, "segment": t, "rule": r} for s, t, r in self.timers]
        return d


_MACHINES: dict = {}


def machine_for(variant: str, params: dict, side: int) -> EndpointMachine:
    """The kernel side's endpoint machine of ``variant`` under the case's parameters (cached:
    its reaction table fills up as cases replay)."""
    key = (variant, repr(sorted(params.items())), side)
    m = _MACHINES.get(key)
    if m is None:
        m = _MACHINES[key] = EndpointMachine(load_variant(variant), params, "AB"[side])
    return m


def timer_sends(m: EndpointMachine, code: int) -> dict:
    """Segments the variant's timers may send in local state ``code`` without changing it
    (text -> rule id): what the kernel may send on its own there."""
    out = {}
    for ev in m.timer_events:
        for o in m.react(code, ev, NO_SEG, False):
            if o.code == code and o.send != NO_SEG:
                out.setdefault(m.seg.text(o.send), m.rules[o.rule].id)
    return out


def judge(variant: str, case, observed) -> Verdict:
    """The variant's verdict on one case run against the kernel."""
    if case.skip:
        return Verdict(variant, SKIPPED, reason=case.skip)
    m = machine_for(variant, case.params, case.side)
    code = m.initial_code
    inc = 0
    verdict = Verdict(variant, PASS)
    for i, seen in enumerate(observed.seen):
        stim = case.stimuli[i]
        outs = _react(m, code, stim, inc)
        best = None
        for chain in _chains(m, outs):
            diff = _compare(m, code, chain, seen)
            if not diff[0]:
                best = (chain, diff)
                break
            if best is None:
                best = (chain, diff)
        chain, (what, spontaneous) = best
        o = chain[0]
        rule = m.rules[o.rule].id if o.rule != NO_RULE else f"(no event '{stim.event}' here)"
        verdict.rules.append(rule)
        exp = {"sent": m.seg.text(o.send) if o.send != NO_SEG else None,
               "state": m.state_name(o.code), "signal": o.signal, "rule": rule}
        if what:
            verdict.status = DIVERGE
            verdict.first = Difference(i, stim.step, what, exp,
                                       {"sent": seen.sent, "real": seen.real, "state": seen.state,
                                        "signal": seen.signal, "detail": seen.detail})
            return verdict
        for extra in chain[1:]:
            verdict.timers.append((stim.step, m.seg.text(extra.send) if extra.send != NO_SEG
                                   else f"-> {m.state_name(extra.code)}", m.rules[extra.rule].id))
        o = chain[-1]
        verdict.timers += [(stim.step, t, r) for t, r in spontaneous]
        if m.state_of(code) == m.initial and m.state_of(o.code) != m.initial:
            inc += 1
        code = o.code
    if observed.error:
        verdict.status = INCOMPLETE
        verdict.reason = observed.error
    elif case.rule and variant == case.variant and verdict.rules and \
            len(observed.seen) == len(case.stimuli) and verdict.rules[-1] != case.rule:
        verdict.status = INCOMPLETE   # the kernel's timers took another path: not covered
        verdict.reason = (f"the kernel's run fired {verdict.rules[-1]}, not {case.rule}: "
                          "the rule was not exercised")
    elif len(observed.seen) < len(case.stimuli) and observed.stopped is None:
        verdict.status = INCOMPLETE
        verdict.reason = "the run ended early"
    return verdict


NO_RULE = -1   # the variant has no such event: it predicts that nothing happens


def _react(m: EndpointMachine, code: int, stim, inc: int) -> tuple:
    if stim.kind != "segment" and stim.event not in m.event_index:
        return (Outcome(code, NO_SEG, NO_RULE, None),)
    ev = m.event_index.get(stim.event)
    if stim.kind == "call":
        return m.react(code, ev, NO_SEG, False, inc + (m.state_of(code) == m.initial))
    if stim.kind == "segment":
        return m.react(code, m.classify(stim.seg), stim.seg, False, inc)
    # the kernel waited (2 MSL has passed too): its own timers decide which fires first, so
    # any running timer of the variant may answer, the one the run names first
    outs = list(m.react(code, ev, NO_SEG, True, inc))
    for other in m.timer_events:
        if other != ev:
            outs += [o for o in m.react(code, other, NO_SEG, True, inc)
                     if o.code != code or o.send != NO_SEG]
    return tuple(outs)


def _chains(m: EndpointMachine, outs: tuple):
    """The outcomes of a stimulus, then each followed by one timer step that changes the
    state: the kernel's timers run in real time and may fire while a stimulus is answered."""
    for o in outs:
        yield (o,)
    for o in outs:
        for ev in m.timer_events:
            for o2 in m.react(o.code, ev, NO_SEG, False):
                if o2.code != o.code:
                    yield (o, o2)


def _compare(m: EndpointMachine, code: int, chain: tuple, seen) -> tuple:
    """(what differs, segments accepted as timer steps) between the outcomes ``chain`` of a
    stimulus and what the kernel did (``seen``)."""
    what = []
    rest = list(seen.sent)
    sent_ok = True
    for o in chain:
        if o.send != NO_SEG:
            text = m.seg.text(o.send)
            if text in rest:
                rest.remove(text)
            else:
                sent_ok = False
    last = chain[-1]
    allowed = {**timer_sends(m, code), **timer_sends(m, last.code)}
    spontaneous = [(t, allowed[t]) for t in rest if t in allowed]
    if not sent_ok or len(spontaneous) < len(rest):
        what.append("segment")
    if m.state_name(last.code) != seen.state:
        what.append("state")
    if seen.observable or seen.signal is not None:
        told = {SIGNAL_CLASS.get(o.signal) for o in chain} - {None}
        if SIGNAL_CLASS.get(seen.signal) not in (told or {None}):
            what.append("signal")
    return what, spontaneous


def still_agrees(variant: str, case, seen: list) -> bool:
    """Whether the kernel's run so far (``seen``) still follows the variant: a run stops at
    the first difference, because its later stimuli assume the model's run."""
    from .case import Observed
    return judge(variant, case, Observed(seen=list(seen))).status != DIVERGE
