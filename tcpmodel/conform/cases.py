"""Model runs to conformance cases: which endpoint the kernel plays, the stimuli it gets, what
the model expects, and whether the kernel can take part at all (and if not, why)."""

from __future__ import annotations

from ..endpoint import NO_SEG
from ..system import INCA, SIDES
from ..trace import build_trace
from .case import Case, Expected, Stimulus
from .kernel import SLOW_TIMERS, TIMER_WAIT
from .seqmap import NO_ISS, Context

# an attacker's forged segment that reaches the kernel side is one more segment the tester sends
KINDS = {"call": "call", "rcv": "segment", "timer": "timer", "inject": "segment"}


def kernel_step(act, side: int) -> bool:
    """Whether the kernel playing ``side`` takes this step: its calls, arrivals, timers and
    crashes, and forged segments that reach it (an inject step with the receiver's outcome; the
    generator's inject that only puts a segment in flight has none, its arrival is a rcv)."""
    if act.side != side:
        return False
    return act.kind in ("call", "rcv", "timer", "crash") or (act.kind == "inject"
                                                             and act.out is not None)


def unsupported(kind: str, event: str, state: str) -> str | None:
    """Why the kernel cannot take this step of the model in ``state`` (None: it can)."""
    if kind == "crash":
        return "the kernel cannot be made to lose a TCB (crash)"
    if kind == "call" and event not in ("open_active", "open_passive", "send", "close", "abort"):
        return f"the socket API has no call for the model's '{event}'"
    if kind == "timer" and event not in TIMER_WAIT:
        return f"the harness cannot make the kernel take the timer '{event}'"
    return None


def _budget(m, act, event: str, state: str) -> str | None:
    """A SEND the model refuses only because its data budget is spent (``data`` octets per
    connection) bounds the model, not TCP: the kernel's send() has no such limit."""
    if act.kind != "call" or act.out is None or act.out.send != NO_SEG:
        return None
    senders = [r for r in m.spec.rules_for(state, event) if r.send is not None and r.send.data]
    if senders:
        return (f"the model's data budget (data = {m.params['data']} octet(s) per connection) "
                "is spent: the kernel's send() has no such bound")
    return None


def slow_reason(kind: str, event: str) -> str | None:
    """Why a step needs a long wait (only run with --slow)."""
    return SLOW_TIMERS.get(event) if kind == "timer" else None


def context(m, code: int, inc: int) -> Context:
    """The kernel side's model TCB as the sequence-number map needs it."""
    v = m.view(code)
    if v["state"] not in NO_ISS:
        iss = v.get("iss", 0)
    else:
        choices = m.iss_choices
        k = min(max(inc, 1), len(choices)) - 1 if len(choices) > 1 else 0
        iss = choices[k][0]
    return Context(v["state"], v.get("rcv_nxt", 0), v.get("snd_una", 0), inc, iss)


def variant_ref(spec) -> str:
    """How to load ``spec`` again: its name if it is the shipped variant of that name, else the
    path of its (last) file."""
    from pathlib import Path

    from ..spec import specs_dir
    shipped = specs_dir() / f"{spec.name}.toml"
    if shipped.exists() and Path(spec.files[-1]).resolve() == shipped.resolve():
        return spec.name
    return str(spec.files[-1])


def case_from_run(system, start: tuple, moves: list, side: int, *, name: str, origin: str,
                  rule: str | None = None) -> Case:
    """The case in which the kernel plays endpoint ``side`` of this model run."""
    m = system.machines[side]
    trace = build_trace(system, start, moves)
    case = Case(name, origin, variant_ref(system.spec), side, dict(system.params), trace,
                rule=rule)
    prev = start
    for i, (act, nxt) in enumerate(moves, start=1):
        if kernel_step(act, side):
            event = system.event_name(act)
            state = m.state_name(prev[side])
            why = unsupported(act.kind, event, state) or _budget(m, act, event, state)
            if why and case.skip is None:
                case.skip = f"step {i}: {why}"
            if slow_reason(act.kind, event):
                case.slow = True
            if act.kind != "crash":
                seg = system.split(act.seg)[0] if KINDS[act.kind] == "segment" else None
                case.stimuli.append(Stimulus(
                    KINDS[act.kind], event, i,
                    context(m, prev[side], prev[INCA + side]),
                    context(m, nxt[side], nxt[INCA + side]),
                    seg, m.seg.text(seg) if seg is not None else ""))
                case.expected.append(Expected(
                    system.seg_text(act.sent) if act.sent >= 0 else None,
                    m.state_name(nxt[side]), act.out.signal if act.out else None,
                    system.rule_id(act)))
        prev = nxt
    if not case.stimuli and case.skip is None:
        case.skip = f"the run has no step of {SIDES[side]} for the kernel to take"
    return case
