"""The endpoint's transitions, read off the rule data (never drawn by hand).

A rule fires in each of its states; it moves to the state its ``next`` names (a literal, or
each branch of a conditional ``next``) or stays where it is.  Every (rule, state, next state)
is one :class:`Transition`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import expr as E
from ..endpoint import CTL_ORDER
from ..errors import InputError


@dataclass(frozen=True)
class Transition:
    rule: str
    src: str
    dst: str
    events: tuple
    guard: str | None      # the rule's `when`, and the branch condition of a conditional `next`
    send: str | None       # control flags of the segment sent, e.g. "SYN,ACK"; "data" for data
    signal: str | None
    note: str
    main: bool             # listed in [diagram] main: the RFC's figure draws it
    silent: bool = False   # does nothing on calls/timeouts only: never a step of a search

    @property
    def loop(self) -> bool:
        return self.src == self.dst


def transitions(spec) -> list[Transition]:
    """Every (rule, state, next state) of a variant, in rule order then state order.

    A rule never fires for a (state, event) that an earlier rule without ``when`` takes
    (rules are tried in file order): such events are left out, and a rule left with no event
    in a state has no transition there (rfc1337's TIME-WAIT rule hides ``closing-rst``)."""
    main = set(spec.diagram.main) if spec.diagram else set()
    first_total: dict = {}    # (state, event) -> index of the first rule without `when`
    for i, r in enumerate(spec.rules):
        if r.when is None:
            for s in r.states:
                for e in r.events:
                    first_total.setdefault((s, e), i)
    out = []
    for i, r in enumerate(spec.rules):
        send = None
        if r.send is not None:
            flags = [f for f in CTL_ORDER if f in r.send.flags]
            send = ",".join(flags + (["data"] if r.send.data else []))
        for s in r.states:
            events = tuple(e for e in r.events if first_total.get((s, e), i) >= i)
            if not events:
                continue
            for dst, cond in next_states(r, s, spec):
                guard = " and ".join(g for g in (r.when.text.strip() if r.when else None, cond) if g)
                silent = r.is_noop and all(spec.event_kind(e) != "segment" for e in events)
                out.append(Transition(r.id, s, dst, events, " ".join(guard.split()) or None,
                                      send, r.signal, r.note,
                                      r.id in main or r.replaces in main, silent))
    return out


def next_states(rule, state: str, spec) -> list[tuple]:
    """[(next state, branch condition or None)] of ``rule`` fired in ``state``."""
    if rule.next is None:
        return [(state, None)]
    macros = {k: t.node for k, t in spec.defines.items()}
    out: list = []

    def go(node, cond, seen):
        if isinstance(node, E.Str):
            out.append((node.value, cond))
        elif isinstance(node, E.Cond):
            test = E.to_text(node.test)
            go(node.then, _and(cond, test), seen)
            go(node.other, _and(cond, f"not {test}" if _atomic(node.test) else f"not ({test})"),
               seen)
        elif isinstance(node, E.Name) and node.dotted == "state":
            out.append((state, cond))
        elif isinstance(node, E.Name) and node.dotted in macros and node.dotted not in seen:
            go(macros[node.dotted], cond, seen | {node.dotted})
        else:
            raise rule.src.error("cannot tell the next states of this 'next' for a diagram", "next",
                                 "write state names, or if C then 'STATE' else 'STATE'")

    go(rule.next.node, None, frozenset())
    for dst, _ in out:
        if dst not in spec.states:
            raise InputError(f"next state '{dst}' is not a state", file=rule.src.file,
                             where=rule.src.where("next"))
    return list(dict.fromkeys(out))


def _and(a, b):
    return f"{a} and {b}" if a else b


def _atomic(node) -> bool:
    return isinstance(node, (E.Name, E.Call, E.Lit))


def event_text(events: tuple, labels: dict) -> str:
    """``rcv SYN``; several events share their first word: ``rcv ACK|data|FIN``."""
    texts = [labels.get(e, e) for e in events]
    heads = {t.split(" ", 1)[0] for t in texts}
    if len(texts) > 1 and len(heads) == 1 and all(" " in t for t in texts):
        head = heads.pop()
        return head + " " + "|".join(t.split(" ", 1)[1] for t in texts)
    return "|".join(texts)


def label(t: Transition, labels: dict, *, guards: bool = True) -> str:
    """``event / action`` as RFC 9293 Figure 5 writes it: ``rcv SYN / snd SYN,ACK``; ``x`` = none."""
    ev = event_text(t.events, labels)
    if guards and t.guard:
        ev += f" [{t.guard}]"
    return f"{ev} / {'snd ' + t.send if t.send else 'x'}"
