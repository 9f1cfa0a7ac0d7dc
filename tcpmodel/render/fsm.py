"""The endpoint state diagram as DOT, drawn from the rules and laid out like RFC 9293 Figure 5.

The rows of ``[diagram]`` fix the vertical order (CLOSED on top, ESTABLISHED in the centre,
the closing states below); a state listed in two rows is drawn twice and each edge into it
goes to the nearer copy.  Edges are ``event / action`` labels from :mod:`.transitions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from ..dot import Raw, attrs, label_lines, quote
from ..errors import InputError
from .transitions import Transition, label, transitions
from .xml import esc

FONT = "Helvetica"
UNFIRED = "#9a9a9a"


@dataclass(frozen=True)
class Layout:
    """Where states are drawn: node ids per row, and each state's home row."""
    rows: tuple          # ((node id, state), ...) per row
    home: dict           # state -> (row, node id) of its first drawing: edges leave from it

    def target(self, state: str, from_state: str) -> str:
        """The node an edge from ``from_state`` into ``state`` points at: the nearest copy."""
        src_row = self.home[from_state][0]
        best = None
        for r, row in enumerate(self.rows):
            for nid, s in row:
                if s == state and (best is None or abs(r - src_row) < best[0]):
                    best = (abs(r - src_row), nid)
        return best[1]


def layout(spec) -> Layout:
    """Node ids from ``[diagram] rows`` (one row per state when the variant has none)."""
    rows_spec = spec.diagram.rows if spec.diagram else tuple((s,) for s in spec.states)
    rows, home = [], {}
    for r, names in enumerate(rows_spec):
        row = []
        for s in names:
            nid = s if s not in home else f"{s}#{r}"
            home.setdefault(s, (r, nid))
            row.append((nid, s))
        rows.append(tuple(row))
    return Layout(tuple(rows), home)


def select(spec, *, main_only: bool = False, loops: bool = True) -> list[Transition]:
    """The transitions a diagram shows: all, or the RFC figure's main ones (never self-loops)."""
    ts = transitions(spec)
    if main_only:
        if not (spec.diagram and spec.diagram.main):
            raise InputError(f"variant {spec.name} names no main transitions", file=spec.files[0],
                             where="[diagram]", fix='add main = ["rule-id", ...] to [diagram]')
        return [t for t in ts if t.main and not t.loop]
    return [t for t in ts if loops or not t.loop]


def fsm_dot(spec, *, main_only: bool = False, collapse: bool = True, loops: bool = True,
            fired: set | None = None, coverage_of: str | None = None, title: str | None = None,
            edges: list | None = None, style=None, tag: bool = False) -> str:
    """DOT text of the endpoint state diagram.

    ``collapse`` merges the edges between the same two nodes into one edge with one label line
    per distinct label; ``fired`` (a set of (rule, src, dst)) draws the transitions outside it
    dashed grey as "never fired" in check ``coverage_of``.  ``edges``/``style`` let the diff
    diagram reuse this drawing: ``style(transition) -> (class, colour, dashed)``; with ``tag``
    each label line ends with its class ("added", ...) unless the class is "same".
    """
    lay = layout(spec)
    labels = spec.diagram.labels if spec.diagram else {}
    ts = edges if edges is not None else select(spec, main_only=main_only, loops=loops)
    if style is None:
        def style(t):
            # a rule that does nothing on a call or timeout is never a step: not "unfired"
            if fired is not None and not t.silent and (t.rule, t.src, t.dst) not in fired:
                return ("never fired", UNFIRED, True)
            return ("", "black", False)
    what = "main transitions (RFC 9293 Figure 5)" if main_only else "every rule"
    head = title or f"{spec.name}: endpoint states, {what}"
    if fired is not None:
        head += f"\ndashed grey: never fired in check '{coverage_of}'"
    graph = attrs(label=head, labelloc="t", fontname=FONT, fontsize="16", newrank="true",
                  nodesep="0.5", ranksep="0.45", splines="spline")
    node = attrs(shape="box", style="rounded,filled", fillcolor="#eef3fb", fontname=FONT,
                 fontsize="12", margin="0.15,0.06")
    out = [f"digraph {quote(spec.name)} {{", f"  graph {graph};", f"  node {node};",
           f"  edge {attrs(fontname=FONT, fontsize='9', arrowsize='0.7')};"]
    groups: dict = {}
    loops_at: dict = {}       # node id -> [(transition, style)]: drawn inside the node

    def text(t, cls):
        word = cls.split(":")[0]
        return label(t, labels) + (f" ({word})" if tag and word not in ("", "same") else "")

    for t in ts:
        src = lay.home[t.src][1]
        if t.loop:
            loops_at.setdefault(src, []).append((t, style(t)))
            continue
        dst = lay.target(t.dst, t.src)
        key = (src, dst, style(t)) if collapse else (src, dst, style(t), t.rule, t.guard)
        groups.setdefault(key, []).append(t)
    for r, row in enumerate(lay.rows):
        out.append("  { rank=same; " + " ".join(
            f"{quote(nid)} {_node_attrs(s, loops_at.get(nid, []), text, collapse)};"
            for nid, s in row) + " }")
        for (a, _), (b, _) in pairwise(row):   # left-to-right order within the row
            out.append(f"  {quote(a)} -> {quote(b)} [style=invis];")
    for r in range(len(lay.rows) - 1):             # top-to-bottom order of the rows
        out.append(f"  {quote(lay.rows[r][0][0])} -> {quote(lay.rows[r + 1][0][0])} "
                   "[style=invis, weight=4];")
    for (src, dst, (cls, colour, dashed), *_), group in groups.items():
        texts = list(dict.fromkeys(text(t, cls) for t in group))
        tip = _tooltip(group, labels, cls)
        up = lay.home[group[0].src][0] > _row_of(lay, dst)
        out.append(f"  {quote(src)} -> {quote(dst)} " + attrs(
            label=label_lines(texts), tooltip=tip, labeltooltip=tip, color=colour,
            fontcolor=colour, style="dashed" if dashed else None,
            constraint="false" if up else None, **{"class": _classes(group)}) + ";")
    out.append("}")
    return "\n".join(out) + "\n"


def _node_attrs(state: str, loops: list, text, collapse: bool) -> str:
    """A state's node: its name, then the rules that keep it in the state, one line each
    (self-loops drawn as edges would bury the picture in loop labels)."""
    html = f"<b>{esc(state)}</b>"
    if loops:
        lines = {}
        for t, (cls, colour, _) in loops:
            line = text(t, cls) + ("" if collapse else f"  ({t.rule})")
            lines.setdefault((line, colour), None)
        html += '<br/><font point-size="9">' + "".join(
            f'<font color="{esc(colour)}">{esc(line)}</font><br align="left"/>'
            for line, colour in lines) + "</font>"
    tip = "\n".join(f"{t.rule}: {text(t, cls)}" for t, (cls, _, _) in loops) if loops else state
    return attrs(label=Raw(f"<{html}>"), tooltip=tip,
                 **{"class": _classes([t for t, _ in loops], "state")})


def _tooltip(group, labels, cls) -> str:
    return "\n".join(f"{t.rule}: {label(t, labels)}" + (f" ({cls})" if cls else "") for t in group)


def _classes(group, kind: str = "transition") -> str:
    # rule ids as classes let a test (or a stylesheet) find every rule in the SVG
    return " ".join([kind] + [f"rule-{t.rule}" for t in group])


def _row_of(lay: Layout, nid: str) -> int:
    for r, row in enumerate(lay.rows):
        if any(n == nid for n, _ in row):
            return r
    raise KeyError(nid)
