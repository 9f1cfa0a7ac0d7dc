"""Mutation scores (overall, per check, per rule, per kind) and their text and JSON forms.

The score counts the mutants the properties could have noticed: *killed* over killed +
*survived* + *unknown* (a run that hit its limit) + *unexercised* (no check reaches the
rule, so no property can notice). *Equivalent* mutants (same reachable graph in every check
that reaches the rule) and *refused* ones (the completeness check, or a TCB range check
during the run, rejects the mutant) are left out.
"""

from __future__ import annotations

COUNTED = ("killed", "survived", "unknown", "unexercised")
STATUSES = ("killed", "survived", "unknown", "unexercised", "equivalent", "refused")


def _tally(statuses) -> dict:
    out = {s: 0 for s in STATUSES}
    for s in statuses:
        out[s] += 1
    counted = sum(out[s] for s in COUNTED)
    out["score"] = round(100.0 * out["killed"] / counted, 1) if counted else None
    return out


def overall(run) -> dict:
    return _tally(r.status for r in run.mutants)


def per_kind(run) -> dict:
    kinds = dict.fromkeys(r.mutant.kind for r in run.mutants)
    return {k: _tally(r.status for r in run.mutants if r.mutant.kind == k) for k in kinds}


def per_rule(run) -> dict:
    rules = dict.fromkeys(r.mutant.rule for r in run.mutants)
    return {rid: _tally(r.status for r in run.mutants if r.mutant.rule == rid) for rid in rules}


def per_check(run) -> dict:
    """Per check: the mutants whose rule it reaches, by their status on that check alone."""
    out = {}
    for b in run.checks:
        name = b["name"]
        t = _tally(r.outcomes[name].status for r in run.mutants if name in r.outcomes)
        t.pop("unexercised")
        counted = t["killed"] + t["survived"] + t["unknown"]
        t["score"] = round(100.0 * t["killed"] / counted, 1) if counted else None
        out[name] = t | {"states": b["states"], "baseline_seconds": b["seconds"]}
    return out


def _pct(x) -> str:
    return "-" if x is None else f"{x:.1f} %"


def _table(rows: list) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["   " + "  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
                             for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in rows]


def render(run, *, all_rules: bool = False) -> str:
    """The report: per check, per kind, the rules below 100 %, then every survivor."""
    tot = overall(run)
    out = [f"== mutation of {run.variant}: {len(run.mutants)} mutants of "
           f"{len({r.mutant.rule for r in run.mutants})} rules on {len(run.checks)} checks, "
           f"{run.seconds:.1f} s"]
    head = ("killed", "survived", "unknown", "equivalent")
    matrix = run.options is not None and run.options.matrix
    rows = [("check", "states") + head + (("score",) if matrix else ())]
    for name, t in per_check(run).items():
        rows.append((name, f"{t['states']:,}") + tuple(str(t[h]) for h in head)
                    + ((_pct(t["score"]),) if matrix else ()))
    out += [""] + _table(rows)
    if not matrix:
        out.append("   (each mutant stops at its first kill, cheapest check first: --matrix runs "
                   "every check and scores each)")
    rows = [("kind",) + head + ("unexercised", "refused", "score")]
    for kind, t in per_kind(run).items():
        rows.append((kind,) + tuple(str(t[h]) for h in head + ("unexercised", "refused"))
                    + (_pct(t["score"]),))
    out += [""] + _table(rows)
    rules = [(rid, t) for rid, t in per_rule(run).items()
             if all_rules or (t["score"] is not None and t["score"] < 100)]
    if rules:
        rows = [("rule",) + head + ("unexercised", "score")]
        rows += [(rid,) + tuple(str(t[h]) for h in head + ("unexercised",)) + (_pct(t["score"]),)
                 for rid, t in rules]
        out += ["", "   rules" + ("" if all_rules else " below 100 %") + ":"] + _table(rows)
    for status, title in (("survived", "survivors (no verdict changed in a check that reaches "
                                       "the rule)"),
                          ("unknown", "unknown (a run hit its state or time limit)")):
        rs = [r for r in run.mutants if r.status == status]
        if not rs:
            continue
        out += ["", f"   {title}:"]
        for r in rs:
            where = ", ".join(n for n, o in r.outcomes.items() if o.status == status)
            out.append(f"     {r.mutant.id:<48} {r.description}" + (f"  [{where}]" if where else ""))
    idle = list(dict.fromkeys(r.mutant.rule for r in run.mutants if r.status == "unexercised"))
    if idle:
        n = sum(r.status == "unexercised" for r in run.mutants)
        out += ["", f"   rules no check reaches ({n} mutants unexercised): " + ", ".join(idle)]
    out += ["", f"   score: {tot['killed']} killed of {sum(tot[s] for s in COUNTED)} "
                f"({_pct(tot['score'])}); {tot['equivalent']} equivalent, {tot['refused']} refused"]
    return "\n".join(out) + "\n"


def to_json(run) -> dict:
    return {
        "variant": run.variant,
        "seconds": round(run.seconds, 2),
        "score": overall(run),
        "checks": per_check(run),
        "kinds": per_kind(run),
        "rules": per_rule(run),
        "mutants": [{"id": r.mutant.id, "kind": r.mutant.kind, "rule": r.mutant.rule,
                     "change": r.mutant.change, "description": r.description,
                     "status": r.status}
                    | ({"refused": r.refused} if r.refused is not None else {})
                    | {"checks": {n: o.to_json() for n, o in r.outcomes.items()}}
                    for r in run.mutants],
    }
