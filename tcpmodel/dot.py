"""Minimal DOT writing with escaping (networkx's DOT writer needs pydot)."""

from __future__ import annotations


def quote(text) -> str:
    """A DOT double-quoted string with quotes, backslashes and newlines escaped."""
    return f'"{_escape(text)}"'


def _escape(text) -> str:
    # a backslash is doubled so that \N, \l, \G ... in user text stay literal
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Raw(str):
    """DOT text that is already quoted (e.g. a multi-line label from :func:`label_lines`)."""


def label_lines(texts, *, left: bool = True) -> Raw:
    """A quoted multi-line DOT label: each line escaped, ended by \\l (left-justified) or \\n."""
    end = "\\l" if left else "\\n"
    return Raw('"' + "".join(_escape(t) + end for t in texts) + '"')


def attrs(**kw) -> str:
    """``[key="value", ...]``: every value quoted unless it is :class:`Raw`; None values left out."""
    items = [f"{k}={v if isinstance(v, Raw) else quote(v)}" for k, v in kw.items() if v is not None]
    return "[" + ", ".join(items) + "]"


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
