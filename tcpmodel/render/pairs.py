"""The reachable (A state, B state) pairs of a check as DOT: the projection of the global
state graph that stays readable (at most 11 x 11 nodes) where the raw graph does not.

An edge joins two pairs when some step leads from a global state of one to a global state
of the other; its label lists who stepped and how (``A: rcv SYN,ACK``).  Steps that change
neither endpoint's state (losses, duplicates, most acknowledgments) are not drawn.  Pairs
with a dead end (no step enabled) have a double border; the pairs where a counterexample
ends are filled red.
"""

from __future__ import annotations

from ..dot import attrs, label_lines, quote
from .fsm import FONT


def pairs_dot(proj, *, name: str, labels: dict, ends: dict | None = None,
              title: str | None = None) -> str:
    """DOT text of a :class:`~tcpmodel.render.explored.Projection`.

    ``ends`` maps a pair to the names of the properties whose counterexample ends there."""
    ends = ends or {}
    head = title or (f"{name}: reachable (A state, B state) pairs\n"
                     "double border: a dead end (no step enabled); red: a counterexample ends here")
    graph = attrs(label=head, labelloc="t", fontname=FONT, fontsize="14", nodesep="0.35",
                  ranksep="0.5")
    node = attrs(shape="box", style="rounded,filled", fillcolor="#eef3fb", fontname=FONT,
                 fontsize="11")
    out = [f"digraph {quote(name)} {{", f"  graph {graph};", f"  node {node};",
           f"  edge {attrs(fontname=FONT, fontsize='9', arrowsize='0.6', color='#555555')};"]
    nid = {p: f"p{i}" for i, p in enumerate(sorted(proj.pairs, key=_pair_order(proj)))}
    for p in sorted(proj.pairs, key=_pair_order(proj)):
        a, b = p
        text = [f"A: {a}", f"B: {b}", f"{proj.pairs[p]:,} states"]
        fill, per, tip = None, None, f"A {a}, B {b}: {proj.pairs[p]:,} global states"
        if p in proj.terminal:
            per = "2"
            tip += f"; {proj.terminal[p]:,} of them dead ends"
        if p in ends:
            fill = "#f8c9c4"
            text.append("ends: " + ", ".join(ends[p]))
            tip += "; counterexample of " + ", ".join(ends[p])
        if p == proj.initial:
            fill = fill or "#d9f0d3"
        out.append(f"  {nid[p]} " + attrs(label=label_lines(text, left=False), fillcolor=fill,
                                          peripheries=per, tooltip=tip,
                                          **{"class": "pair"}) + ";")
    for (p, q), steps in sorted(proj.edges.items(), key=lambda e: (nid[e[0][0]], nid[e[0][1]])):
        texts = sorted({f"{actor}: {labels.get(ev, ev)}" for actor, _, ev in steps})
        out.append(f"  {nid[p]} -> {nid[q]} "
                   + attrs(label=label_lines(texts), tooltip="\n".join(texts)) + ";")
    out.append("}")
    return "\n".join(out) + "\n"


def _pair_order(proj):
    # the initial pair first, then by name: node ids and output are the same on every run
    return lambda p: (p != proj.initial, p)
