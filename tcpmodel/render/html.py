"""The HTML report: one self-contained file with every check, its verdicts and figures, its
diagrams inline (state pairs; the endpoint diagram with the transitions the check never
fired), and each counterexample as a sequence chart and as RFC-notation text.

Every piece of user text (check, state, rule and property names, formulas, descriptions) is
escaped; the pictures are inline SVG whose text was escaped by their writers.  No scripts,
no external files, no timestamps: the same runs give the same file.
"""

from __future__ import annotations

from .. import __version__
from ..params import SCHEMA
from ..trace import render_text
from .xml import esc, strip_prolog

CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1400px;
       color: #1d1d1d; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2.2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #d4d4d4; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f1f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.holds { color: #1e8449; font-weight: bold; } .violated { color: #c0392b; font-weight: bold; }
.unknown { color: #b9770e; font-weight: bold; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 12px; }
figure { margin: 1em 0; overflow-x: auto; } figcaption { color: #555; font-size: 0.9em; }
.note { color: #555; font-size: 0.9em; }
code { background: #f1f1f1; padding: 0 0.2em; }
"""


def report_html(runs: list, *, title: str = "tcpmodel report", exit_code: int = 0) -> str:
    """The report for ``runs``: a list of dicts with keys ``model``, ``result`` and the
    pictures ``pairs_svg``, ``fsm_svg`` (SVG text, or a note on why it is missing) and
    ``charts`` (property name -> SVG text of its trace's chart)."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{esc(title)}</title>", f"<style>{CSS}</style></head><body>",
           f"<h1>{esc(title)}</h1>",
           (f'<p class="note">tcpmodel {esc(__version__)}, explicit-state search. Exit code '
           f"{exit_code}: 0 every property holds, 1 a property is violated, 3 unknown.</p>")]
    out.append(_summary(runs))
    for run in runs:
        out.append(_check(run))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _summary(runs) -> str:
    rows = [("<table><tr><th>check</th><th>variant</th><th>states</th><th>transitions</th>"
            "<th>depth</th><th>seconds</th><th>search</th><th>verdicts</th></tr>")]
    for run in runs:
        m, r = run["model"], run["result"]
        counts: dict = {}
        for p in r.properties:
            counts[p.verdict] = counts.get(p.verdict, 0) + 1
        verdicts = ", ".join(f'<span class="{esc(v)}">{n} {esc(v)}</span>'
                             for v, n in sorted(counts.items()))
        rows.append(f'<tr><td><a href="#{_anchor(m.check.name)}">{esc(m.check.name)}</a></td>'
                    f"<td>{esc(r.variant)}</td><td class=num>{r.states:,}</td>"
                    f"<td class=num>{r.transitions:,}</td><td class=num>{r.depth}</td>"
                    f"<td class=num>{r.seconds:.2f}</td>"
                    f"<td>{'complete' if r.complete else esc('stopped: ' + str(r.stop_reason))}</td>"
                    f"<td>{verdicts}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _check(run) -> str:
    m, r = run["model"], run["result"]
    c = m.check
    params = [f"{k} = {v}" for k, v in c.params.items() if SCHEMA[k].default != v]
    out = [f'<h2 id="{_anchor(c.name)}">{esc(c.name)} <small>({esc(r.variant)})</small></h2>',
           f"<p>{esc(' '.join(c.description.split()))}</p>",
           (f"<p class=note>parameters: {esc(', '.join(params) or 'defaults')}; "
           f"{r.states:,} states, {r.transitions:,} transitions, depth {r.depth}, "
           f"{r.terminal_states:,} dead-end states, {r.seconds:.2f} s</p>")]
    out.append("<table><tr><th>property</th><th>kind</th><th>verdict</th><th>trace</th>"
               "<th>detail</th><th>formula</th></tr>")
    for p in r.properties:
        out.append(f"<tr><td>{esc(p.name)}</td><td>{esc(p.kind)}</td>"
                   f'<td class="{esc(p.verdict)}">{esc(p.verdict)}</td>'
                   f"<td class=num>{p.depth if p.depth is not None else '-'}</td>"
                   f"<td>{esc(p.detail)}</td><td><code>{esc(' '.join(p.formula.split()))}</code></td></tr>")
    out.append("</table>")
    for w in r.warnings:
        out.append(f"<p class=note>warning: {esc(w)}</p>")
    out.append(_figure(run.get("pairs_svg"), "Reachable (A state, B state) pairs. Double border: "
                       "a dead end; red: a counterexample ends there."))
    unfired = ", ".join(r.unfired_rules) or "none"
    out.append(_figure(run.get("fsm_svg"), "Endpoint state diagram: dashed grey transitions "
                       f"never fired in this check. Rules never fired: {unfired}."))
    for p in r.properties:
        chart = run.get("charts", {}).get(p.name)
        if chart is None or p.trace is None:
            continue
        what = "counterexample" if p.verdict == "violated" else "witness"
        out.append(f"<h3>{esc(p.name)}: shortest {what}, {p.depth} steps</h3>")
        if p.doc:
            out.append(f"<p>{esc(' '.join(p.doc.split()))}</p>")
        out.append(_figure(chart, f"Sequence chart of the {what} of {p.name}."))
        out.append(f"<pre>{esc(render_text(p.trace, indent=''))}</pre>")
    return "\n".join(out)


def check_section(run) -> str:
    """One check's section of the report (``run`` as in :func:`report_html`), e.g. for Jupyter."""
    return _check(run)


def _figure(svg, caption: str) -> str:
    if svg is None:
        return ""
    if not svg.lstrip().startswith("<"):
        return f"<p class=note>{esc(caption)} (not drawn: {esc(svg)})</p>"
    return f"<figure>{strip_prolog(svg)}<figcaption>{esc(caption)}</figcaption></figure>"


def _anchor(name: str) -> str:
    return "check-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
