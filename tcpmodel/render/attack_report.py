"""``tcpmodel attack`` output: the attacks per property, the transfer matrix (text, JSON,
HTML), and the files of each attack (a replayable scenario and its chart)."""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..trace import render_text as trace_text
from .html import CSS
from .xml import esc, strip_prolog


def _cell(x) -> str:
    return "yes" if x is True else "no" if x is False else "?"


def _odds(a) -> str:
    if not a.odds:
        return ""
    return "forged values: " + ", ".join(f"{s} of {n}" for s, n in a.odds)


def render_text(report) -> str:
    out = [f"== {report.check} ({report.variant}): attacks of at most {report.max_actions} "
           f"attacker action{'s' if report.max_actions != 1 else ''}",
           f"   attacker: {report.attacker}",
           f"   attacker's graph: {report.states:,} states"
           f"{'' if report.graph_complete else ' (INCOMPLETE)'}, {report.seconds:.1f} s in all"]
    out += [f"   note: {n}" for n in report.notes]
    for s in report.syntheses:
        out.append("")
        head = f"   {s.prop} ({s.kind}): "
        if s.honest_violation:
            out.append(head + "violated without any attacker action (no attack to find)")
            continue
        if not s.attacks:
            done = "complete search" if s.complete else f"search stopped: {s.note or 'limit'}"
            out.append(head + f"no attack of at most {s.max_actions} actions ({done})")
            continue
        more = "" if s.complete else " (search stopped: there may be more)"
        out.append(head + f"{len(s.attacks)} distinct minimal attack"
                   f"{'s' if len(s.attacks) != 1 else ''}{more}")
        width = max(len(a.text()) for a in s.attacks)
        for i, a in enumerate(s.attacks, start=1):
            loop = ", then a loop" if a.loop_start is not None else ""
            out.append(f"     {i:>2}. {a.text():<{width}}  {len(a.moves)} steps{loop}  {_odds(a)}"
                       .rstrip())
    out += [""] + matrix_text(report)
    return "\n".join(out)


def matrix_text(report) -> list:
    """Rows: attacks; columns: variants; a cell lists the properties the attack violates there."""
    props = [s.prop for s in report.syntheses]
    attacks = [a for a in report.attacks if a.letters]
    if not attacks or not report.variants:
        return ["   transfer matrix: no attacks" if not attacks else
                "   transfer matrix: no variants"]
    legend = ", ".join(f"{i}={p}" for i, p in enumerate(props, start=1))
    out = ["   transfer matrix: the properties each attack violates on each variant",
           f"   ({legend}; ? = search limit)"]
    rows = []
    for a in attacks:
        row = report.matrix.get(a.name, {})
        cells = []
        for v in report.variants:
            got = [str(i) for i, p in enumerate(props, start=1) if row.get((p, v)) is True]
            unk = any(row.get((p, v)) is None for p in props)
            cells.append(",".join(got) + ("?" if unk else "") or "-")
        rows.append((a.name, a.text(), cells))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    wv = [max(len(v), *(len(r[2][j]) for r in rows)) for j, v in enumerate(report.variants)]
    out.append("   " + f"{'attack':<{w0}}  {'actions':<{w1}}  "
               + "  ".join(f"{v:<{w}}" for v, w in zip(report.variants, wv)))
    for name, text, cells in rows:
        out.append("   " + f"{name:<{w0}}  {text:<{w1}}  "
                   + "  ".join(f"{c:<{w}}" for c, w in zip(cells, wv)))
    return out


def write_outputs(report, directory: Path) -> list:
    """Per attack: NAME.toml (scenario), NAME.svg/.mmd/.json/.txt (chart and trace); and
    attacks.json, matrix.txt, report.html."""
    from .attack_files import scenario_text
    from .files import emit, safe_name, write_trace_files
    from .seqchart import chart_svg

    directory.mkdir(parents=True, exist_ok=True)
    model = report.models[report.variant]
    written = []
    charts = {}
    for a in report.attacks:
        title = f"{a.name}: {a.text()}"
        written += write_trace_files(a.trace, directory, a.name, title)
        text = scenario_text(model, a, title, f"tcpmodel attack {report.check}, property {a.prop}")
        path = directory / f"{safe_name(a.name)}.toml"
        emit(text, str(path))
        written.append(path)
        charts[a.name] = chart_svg(a.trace, title)
    doc = report.to_json()
    doc["tcpmodel"] = __version__
    for path, text in ((directory / "attacks.json", json.dumps(doc, indent=2) + "\n"),
                       (directory / "matrix.txt", "\n".join(matrix_text(report)) + "\n"),
                       (directory / "report.html", report_html(report, charts))):
        emit(text, str(path))
        written.append(path)
    return written


def report_html(report, charts: dict) -> str:
    """One self-contained page: the attacks per property, the transfer matrix, each chart."""
    props = [s.prop for s in report.syntheses]
    title = f"tcpmodel attack {report.check} ({report.variant})"
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{esc(title)}</title>", f"<style>{CSS}\ntd.yes {{ color: #c0392b; "
           "font-weight: bold; } td.no { color: #1e8449; }</style></head><body>",
           f"<h1>{esc(title)}</h1>",
           f"<p class=note>tcpmodel {esc(__version__)}. Attacker: {esc(report.attacker)}; "
           f"attacks of at most {report.max_actions} actions; {report.states:,} states.</p>"]
    out += [f"<p class=note>{esc(n)}</p>" for n in report.notes]
    out.append("<h2>Attacks per property</h2><table><tr><th>property</th><th>kind</th>"
               "<th>attack</th><th>actions</th><th>steps</th><th>forged values</th></tr>")
    for s in report.syntheses:
        if not s.attacks:
            what = ("violated without an attacker" if s.honest_violation else
                    "no attack found" + ("" if s.complete else " (search stopped)"))
            out.append(f"<tr><td>{esc(s.prop)}</td><td>{esc(s.kind)}</td>"
                       f"<td colspan=4>{esc(what)}</td></tr>")
        for a in s.attacks:
            out.append(f"<tr><td>{esc(s.prop)}</td><td>{esc(s.kind)}</td>"
                       f'<td><a href="#{esc(a.name)}">{esc(a.name)}</a></td>'
                       f"<td>{esc(a.text())}</td><td class=num>{len(a.moves)}</td>"
                       f"<td>{esc(_odds(a))}</td></tr>")
    out.append("</table>")
    attacks = [a for a in report.attacks if a.letters]
    if attacks and report.variants:
        out.append("<h2>Transfer matrix</h2><p class=note>yes: the attack's actions, in order "
                   "(any forged numbers), also violate that property on that variant.</p>")
        out.append("<table><tr><th rowspan=2>attack</th>"
                   + "".join(f"<th colspan={len(props)}>{esc(v)}</th>" for v in report.variants)
                   + "</tr><tr>" + "".join(f"<th>{esc(p)}</th>" for _ in report.variants
                                           for p in props) + "</tr>")
        for a in attacks:
            row = report.matrix.get(a.name, {})
            cells = "".join(f'<td class="{_cell(row.get((p, v)))}">{_cell(row.get((p, v)))}</td>'
                            for v in report.variants for p in props)
            out.append(f"<tr><td>{esc(a.name)}<br><small>{esc(a.text())}</small></td>{cells}</tr>")
        out.append("</table>")
    for a in report.attacks:
        out.append(f'<h3 id="{esc(a.name)}">{esc(a.name)}: {esc(a.text())}</h3>')
        chart = charts.get(a.name)
        if chart:
            out.append(f"<figure>{strip_prolog(chart)}<figcaption>the run of {esc(a.name)}"
                       "</figcaption></figure>")
        out.append(f"<pre>{esc(trace_text(a.trace, indent=''))}</pre>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
