"""Two variants on one state diagram: transitions added, removed and changed.

A transition is a (rule, state, next state) of :mod:`.transitions`.  One that exists in both
variants is *changed* when its rule reads differently: its ``when``, ``set``, ``send``,
``next`` or ``signal`` text, or any ``[define]`` it uses (as rfc793's ``synrcvd_ack_ok``).
Unchanged transitions are drawn grey only where the RFC figure draws them (context).
"""

from __future__ import annotations

from .. import expr as E
from ..errors import InputError
from .fsm import fsm_dot
from .transitions import transitions

COLOURS = {"added": ("#1e8449", False), "removed": ("#c0392b", True),
           "changed": ("#b9770e", False), "same": ("#a6a6a6", False)}


def diff_transitions(old, new) -> list[tuple]:
    """[(transition, status, detail)]: status added / removed / changed / same; new's first."""
    if tuple(old.states) != tuple(new.states) and set(old.states) != set(new.states):
        raise InputError(f"variants {old.name} and {new.name} have different states",
                         where="diagram --diff", fix="compare variants of the same base file")
    told = {(t.rule, t.src, t.dst): t for t in transitions(old)}
    tnew = {(t.rule, t.src, t.dst): t for t in transitions(new)}
    rules_old = {r.id: r for r in old.rules}
    rules_new = {r.id: r for r in new.rules}
    out = []
    for key, t in tnew.items():
        if key not in told:
            out.append((t, "added", f"only in {new.name}"))
            continue
        diffs = _rule_diff(rules_old[t.rule], old, rules_new[t.rule], new)
        out.append((t, "changed" if diffs else "same", "; ".join(diffs)))
    for key, t in told.items():
        if key not in tnew:
            out.append((t, "removed", f"only in {old.name}"))
    return out


def _rule_diff(a, spec_a, b, spec_b) -> list[str]:
    """What reads differently in rule ``a`` of one variant and ``b`` of the other."""
    out = []
    for what, x, y in (("when", _t(a.when), _t(b.when)), ("next", _t(a.next), _t(b.next)),
                       ("set", [(k, _t(v)) for k, v in a.assign], [(k, _t(v)) for k, v in b.assign]),
                       ("send", _send(a.send), _send(b.send)), ("signal", a.signal, b.signal),
                       ("state", a.states, b.states), ("event", a.events, b.events)):
        if x != y:
            out.append(f"{what} differs")
    da, db = _defines_used(a, spec_a), _defines_used(b, spec_b)
    for name in sorted(set(da) | set(db)):
        if da.get(name) != db.get(name):
            out.append(f"[define] {name} differs")
    return out


def _t(text):
    return " ".join(text.text.split()) if text is not None else None


def _send(s):
    return None if s is None else (_t(s.seq), _t(s.ack), tuple(sorted(s.flags)), s.data)


def _defines_used(rule, spec) -> dict:
    """name -> text of every definition the rule reads, directly or through another one."""
    macros = {k: t.node for k, t in spec.defines.items()}
    texts = [t for t in (rule.when, rule.next) if t] + [t for _, t in rule.assign]
    if rule.send:
        texts += [t for t in (rule.send.seq, rule.send.ack) if t]
    seen: dict = {}
    todo = [n for t in texts for n in E.names_used(t.node)]
    while todo:
        n = todo.pop()
        if n in macros and n not in seen:
            seen[n] = _t(spec.defines[n])
            todo.extend(E.names_used(macros[n]))
    return seen


def diff_dot(old, new, *, loops: bool = True) -> str:
    """DOT text of the diff diagram of variants ``old`` and ``new`` (laid out as ``new``)."""
    rows = diff_transitions(old, new)
    status = {id(t): (s, d) for t, s, d in rows}
    shown = [t for t, s, _ in rows
             if s != "same" and (loops or not t.loop) or (s == "same" and t.main and not t.loop)]

    def style(t):
        s, detail = status[id(t)]
        colour, dashed = COLOURS[s]
        return (s if s == "same" else f"{s}: {detail}", colour, dashed)

    n = {s: sum(1 for _, x, _ in rows if x == s) for s in COLOURS}
    title = (f"{old.name} -> {new.name}: {n['added']} transitions added (green), "
             f"{n['removed']} removed (red, dashed), {n['changed']} changed (orange)\n"
             "grey: unchanged transitions of the RFC figure, for orientation")
    return fsm_dot(new, edges=shown, style=style, title=title, tag=True)
