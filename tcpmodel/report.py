"""Human-readable check results: a verdict table per check, then each counterexample as a trace."""

from __future__ import annotations

from .params import SCHEMA
from .tomlfile import toml_value
from .trace import render_text


def _params_line(params: dict) -> str:
    changed = [f"{k}={_fmt(v)}" for k, v in params.items() if SCHEMA[k].default != v]
    return " ".join(changed) if changed else "defaults"


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):   # quoted strings: ["SYN", "SYN,ACK"], not [SYN,SYN,ACK]
        return "[" + ",".join(toml_value(x) for x in v) + "]"
    return str(v)


def _z3_line(res) -> str:
    times = res.bmc_times or []
    if not res.bmc_properties and res.stop_reason == "interrupted":
        line = "z3: interrupted before BMC"
    elif not res.bmc_properties:
        line = "z3: no property was left to BMC (each was proved or its trace length confirmed)"
    else:
        n = res.bmc_properties
        line = f"z3: BMC of {n} propert{'y' if n == 1 else 'ies'} to depth {res.bmc_depth}"
        if res.stop_reason:
            line += f" of {res.bmc_bound} (stopped: {res.stop_reason})"
        elif res.bmc_bound is not None and res.bmc_depth < res.bmc_bound:
            line += f" (bound {res.bmc_bound}: each was decided sooner)"
        if times:
            line += f", deepest step {times[-1]:.2f} s"
    return line + f", {res.seconds:.2f} s in all"


def render_check(model, res, *, witnesses: bool = False, diffs: bool = True,
                 coverage: bool = False) -> str:
    c = model.check
    out = [f"== {c.name} ({c.variant}) -- {' '.join(c.description.split())}",
           f"   parameters: {_params_line(c.params)}"]
    if res.engine == "z3":
        out.append("   " + _z3_line(res))
    else:
        status = "complete" if res.complete else f"INCOMPLETE ({res.stop_reason})"
        out.append(f"   {res.states:,} states, {res.transitions:,} transitions, depth {res.depth}, "
                   f"{res.seconds:.2f} s, {status}")
    # the explicit engine decides everything one way (BFS, timed above); z3 names each method
    z3 = res.engine == "z3"
    rows = [("property", "kind", "verdict", "trace") + (("method", "time") if z3 else ())
            + ("detail",)]
    for p in res.properties:
        row = (p.name, p.kind, p.verdict.upper() if p.verdict == "violated" else p.verdict,
               str(p.depth) if p.depth is not None else "-")
        if z3:
            row += (p.method, f"{p.seconds:.2f} s" if p.seconds is not None else "-")
        rows.append(row + (p.detail,))
    n = len(rows[0]) - 1
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    out.append("")
    for r in rows:
        out.append("   " + "  ".join(f"{r[i]:<{widths[i]}}" for i in range(n)) + "  " + r[n])
    for w in res.warnings:
        out.append(f"   warning: {w}")
    if res.unfired_rules and res.complete:
        total = len(model.system.machines[0].rules)
        if coverage:
            from .spec import rule_summary
            spec = model.system.machines[0].spec
            rules = {r.id: r for r in spec.rules}
            width = max(map(len, res.unfired_rules))
            out.append(f"   rules never fired ({len(res.unfired_rules)} of {total}; "
                       "'tcpmodel list rules' shows them all):")
            out += [f"     {rid:<{width}}  {rule_summary(spec, rules[rid])}"
                    for rid in res.unfired_rules]
        else:
            out.append(f"   {len(res.unfired_rules)} of {total} rules never fired "
                       "(--coverage lists them)")
    for p in res.properties:
        if p.cti:
            out.append("")
            out.append(f"   {p.name}: counterexample to induction (not necessarily reachable):")
            out += [f"     {i}. {line}" for i, line in enumerate(p.cti)]
    shown: dict = {}  # trace text -> property that printed it
    for p in res.properties:
        show = p.trace is not None and (p.verdict == "violated" or witnesses)
        if not show:
            continue
        label = "counterexample" if p.verdict == "violated" else "witness"
        out.append("")
        out.append(f"   {p.name} {p.verdict}: {' '.join(p.formula.split())}")
        if p.doc:
            out.append(f"   ({' '.join(p.doc.split())})")
        text = render_text(p.trace, indent="   ", diffs=diffs)
        label = f"shortest {label}" if p.shortest else f"{label} (not proven shortest)"
        if text in shown:
            out.append(f"   {label}: the same {p.depth} steps as {shown[text]} above")
            continue
        shown[text] = p.name
        out.append(f"   {label}, {p.depth} steps:")
        out.append(text)
    out.append("")
    return "\n".join(out)
