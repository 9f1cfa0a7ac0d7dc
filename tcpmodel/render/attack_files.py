"""An attack's run as a scenario file: every step a line, so ``tcpmodel scenario`` replays it.

Each segment sent is named and left in flight (``fate = "delayed"``); its arrival, loss,
duplication, drop or replay is a later line naming it, and a forged segment is an ``inject``
line whose ``where`` pins its numbers.  ``allow`` is empty: the search must match the run step
by step.  A lasso's loop is written once, its first line marked.
"""

from __future__ import annotations

from ..endpoint import CTL_ORDER, FLAG_BIT
from ..params import SCHEMA
from ..system import SIDES
from ..tomlfile import toml_value


def _flags(system, full: int) -> tuple:
    segr = system.split(full)[0]
    seq, ack, flags, data = system.machines[0].seg.unpack(segr)
    return ",".join(f for f in CTL_ORDER if flags & FLAG_BIT[f]), seq, ack, data


def attacker_table(att, budget: int | None) -> dict:
    """The [attacker] table of a resolved attacker (every power written out)."""
    def b(x):
        return "unbounded" if x is None else x
    t = {"preset": att.preset}
    if budget is not None:
        t["budget"] = budget
    t.update({"flags": list(att.flags), "data": att.data, "values": "all"})
    for name, p in zip(("ab", "ba"), att.powers):
        t[name] = {"observe": p.observe, "drop": b(p.drop), "inject": b(p.inject),
                   "replay": b(p.replay)}
    return t


def scenario_text(model, attack, title: str, source: str) -> str:
    """TOML of a scenario that reproduces ``attack`` (an ``attacks.Attack``) on the model's
    variant."""
    system_moves = attack.moves
    check, system = model.check, model.system
    variant = check.variant
    lines: list = []
    name_of: dict = {}   # full segment code -> the name of a copy in flight
    counter = [0]

    def new_name(full):
        counter[0] += 1
        n = f"s{counter[0]}"
        name_of[full] = n
        return n

    def states(post):
        return {"a": system.machines[0].state_name(post[0]),
                "b": system.machines[1].state_name(post[1])}

    def send_line(act, post, via):
        ctl, _, _, data = _flags(system, act.sent)
        ln = {"send": ctl, "by": SIDES[act.side]}
        if via:
            ln["via"] = via
        if data:
            ln["data"] = True
        ln.update({"fate": "delayed", "name": new_name(act.sent), "then": states(post)})
        return ln

    for i, (act, post) in enumerate(system_moves):
        first = len(lines)
        if act.kind in ("call", "timer"):
            if act.sent >= 0:
                lines.append(send_line(act, post, act.kind))
            else:
                key = "call" if act.kind == "call" else "timeout"
                lines.append({key: system.event_name(act), "by": SIDES[act.side],
                              "then": states(post)})
        elif act.kind == "rcv":
            lines.append({"arrive": name_of[act.seg], "then": states(post)})
            if act.sent >= 0:
                lines.append(send_line(act, post, None))
        elif act.kind == "inject":
            ctl, seq, ack, data = _flags(system, act.seg)
            ln = {"inject": ctl, "to": SIDES[act.side],
                  "where": f"seg.seq == {seq}" + (f" and seg.ack == {ack}" if "ACK" in ctl else "")}
            if data:
                ln["data"] = True
            ln.update({"rule": system.rule_id(act), "then": states(post),
                       "note": "forged by the attacker"})
            lines.append(ln)
            if act.sent >= 0:
                lines.append(send_line(act, post, None))
        elif act.kind in ("loss", "dup", "drop", "replay"):
            key = {"loss": "lose", "dup": "dup", "drop": "drop", "replay": "replay"}[act.kind]
            lines.append({key: name_of[act.seg], "then": states(post)})
            if act.kind in ("drop", "replay"):
                lines[-1]["note"] = f"the attacker {act.kind}s it"
        elif act.kind == "crash":
            lines.append({"crash": SIDES[act.side], "then": states(post)})
        if attack.loop_start is not None and i == attack.loop_start:
            lines[first]["note"] = ("the run repeats from here forever; "
                                    + lines[first].get("note", "")).rstrip("; ")
    out = [f"title = {toml_value(title)}", f"source = {toml_value(source)}",
           f"note = {toml_value(attack.text())}",
           f"expect = {{ {variant} = \"found\" }}", "allow = []", ""]
    params = {k: v for k, v in check.params.items()
              if k not in ("attacker", "attacker_flags") and SCHEMA[k].default != v}
    if params:
        out.append("[params]")
        out += [f"{k} = {toml_value(v)}" for k, v in params.items()]
        out.append("")
    if check.scripts_raw:
        out.append("[scripts]")
        out += [f"{k} = {toml_value(v)}" for k, v in check.scripts_raw.items()]
        out.append("")
    n_actions = sum(1 for a, _ in system_moves if a.kind in ("drop", "inject", "replay"))
    if system.attacker is not None:
        out.append("[attacker]")
        for k, v in attacker_table(system.attacker, max(n_actions, 1)).items():
            out.append(f"{k} = {toml_value(v)}")
        out.append("")
    for ln in lines:
        out.append("[[line]]")
        out += [f"{k} = {toml_value(v)}" for k, v in ln.items()]
        out.append("")
    return "\n".join(out)
