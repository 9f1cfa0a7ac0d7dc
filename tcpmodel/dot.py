"""Minimal DOT writing with escaping (networkx's DOT writer needs pydot)."""

from __future__ import annotations


def quote(text) -> str:
    """A DOT double-quoted string with quotes, backslashes and newlines escaped."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def write_dot(g, path: str) -> None:
    lines = [f"digraph {quote(g.graph.get('name', 'G'))} {{", "  node [shape=box, fontsize=10];"]
    for n, d in g.nodes(data=True):
        label = f"{d.get('a', '')} / {d.get('b', '')}"
        attrs = f"label={quote(label)}"
        if d.get("terminal"):
            attrs += ", peripheries=2"
        lines.append(f"  {quote(n)} [{attrs}];")
    for u, v, d in g.edges(data=True):
        lines.append(f"  {quote(u)} -> {quote(v)} [label={quote(d.get('label', ''))}];")
    lines.append("}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
