"""``tcpmodel trace``: render a saved trace as a sequence chart, Mermaid or text."""

from __future__ import annotations

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

    from .. import api
    from ..render.files import emit, format_of

    fmt = format_of(args.output, args.format, ("svg", "mermaid", "text"), "text")
    trace, title = api.read_trace(args.file, check=args.check, prop=args.property)
    emit(api.chart(trace, args.title or title or Path(args.file).stem).render(fmt), args.output)
    return EXIT_OK
