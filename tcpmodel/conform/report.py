"""Conformance results as text, JSON and charts: per case pass / diverge / skipped, a divergence
as the model's run and the kernel's run in RFC notation (and one sequence chart of the kernel's
run with the first difference marked), and the table of which variant predicts the kernel."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from .. import __version__
from ..system import SIDES
from ..trace import Step, Trace, render_text
from .predict import DIVERGE, INCOMPLETE, PASS, SKIPPED

LABEL = {PASS: "pass", DIVERGE: "DIVERGE", SKIPPED: "skipped", INCOMPLETE: "INCOMPLETE"}


# ---------------------------------------------------------------- the kernel's run as a trace

def observed_trace(result) -> tuple[Trace, int | None]:
    """The kernel's run in the model's notation: the model run's steps up to where the run
    stopped, the kernel's side replaced by what the kernel did; and the row of the first
    difference (None if there is none)."""
    case, obs = result.case, result.observed
    k = SIDES[case.side]
    by_step = {st.step: i for i, st in enumerate(case.stimuli)}
    first = result.verdict.first
    last = len(obs.seen) - 1 if obs and obs.seen else -1
    kstate = case.trace.initial_a if case.side == 0 else case.trace.initial_b
    steps, mark = [], None
    for st in case.trace.steps:
        i = by_step.get(st.index)
        if i is not None and i > last:
            break
        if i is None:
            steps.append(_with_kernel_state(st, case.side, kstate, len(steps) + 1))
            continue
        seen = obs.seen[i]
        kstate = seen.state
        sent = seen.sent[0] if seen.sent else None
        note = st.note
        if first is not None and first.index == i:
            mark = len(steps) + 1
            exp = first.expected
            note += f" (model: {exp['sent'] or 'sends nothing'}, {exp['state']})"
        new = replace(st, index=len(steps) + 1, sent=sent, rule=None, signal=seen.signal,
                      changes={}, note=note, overflow=False,
                      direction=st.direction if st.kind == "rcv" or sent is None
                      else f"{k}->{SIDES[1 - case.side]}")
        steps.append(_with_kernel_state(new, case.side, kstate, new.index))
        for extra in seen.sent[1:]:
            steps.append(Step(len(steps) + 1, "timer", k, "kernel", None, None, extra, None,
                              f"{k}->{SIDES[1 - case.side]}", False, False, None,
                              steps[-1].a, steps[-1].b, {}, f"{k}: also sends"))
        if first is not None and first.index == i:
            break
    return Trace(case.trace.initial_a, case.trace.initial_b, steps), mark


def _with_kernel_state(st: Step, side: int, state: str, index: int) -> Step:
    return replace(st, index=index, **({"a": state} if side == 0 else {"b": state}))


# ---------------------------------------------------------------- text

def render_case_line(result, width: int = 44) -> str:
    v = result.verdict
    extra = ""
    if v.status == DIVERGE:
        f = v.first
        extra = f"step {f.step}: {', '.join(f.what)} differs"
    elif v.status in (SKIPPED, INCOMPLETE):
        extra = v.reason
    elif result.observed is not None:
        extra = f"{result.observed.seconds:.2f} s"
        if v.timers:
            extra += f", {len(v.timers)} segment(s) taken as timer steps"
    return f"  {LABEL[v.status]:<10} {result.case.name:<{width}} {extra}".rstrip()


def render_divergence(result, kernel: str = "", diffs: bool = False) -> str:
    """The model's run and the kernel's run, and the first difference in words."""
    case, v = result.case, result.verdict
    k = SIDES[case.side]
    f = v.first
    exp, got = f.expected, f.observed
    out = [f"== {case.name}: diverges from {v.variant} at step {f.step} "
           f"(the kernel plays {k})"]
    w = max(len(v.variant) + 9, 11) + 1
    out.append(f"   {v.variant + ' expects:':<{w}}{k} {_sends(exp['sent'])}, {k} {exp['state']}"
               f"{_told(exp['signal'])}   [{exp['rule']}]")
    real = f" (real {', '.join(got['real'])})" if got["real"] else ""
    out.append(f"   {'the kernel:':<{w}}{k} {_sends(', '.join(got['sent']) or None)}{real}, "
               f"{k} {got['state']}{_told(got['signal'])}")
    if got.get("detail"):
        out.append(f"   ({got['detail']})")
    out.append(f"   model run ({case.variant}):")
    out.append(render_text(case.trace, indent="     ", diffs=diffs))
    trace, mark = observed_trace(result)
    out.append(f"   kernel run{f' (Linux {kernel})' if kernel else ''}, up to the first difference:")
    out.append(_marked(render_text(trace, indent="     ", diffs=False), mark))
    return "\n".join(out)


def _sends(seg) -> str:
    return f"sends {seg}" if seg else "sends nothing"


def _told(signal) -> str:
    return f", the application is told '{signal}'" if signal else ""


def _marked(text: str, row: int | None) -> str:
    if row is None:
        return text
    lines = text.splitlines()
    pat = re.compile(rf"^\s*{row}\.\s")
    for i, line in enumerate(lines):
        if pat.match(line):
            lines[i] = line + "   <== first difference"
            break
    return "\n".join(lines)


def render_table(suite) -> str:
    """Per variant: how many cases it predicts correctly, of the cases that ran."""
    ran = [r for r in suite.results if r.observed is not None and not r.observed.error]
    out = [f"   {'variant':<10} {'predicts':>8} {'diverges':>9} {'incomplete':>11}   of {len(ran)} "
           "cases run on the kernel"]
    for v in suite.compared:
        ok = sum(1 for r in ran if r.verdicts[v].status == PASS)
        bad = sum(1 for r in ran if r.verdicts[v].status == DIVERGE)
        inc = sum(1 for r in suite.results if r.verdicts[v].status == INCOMPLETE)
        mark = "  <- generated from" if v == suite.variant else ""
        out.append(f"   {v:<10} {ok:>8} {bad:>9} {inc:>11}{mark}")
    return "\n".join(out)


def render_settings(suite) -> str:
    s = suite.settings
    if not s:
        return ""
    sysctls = " ".join(f"{k.removeprefix('net.ipv4.')}={v}" for k, v in s.get("sysctls", {}).items()
                       if not k.startswith("net.ipv6."))
    if any(k.startswith("net.ipv6.") for k in s.get("sysctls", {})):
        sysctls += " (IPv6 off)"
    per_test = " ".join(f"{k.removeprefix('net.ipv4.')}={'/'.join(map(str, v))}"
                        for k, v in s.get("per_test", {}).items())
    if per_test:
        sysctls += f"; in some tests (as their parameters say): {per_test}"
    return (f"   settings: {sysctls}; route {s.get('route', '')}; tester ISS "
            f"{s.get('peer_iss')}; a fresh network namespace per case")


# ---------------------------------------------------------------- JSON and files

def result_json(result) -> dict:
    case = result.case
    d = {"name": case.name, "origin": case.origin, "variant": case.variant,
         "kernel_plays": SIDES[case.side], "status": result.status}
    if case.rule:
        d["rule"] = case.rule
    if case.skip:
        d["skip"] = case.skip
    d["verdicts"] = {v: x.to_json() for v, x in result.verdicts.items()}
    d["stimuli"] = [{"step": s.step, "kind": s.kind, "event": s.event,
                     **({"segment": s.seg_text} if s.seg_text else {})} for s in case.stimuli]
    d["expected"] = [vars(e) for e in case.expected]
    d["model_run"] = case.trace.to_json()
    if result.observed is not None:
        d["observed"] = result.observed.to_json()
        trace, mark = observed_trace(result)
        d["kernel_run"] = trace.to_json()
        if mark is not None:
            d["first_difference_step"] = mark
    return d


def suite_json(suite, exit_code: int) -> dict:
    summary = {v: {s: sum(1 for r in suite.results if r.verdicts[v].status == s)
                   for s in (PASS, DIVERGE, INCOMPLETE, SKIPPED)} for v in suite.compared}
    return {"tcpmodel": __version__, "command": "conform", "variant": suite.variant,
            "kernel": suite.kernel, "settings": suite.settings, "seconds": suite.seconds,
            "exit_code": exit_code, "summary": summary,
            "cases": [result_json(r) for r in suite.results]}


def write_files(result, directory: Path, kernel: str = "") -> list[Path]:
    """For a divergence: ``NAME``.svg (the kernel's run, first difference marked), .txt (both
    runs) and .json (the case and its run)."""
    from ..render.files import emit_files, safe_name
    from ..render.seqchart import chart_svg

    stem = safe_name(f"{result.case.name.replace(':', '-').replace('/', '-')}-"
                     f"{result.verdict.variant}")
    trace, mark = observed_trace(result)
    title = (f"{result.case.name}: the kernel's run (Linux {kernel}), first difference from "
             f"{result.verdict.variant} at step {mark}")
    files = {".svg": chart_svg(trace, title, mark),
             ".txt": render_divergence(result, kernel, diffs=True) + "\n",
             ".json": json.dumps(result_json(result), indent=2) + "\n"}
    return emit_files(directory, stem, files)
