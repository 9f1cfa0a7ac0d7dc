"""Writing pictures to files: the format from the file name, graph layouts through Graphviz,
and the files of one trace (chart, Mermaid, JSON, text)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import InputError

SUFFIXES = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid",
            ".mermaid": "mermaid", ".txt": "text", ".json": "json", ".html": "html"}


def suffix_of(fmt: str) -> str:
    """The usual file suffix of a format (the first one SUFFIXES lists for it)."""
    return next(s for s, f in SUFFIXES.items() if f == fmt)


def format_of(path: str | None, given: str | None, allowed: tuple, default: str) -> str:
    """The output format: ``--format`` if given, else the file suffix, else ``default``."""
    fmt = given
    if fmt is None and path and path != "-":
        fmt = SUFFIXES.get(Path(path).suffix.lower())
        if fmt is None:
            raise InputError(f"cannot tell the format of '{path}' from its suffix",
                             where="command line",
                             fix="name it " + ", ".join(f"*{suffix_of(a)}" for a in allowed)
                             + " or give --format")
    fmt = fmt or default
    if fmt not in allowed:
        raise InputError(f"this picture cannot be written as {fmt}", where="command line",
                         fix="use one of " + ", ".join(allowed))
    return fmt


def emit(data: str | bytes, path: str | None) -> None:
    """Write ``data`` to ``path``, or to standard output when there is no path (or "-")."""
    if path is None or path == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        sys.stdout.flush()
        return
    p = Path(path)
    try:
        if p.parent and not p.parent.exists():
            p.parent.mkdir(parents=True)
        if isinstance(data, bytes):
            p.write_bytes(data)
        else:
            p.write_text(data, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot write: {e.strerror}", file=str(p),
                         fix="choose a path in a directory you can write to") from None


def graph_output(dot_text: str, fmt: str, *, prefer: str | None = None) -> str | bytes:
    """What to write for a Graphviz picture: the DOT itself, or its SVG/PNG layout."""
    if fmt == "dot":
        return dot_text
    from .graphviz import render
    out = render(dot_text, fmt, prefer=prefer)
    return out.decode("utf-8") if fmt == "svg" else out


def write_trace_files(trace, directory: Path, stem: str, title: str) -> list[Path]:
    """``stem``.svg (chart), .mmd (Mermaid), .json (the trace, for ``tcpmodel trace``) and .txt
    (RFC notation) in ``directory``; returns the paths written."""
    from ..trace import render_text
    from .mermaid import trace_mermaid
    from .seqchart import chart_svg

    files = {".svg": chart_svg(trace, title), ".mmd": trace_mermaid(trace, title),
             ".json": json.dumps(trace.to_json(), indent=2) + "\n",
             ".txt": f"{title}\n\n{render_text(trace, indent='')}\n"}
    return emit_files(directory, stem, files)


def emit_files(directory: Path, stem: str, files: dict) -> list[Path]:
    """Write ``stem`` + suffix for each (suffix, text) of ``files``; returns the paths."""
    out = []
    for suffix, text in files.items():
        path = directory / f"{safe_name(stem)}{suffix}"
        emit(text, str(path))
        out.append(path)
    return out


def safe_name(name: str) -> str:
    """A file name from user text (check and property names): no separators, no dots first."""
    s = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).lstrip(".")
    return s or "trace"
