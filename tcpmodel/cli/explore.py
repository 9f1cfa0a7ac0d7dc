"""``tcpmodel explore``: step through a check's states in the browser (a local server)."""

from __future__ import annotations

import sys

from ..errors import InputError
from .common import EXIT_OK, NONNEGATIVE, parse_sets


def add_parser(sub) -> None:
    e = sub.add_parser("explore", help="step through a check's states in the browser",
                       description="Start a local web server (127.0.0.1 only) and open a page to "
                                   "step through CHECK's state space: both endpoints' TCBs, the "
                                   "segments in flight, every enabled action with its rule, the "
                                   "path as a sequence chart, back and branch, the check's "
                                   "counterexamples and witnesses, and shortest paths to a "
                                   "formula. Ctrl-C stops it.")
    e.add_argument("check", nargs="?", default="handshake", metavar="CHECK",
                   help="check name or path (default handshake)")
    e.add_argument("--variant", help="rule variant to use instead of the check's")
    e.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a model parameter (repeatable)")
    e.add_argument("--port", type=NONNEGATIVE, default=0, metavar="P",
                   help="port on 127.0.0.1 (default: a free one)")
    e.add_argument("--trace", metavar="FILE.json",
                   help="start on this trace (from check --json or --out, or downloaded here)")
    e.add_argument("--no-browser", action="store_true",
                   help="only print the URL; do not open a browser")


def run(args) -> int:
    from .. import api
    from ..explorer.server import ExplorerServer, serve
    from ..explorer.session import Session

    model = api.load(args.check, params=parse_sets(args.set), variant=args.variant)
    session = Session(model)
    opened = None
    if args.trace:
        trace, title = api.read_trace(args.trace)
        try:
            path = session.path_of(trace)
        except InputError as e:
            raise InputError(e.what, file=args.trace, where=e.where, fix=e.fix) from None
        opened = (path, trace.loop_start, title or args.trace)
    if args.port > 65535:
        raise InputError(f"port {args.port} is out of range", where="--port", fix="0 to 65535")
    try:
        server = ExplorerServer(session, args.port, trace=opened)
    except OSError as e:
        raise InputError(f"cannot listen on 127.0.0.1:{args.port}: {e.strerror}", where="--port",
                         fix="choose another port, or leave --port out for a free one") from None
    print(f"tcpmodel explore: {model.check.name} ({model.check.variant}) at {server.url}",
          flush=True)
    print("  (local only; Ctrl-C stops the server)", file=sys.stderr, flush=True)
    if not args.no_browser:
        import webbrowser
        try:
            webbrowser.open(server.url)
        except Exception:   # no browser here: the URL above is enough
            pass
    serve(server)
    return EXIT_OK
