"""Mermaid text: ``stateDiagram-v2`` of a variant's rules, ``sequenceDiagram`` of a trace.

Mermaid cannot slant an arrow across steps, so a segment is drawn when it arrives (or is
lost), labelled with the step that sent it.  Every step writes exactly one line numbered
``N.``; user text is written with Mermaid's entity codes, so it never becomes markup.
"""

from __future__ import annotations

from .flight import flights
from .fsm import select
from .transitions import label

_ENTITIES = {"&": "#amp;", "<": "#lt;", ">": "#gt;", '"': "#quot;", "#": "#35;", ";": "#59;",
             ":": "#58;", "{": "#123;", "}": "#125;"}


def text(s) -> str:
    """User text made inert for Mermaid (entity codes; newlines become spaces)."""
    return "".join(_ENTITIES.get(c, c) for c in " ".join(str(s).split()))


def fsm_mermaid(spec, *, main_only: bool = False, loops: bool = True) -> str:
    """``stateDiagram-v2`` of the variant: one edge per (state, next state), labels joined."""
    ids = {s: f"s{i}" for i, s in enumerate(spec.states)}
    labels = spec.diagram.labels if spec.diagram else {}
    out = ["stateDiagram-v2"]
    out += [f'    state "{text(s)}" as {ids[s]}' for s in spec.states]
    out.append(f"    [*] --> {ids[spec.initial]}")
    edges: dict = {}
    for t in select(spec, main_only=main_only, loops=loops):
        edges.setdefault((t.src, t.dst), []).append(label(t, labels))
    for (a, b), texts in edges.items():
        out.append(f"    {ids[a]} --> {ids[b]} : " + "<br/>".join(text(x) for x in dict.fromkeys(texts)))
    return "\n".join(out) + "\n"


def trace_mermaid(trace, title: str = "") -> str:
    """``sequenceDiagram`` of a trace: arrivals and losses as arrows, the rest as notes."""
    origin = {}
    for f in flights(trace):
        if f.end is not None:
            origin[(f.end, f.sender, f.text)] = f
    out = ["sequenceDiagram"]
    if title:
        out.append(f"    title {text(title)}")
    out += ["    participant A as TCP A", "    participant B as TCP B",
            f"    Note over A,B: 0. A {text(trace.initial_a)}, B {text(trace.initial_b)}"]
    for row, st in enumerate(trace.steps, start=1):
        if trace.loop_start is not None and row == trace.loop_start + 1:
            out.append("    loop the loop repeats forever")
        out.append("    " + _step(row, st, origin))   # a sent segment's arrow comes on arrival
    if trace.loop_start is not None:
        out.append("    end")
    return "\n".join(out) + "\n"


def _step(row: int, st, origin: dict) -> str:
    who = (st.actor if st.actor in ("A", "B") else
           st.direction[-1] if st.kind == "inject" else (st.direction or "A->B")[0])
    what = st.note.split(": ", 1)[1] if ": " in st.note else (st.note or st.event)
    state = st.a if who == "A" else st.b
    effect = f"{who} {state}" + (f", sends {st.sent}" if st.sent else "")
    if st.overflow:
        effect += " (dropped: channel full)"
    tags = [t for t in (st.rule, st.signal and f"signal: {st.signal}") if t]
    effect += f" [{', '.join(tags)}]" if tags else ""
    if st.kind == "rcv":
        sender = st.direction.split("->")[0]
        f = origin.get((row, sender, st.received))
        came = f" (sent at step {f.sent})" if f is not None and not f.unseen else ""
        stale = " STALE" if st.stale else ""
        arrow = "-->>" if st.stale else "->>"
        return f"{sender}{arrow}{who}: {row}. {text(st.received + came + stale + ' - ' + effect)}"
    if st.kind in ("loss", "drop"):
        sender = st.direction.split("->")[0]
        how = "lost" if st.kind == "loss" else "dropped by the attacker"
        return f"{sender}-x{'B' if sender == 'A' else 'A'}: {row}. {text(st.moved)} {how}"
    if st.kind == "inject":
        sender = st.direction.split("->")[0]
        if st.received is None:   # forged and left in flight
            return f"Note over A,B: {row}. attacker forges {text(st.moved)} {st.direction}"
        return f"{sender}-){who}: {row}. {text('forged ' + st.received + ' - ' + effect)}"
    if st.kind == "dup":
        return f"Note over A,B: {row}. network duplicates {text(st.moved)}"
    if st.kind == "replay":
        return f"Note over A,B: {row}. attacker replays {text(st.moved)}"
    side = "left of A" if who == "A" else "right of B"
    return f"Note {side}: {row}. {text(what + ' - ' + effect)}"
