"""``tcpmodel trace``: render a saved trace as a sequence chart, Mermaid or text."""

from __future__ import annotations

import json

from ..errors import InputError
from .common import EXIT_OK


def add_parser(sub) -> None:
    t = sub.add_parser("trace", help="render a saved trace (from check --json or --out)",
                       description="Render a trace saved by 'tcpmodel check --json' or "
                                   "'tcpmodel check --out' as a sequence chart, Mermaid or text.")
    t.add_argument("file", metavar="FILE.json", help="a trace, or a whole check --json document")
    t.add_argument("-o", "--output", metavar="FILE", help="output: .svg, .mmd, .txt (default: text on stdout)")
    t.add_argument("--format", choices=["svg", "mermaid", "text"], help="output format")
    t.add_argument("--check", metavar="NAME", help="in a check --json document: this check's trace")
    t.add_argument("--property", "-p", metavar="NAME", help="in a check --json document: this property's trace")
    t.add_argument("--title", help="title of the chart")


def run(args) -> int:
    from pathlib import Path

    from ..render.files import emit, format_of
    from ..trace import render_text, trace_from_json

    fmt = format_of(args.output, args.format, ("svg", "mermaid", "text"), "text")
    doc = read_json(args.file)
    found, title = _pick_trace(doc, args)
    trace = trace_from_json(found, file=args.file)
    title = args.title or title or Path(args.file).stem
    if fmt == "svg":
        from ..render.seqchart import chart_svg
        out = chart_svg(trace, title)
    elif fmt == "mermaid":
        from ..render.mermaid import trace_mermaid
        out = trace_mermaid(trace, title)
    else:
        out = f"{title}\n\n{render_text(trace, indent='')}\n"
    emit(out, args.output)
    return EXIT_OK


def read_json(path: str):
    """A JSON document from ``path``, or a one-line InputError."""
    from ..tomlfile import read_input

    text = read_input(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"malformed JSON: {e.msg}", file=path, where=f"{e.lineno}:{e.colno}",
                         fix="give a file written by tcpmodel check --json or --out") from None
    except RecursionError:
        raise InputError("malformed trace: the JSON nests too deeply", file=path,
                         fix="give a file written by tcpmodel check --json or --out") from None


def _pick_trace(doc, args) -> tuple:
    """(trace document, title) from a trace, a property, a check or a check --json document."""
    if isinstance(doc, dict) and "steps" in doc:
        return doc, None
    cands = []   # (check, property, verdict, trace)
    checks = doc.get("checks") if isinstance(doc, dict) else None
    if checks is None and isinstance(doc, dict) and "properties" in doc:
        checks = [doc]
    for c in checks if isinstance(checks, list) else []:
        props = c.get("properties") if isinstance(c, dict) else None
        for name, p in (props.items() if isinstance(props, dict) else ()):
            if isinstance(p, dict) and "trace" in p:
                cands.append((str(c.get("name")), name, p.get("verdict"), p["trace"]))
    if isinstance(doc, dict) and "trace" in doc and not cands:
        cands.append((None, None, doc.get("verdict"), doc["trace"]))
    if not cands:
        raise InputError("no trace in this file", file=args.file,
                         fix="give a file written by 'tcpmodel check --json' or '--out'")
    if args.check:
        cands = [c for c in cands if c[0] == args.check]
    if args.property:
        cands = [c for c in cands if c[1] == args.property]
    if len(cands) > 1 and not args.property:
        violated = [c for c in cands if c[2] == "violated"]
        cands = violated or cands
    if len(cands) != 1:
        names = ", ".join(f"{c}/{p}" for c, p, _, _ in cands) or "none matches"
        raise InputError(f"the file holds {len(cands)} matching traces ({names})", file=args.file,
                         fix="pick one with --check NAME and --property NAME")
    c, p, verdict, trace = cands[0]
    return trace, (f"{c}: {p} {verdict}" if p else None)
