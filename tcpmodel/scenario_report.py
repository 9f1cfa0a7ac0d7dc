"""Scenario outcomes as text and JSON: the matching run in RFC notation, or why there is none."""

from __future__ import annotations

from .trace import render_text


def verdict_word(o) -> str:
    if o.found is None:
        return "UNKNOWN (search limit reached)"
    return "found" if o.found else "impossible"


def expectation(o) -> str:
    if o.expected is None:
        return ""
    mark = "as expected" if o.as_expected else "NOT AS EXPECTED"
    return f"; expected {o.expected}: {mark}"


def render_outcome(o, *, diffs: bool = False, timing: bool = True) -> str:
    sc = o.scenario
    out = [f"== {sc.name} ({o.variant}) -- {sc.title}" + (f" [{sc.source}]" if sc.source else "")]
    if sc.note:
        out.append(f"   {' '.join(sc.note.split())}")
    out.append(f"   {verdict_word(o)}: {_size(o, timing)}{expectation(o)}")
    if o.found:
        out.append(render_text(o.trace, indent="   ", diffs=diffs))
        out.append("   scenario lines -> trace steps:")
        for ln in sc.lines:
            steps = o.line_steps.get(ln.index, [])
            where = _ranges(steps) if steps else "-"
            note = f"   {ln.note}" if ln.note else ""
            out.append(f"     line {ln.index:>2} ({ln.describe(None)}): step {where}{note}")
    elif o.found is False:
        ln = sc.lines[o.reached] if o.reached < len(sc.lines) else None
        matched = f"lines 1-{o.reached}" if o.reached else "no line"
        out.append(f"   matched {matched}; line {o.reached + 1} could not be matched: "
                   f"{ln.describe(None) if ln else ''}"
                   + (f", then {_then(o, ln)}" if ln and (ln.then or ln.holds_text) else ""))
        if ln and ln.note:
            out.append(f"     ({ln.note})")
        if o.stuck_states:
            out.append(f"   at that point A is {o.stuck_states[0]} and B {o.stuck_states[1]}; "
                       "the model could instead:")
            for d in o.stuck or ["nothing: no step is enabled"]:
                out.append(f"     - {d}")
    out.append("")
    return "\n".join(out)


def _size(o, timing: bool = True) -> str:
    steps = f"{len(o.trace)} steps, " if o.trace is not None else ""
    secs = f", {o.seconds:.2f} s" if timing else ""
    return f"{steps}{o.states:,} search states{secs}"


def _then(o, ln) -> str:
    names = o.scenario.check.spec.states
    parts = [f"{'AB'[side]} {names[st]}" for side, st in sorted(ln.then.items())]
    if ln.holds_text:
        parts.append(ln.holds_text)
    return ", ".join(parts)


def _ranges(steps: list) -> str:
    steps = sorted(set(steps))
    return f"{steps[0]}" if len(steps) == 1 else f"{steps[0]}-{steps[-1]}"


def outcome_json(o) -> dict:
    d = {"scenario": o.scenario.name, "title": o.scenario.title, "source": o.scenario.source,
         "variant": o.variant, "result": {True: "found", False: "impossible",
                                           None: "unknown"}[o.found],
         "expected": o.expected, "as_expected": o.as_expected, "states": o.states,
         "seconds": round(o.seconds, 3), "lines": len(o.scenario.lines),
         "lines_matched": o.reached}
    if o.trace is not None:
        d["trace"] = o.trace.to_json()
        d["line_steps"] = {str(k): v for k, v in o.line_steps.items()}
    if o.found is False:
        d["stuck_at"] = {"a": o.stuck_states[0], "b": o.stuck_states[1]} if o.stuck_states else None
        d["possible_instead"] = o.stuck
    return d
