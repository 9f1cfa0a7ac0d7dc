"""Traces: a run of the system as TCP steps, printed the way RFC 9293's figures are drawn.

Every engine produces the same :class:`Trace` (a list of :class:`Step`), so text,
JSON and charts look alike whatever found the run.  A step shows the endpoint
states after it, the segment it moved, and only the TCB fields it changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .system import SIDES, Action, System



@dataclass
class Step:
    index: int
    kind: str                 # call, rcv, timer, loss, dup, crash, drop, inject, replay
    actor: str                # A, B, network or attacker (inject: the receiver acts on it)
    event: str
    rule: str | None
    received: str | None      # segment text (RFC notation)
    sent: str | None
    moved: str | None         # segment lost or duplicated by the network
    direction: str | None     # "A->B" / "B->A" for the segment involved
    overflow: bool
    stale: bool
    signal: str | None
    a: str                    # endpoint states after the step
    b: str
    changes: dict = field(default_factory=dict)   # side -> {field: [old, new]}
    note: str = ""

    def to_json(self) -> dict:
        d = {"step": self.index, "action": self.event, "kind": self.kind, "actor": self.actor,
             "rule": self.rule, "a": self.a, "b": self.b}
        seg = self.received or self.moved or self.sent
        if seg:
            d["segment"] = seg  # the segment this step is about (received, lost/copied, or sent)
        for k in ("received", "sent", "moved", "direction", "signal", "note"):
            v = getattr(self, k)
            if v:
                d[k] = v
        if self.overflow:
            d["overflow"] = True
        if self.stale:
            d["stale"] = True
        if self.changes:
            d["changes"] = self.changes
        return d


@dataclass
class Trace:
    initial_a: str
    initial_b: str
    steps: list
    loop_start: int | None = None   # index into steps where a lasso's loop begins

    def __len__(self) -> int:
        return len(self.steps)

    def _repr_svg_(self) -> str:
        """The sequence chart: a trace shows itself in Jupyter."""
        from .render.seqchart import chart_svg
        return chart_svg(self)

    def to_json(self) -> dict:
        d = {"initial": {"a": self.initial_a, "b": self.initial_b},
             "steps": [s.to_json() for s in self.steps]}
        if self.loop_start is not None:
            d["loop_start"] = self.loop_start
        return d


def build_trace(system: System, start: tuple, moves: list, loop_start: int | None = None) -> Trace:
    """``moves`` is a list of (action, next_state) taken from ``start``."""
    ma, mb = system.machines
    steps = []
    prev = start
    for i, (act, nxt) in enumerate(moves, start=1):
        steps.append(describe_step(system, i, prev, act, nxt))
        prev = nxt
    return Trace(ma.state_name(start[0]), mb.state_name(start[1]), steps, loop_start)


def describe_step(system: System, index: int, pre: tuple, act: Action, post: tuple) -> Step:
    machines = system.machines
    kind = act.kind
    actor = ("network" if kind in ("loss", "dup") else
             "attacker" if kind in ("drop", "inject", "replay") else SIDES[act.side])
    event = system.event_name(act)
    received = sent = moved = direction = None
    if kind == "inject" and act.out is None:
        # a forged segment put in flight, received by a later step (tcpmodel conform's tester
        # builds these; the model's attacker delivers at once): the sender is act.side
        moved = system.seg_text(act.seg)
        direction = f"{SIDES[act.side]}->{SIDES[1 - act.side]}"
        return Step(index, kind, "attacker", event, None, None, None, moved, direction,
                    act.overflow, act.stale, None, machines[0].state_name(post[0]),
                    machines[1].state_name(post[1]), {}, "attacker: forges this segment")
    if kind in ("rcv", "inject"):
        received = system.seg_text(act.seg)
        direction = f"{SIDES[1 - act.side]}->{SIDES[act.side]}"
    if act.sent >= 0:
        sent = system.seg_text(act.sent)
        if direction is None:
            direction = f"{SIDES[act.side]}->{SIDES[1 - act.side]}"
    if kind in ("loss", "dup", "drop", "replay"):
        moved = system.seg_text(act.seg)
        direction = f"{SIDES[act.side]}->{SIDES[1 - act.side]}"
    changes = {}
    for side in (0, 1):
        m = machines[side]
        before, after = m.view(pre[side]), m.view(post[side])
        diff = {k: [before[k], after[k]] for k in before if k != "state" and before[k] != after[k]}
        if diff:
            changes[SIDES[side]] = diff
    return Step(index, kind, actor, event, system.rule_id(act), received, sent, moved, direction,
                act.overflow, act.stale, act.out.signal if act.out else None,
                machines[0].state_name(post[0]), machines[1].state_name(post[1]), changes,
                _note(system, act, pre))


def _note(system: System, act: Action, pre: tuple) -> str:
    who = SIDES[act.side]
    if act.kind in ("call", "timer"):
        # the variant's own words for its events ([diagram] labels), else the event name
        diagram = system.spec.diagram
        name = system.event_name(act)
        return f"{who}: {diagram.labels.get(name, name) if diagram else name}"
    if act.kind == "rcv":
        return f"{who}: receives"
    if act.kind == "loss":
        return "network: segment lost"
    if act.kind == "dup":
        return "network: segment duplicated"
    if act.kind == "crash":
        return f"{who}: crash (TCB lost)"
    if act.kind == "inject":
        ch = system.forged_class(pre, act)
        odds = f" ({ch.size} of {ch.space} values)" if ch is not None else ""
        return f"{who}: receives a forged segment{odds}"
    if act.kind == "drop":
        return "attacker: drops the segment"
    if act.kind == "replay":
        return "attacker: replays the segment"
    return ""


# ------------------------------------------------------------------ text

STATE_W = 13
SEG_W = 38


def _seg_cell(left: str, seg: str, right: str) -> str:
    return f"{left} {seg:<{SEG_W}} {right}"


def _lines(step: Step) -> list[str]:
    """One or two picture rows for a step: (A state, segment cell, B state)."""
    rows = []
    sender_is_a = step.direction == "A->B"
    if step.kind == "rcv":
        if sender_is_a:   # B receives A's segment
            rows.append(_seg_cell("...", step.received, "-->"))
        else:
            rows.append(_seg_cell("<--", step.received, "..."))
    if step.kind == "inject":   # forged as if by the other side, received at once (or in flight)
        seg = step.received or step.moved
        rows.append(_seg_cell("~~~", seg, "~~>") if sender_is_a
                    else _seg_cell("<~~", seg, "~~~"))
    if step.sent:
        a_sends = step.actor == "A" or (step.kind == "inject" and not sender_is_a)
        cell = _seg_cell("-->", step.sent, "...") if a_sends else _seg_cell("...", step.sent, "<--")
        if step.overflow:
            cell = _seg_cell("-->", step.sent, " X ") if a_sends else _seg_cell(" X ", step.sent, "<--")
        rows.append(cell)
    if step.kind in ("loss", "drop"):
        rows.append(_seg_cell("-->", step.moved, " X ") if sender_is_a
                    else _seg_cell(" X ", step.moved, "<--"))
    if step.kind in ("dup", "replay"):
        mark = "x 2" if step.kind == "dup" else "(R)"
        rows.append(_seg_cell("-->", step.moved, mark) if sender_is_a
                    else _seg_cell(mark, step.moved, "<--"))
    if not rows:
        rows.append(_seg_cell("   ", "", "   "))
    return rows


def render_text(trace: Trace, *, indent: str = "  ", diffs: bool = True) -> str:
    """RFC 9293 figure style: numbered lines, both states, segments with arrows."""
    width = len(str(len(trace.steps)))
    head = f"{indent}{'':>{width}}   {'TCP A':<{STATE_W}} {'':<{SEG_W + 8}} {'TCP B':<{STATE_W}}"
    out = [head.rstrip()]
    out.append(f"{indent}{0:>{width}}.  {trace.initial_a:<{STATE_W}} {'':<{SEG_W + 8}} "
               f"{trace.initial_b:<{STATE_W}}".rstrip())
    for st in trace.steps:
        if trace.loop_start is not None and st.index - 1 == trace.loop_start:
            out.append(f"{indent}{'':>{width}}   -- loop: the following steps repeat forever --")
        rows = _lines(st)
        note = st.note
        tags = []
        if st.rule:
            tags.append(st.rule)
        if st.signal:
            tags.append(f"signal: {st.signal}")
        if st.overflow:
            tags.append("dropped: channel full")
        if st.stale:
            tags.append("STALE segment of an earlier incarnation")
        if tags:
            note += "  [" + "; ".join(tags) + "]"
        for j, cell in enumerate(rows):
            num = f"{st.index:>{width}}." if j == 0 else " " * (width + 1)
            a = st.a if j == 0 else ""
            b = st.b if j == 0 else ""
            line = f"{indent}{num}  {a:<{STATE_W}} {cell} {b:<{STATE_W}}"
            if j == 0:
                line += f"  {note}"
            out.append(line.rstrip())
        if diffs and st.changes:
            parts = []
            for side, ch in st.changes.items():
                items = ", ".join(f"{k} {v[0]}->{v[1]}" for k, v in ch.items())
                parts.append(f"{side}: {items}")
            out.append(f"{indent}{'':>{width}}   {'':<{STATE_W}} " + "   ".join(parts))
    if trace.loop_start is not None:
        out.append(f"{indent}{'':>{width}}   -- back to step {trace.loop_start + 1} --")
    return "\n".join(out)


# ------------------------------------------------------------------ reading back

STEP_KINDS = ("call", "rcv", "timer", "loss", "dup", "crash", "drop", "inject", "replay")


def trace_from_json(doc, *, file: str | None = None) -> Trace:
    """The :class:`Trace` that :meth:`Trace.to_json` wrote (e.g. in ``tcpmodel check --json``)."""
    from .errors import InputError

    def bad(what, where="trace"):
        return InputError(what, file=file, where=where,
                          fix="give a trace written by 'tcpmodel check --json' or '--out'")

    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list):
        raise bad("not a trace: expected an object with 'steps'")
    init = doc.get("initial", {})
    if not isinstance(init, dict) or not all(isinstance(init.get(k), str) for k in ("a", "b")):
        raise bad("the trace has no initial states", "initial")
    steps = []
    for i, d in enumerate(doc["steps"], start=1):
        where = f"steps[{i - 1}]"
        if not isinstance(d, dict):
            raise bad("a step must be an object", where)
        for k in ("action", "kind", "actor", "a", "b"):
            if not isinstance(d.get(k), str):
                raise bad(f"step {i} has no '{k}'", where)
        if d["kind"] not in STEP_KINDS:
            raise bad(f"step {i}: unknown kind '{d['kind']}'", where)
        if d["actor"] not in ("A", "B", "network", "attacker"):
            raise bad(f"step {i}: unknown actor '{d['actor']}' (A, B, network or attacker)", where)
        needs_direction = d["kind"] in ("rcv", "loss", "dup", "drop", "inject", "replay") or (
            d.get("sent") and d["actor"] not in ("A", "B"))
        if d.get("direction") not in ((None,) if not needs_direction else ()) + ("A->B", "B->A"):
            raise bad(f"step {i} ({d['kind']}) needs a direction 'A->B' or 'B->A'", where)
        if (d["kind"] == "rcv" or (d["kind"] == "inject" and d.get("moved") is None)) and \
                not isinstance(d.get("received"), str):
            raise bad(f"step {i} receives but names no segment", where)
        if d["kind"] in ("loss", "dup", "drop", "replay") and not isinstance(d.get("moved"), str):
            raise bad(f"step {i} ({d['kind']}) names no segment", where)
        for k in ("rule", "received", "sent", "moved", "direction", "signal", "note"):
            if d.get(k) is not None and not isinstance(d[k], str):
                raise bad(f"step {i}: '{k}' must be a string", where)
        number = d.get("step", i)
        if not isinstance(number, int) or isinstance(number, bool):
            raise bad(f"step {i}: 'step' must be an integer", where)
        changes = d.get("changes") or {}
        if not (isinstance(changes, dict) and all(
                isinstance(ch, dict) and all(isinstance(v, list) and len(v) == 2
                                             for v in ch.values()) for ch in changes.values())):
            raise bad(f"step {i}: 'changes' must map a side to {{field: [old, new]}}", where)
        steps.append(Step(number, d["kind"], d["actor"], d["action"], d.get("rule"),
                          d.get("received"), d.get("sent"), d.get("moved"), d.get("direction"),
                          bool(d.get("overflow")), bool(d.get("stale")), d.get("signal"),
                          d["a"], d["b"], changes, d.get("note") or ""))
    loop = doc.get("loop_start")
    if loop is not None and (not isinstance(loop, int) or isinstance(loop, bool)
                             or not 0 <= loop < len(steps)):
        raise bad(f"loop_start {loop!r} is not a step index", "loop_start")
    return Trace(init["a"], init["b"], steps, loop)
