"""The explorer's HTTP server: the page (package data in ``static/``) and a small JSON API
over a :class:`Session`.  Bound to 127.0.0.1; requests from any other address, or naming any
other host (DNS rebinding), are refused.  A bad request gets a JSON error with one line the
page shows; the server keeps running."""

from __future__ import annotations

import ipaddress
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from urllib.parse import parse_qs, urlsplit

from .. import __version__
from ..errors import InputError
from .session import Path, Session

STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/explorer.js": ("explorer.js", "text/javascript; charset=utf-8"),
          "/explorer.css": ("explorer.css", "text/css; charset=utf-8")}
MAX_BODY = 5_000_000
# the page runs its own script and styles only; no network, no frames, no plugins
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


class ExplorerServer(ThreadingHTTPServer):
    daemon_threads = True     # an unfinished query does not keep Ctrl-C waiting

    def __init__(self, session: Session, port: int = 0, *, title: str = "", trace=None,
                 log=None):
        self.session = session
        self.title = title
        self.opened = trace         # (path, loop start, title) of a --trace file, or None
        self.log = log
        super().__init__(("127.0.0.1", port), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class Handler(BaseHTTPRequestHandler):
    server: ExplorerServer
    server_version = f"tcpmodel-explore/{__version__}"

    # ------------------------------------------------------------ plumbing

    def log_message(self, fmt, *args):   # quiet unless asked: the terminal shows the URL
        if self.server.log is not None:
            self.server.log.write("  " + (fmt % args) + "\n")

    def _refuse(self) -> bool:
        """Refuse non-local clients and foreign Host headers (DNS rebinding)."""
        try:
            local = ipaddress.ip_address(self.client_address[0]).is_loopback
        except ValueError:
            local = False
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        if local and host in ("127.0.0.1", "localhost", "::1"):
            return False
        self._send(403, "text/plain; charset=utf-8", b"tcpmodel explore answers local requests only\n")
        return True

    def _send(self, code: int, ctype: str, body: bytes, extra: dict | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CSP)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, obj, code: int = 200, extra: dict | None = None) -> None:
        self._send(code, "application/json; charset=utf-8",
                   json.dumps(obj).encode("utf-8"), extra)

    def _error(self, message: str, code: int = 400) -> None:
        self._json({"error": message}, code)

    def do_GET(self):
        if self._refuse():
            return
        url = urlsplit(self.path)
        if url.path in STATIC:
            name, ctype = STATIC[url.path]
            body = (files("tcpmodel.explorer") / "static" / name).read_bytes()
            self._send(200, ctype, body)
            return
        handler = GETS.get(url.path)
        if handler is None:
            self._error(f"no such page: {url.path}", 404)
            return
        self._answer(handler, {k: v[-1] for k, v in parse_qs(url.query).items()})

    def do_POST(self):
        if self._refuse():
            return
        url = urlsplit(self.path)
        handler = POSTS.get(url.path)
        if handler is None:
            self._error(f"no such action: {url.path}", 404)
            return
        # JSON only: a cross-site form cannot send it without a preflight this server never allows
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            self._error("send application/json", 415)
            return
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        if not 0 <= n <= MAX_BODY:
            self._error("request body missing or too large", 413)
            return
        try:
            body = json.loads(self.rfile.read(n) or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            self._error(f"malformed JSON: {e}")
            return
        if not isinstance(body, dict):
            self._error("expected a JSON object")
            return
        self._answer(handler, body)

    def _answer(self, handler, args: dict) -> None:
        try:
            out = handler(self, args)
        except InputError as e:
            self._error(str(e))
            return
        except (KeyError, TypeError, ValueError) as e:
            self._error(f"bad request: {type(e).__name__}: {e}")
            return
        except Exception as e:   # a bug: say so in the page and keep serving
            print(f"tcpmodel explore: internal error: {type(e).__name__}: {e}", file=sys.stderr)
            self._error(f"internal error: {type(e).__name__}: {e}", 500)
            return
        if out is not None:
            self._json(out)

    # ------------------------------------------------------------ the API

    def info(self, args):
        s = self.server.session
        c = s.model.check
        opened = None
        if self.server.opened is not None:
            path, loop, title = self.server.opened
            opened = {"start": path.start, "moves": path.moves, "loop_start": loop,
                      "title": title}
        return {"check": c.name, "variant": c.variant, "title": self.server.title,
                "description": " ".join(c.description.split()),
                "parameters": {k: v for k, v in c.params.items()},
                "overrides": c.overrides, "initial": s.initial, "opened": opened,
                "version": __version__}

    def state(self, args):
        s = self.server.session
        prev = args.get("prev")
        return s.view(_int(args.get("id"), "id"), None if prev in (None, "") else _int(prev, "prev"),
                      None if prev in (None, "") else _int(args.get("k"), "k"))

    def path(self, args):
        """The path as a trace: chart (SVG), text and JSON, and the state ids along it."""
        from ..render.seqchart import chart_svg
        from ..trace import render_text
        s = self.server.session
        p = _path(args)
        loop = args.get("loop_start")
        loop = loop if isinstance(loop, int) and 0 <= loop < len(p.moves) else None
        trace = s.trace(p, loop)
        return {"ids": s.replay(p), "svg": chart_svg(trace, _title(self.server)),
                "text": render_text(trace, indent=""), "steps": [st.to_json() for st in trace.steps]}

    def download(self, args):
        """The path as a trace JSON file (``tcpmodel trace`` renders it, --trace reopens it)."""
        s = self.server.session
        moves = [_int(x, "moves") for x in (args.get("moves") or "").split(",") if x.strip()]
        p = Path(_int(args.get("start"), "start"), moves)
        doc = _trace_doc(s, s.trace(p))
        body = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
        name = f"{''.join(ch if ch.isalnum() or ch in '-_' else '_' for ch in s.model.check.name)}" \
               f"-path-{len(moves)}.json"
        self._send(200, "application/json; charset=utf-8", body,
                   {"Content-Disposition": f'attachment; filename="{name}"'})

    def verdicts(self, args):
        return self.server.session.verdicts()

    def reach(self, args):
        s = self.server.session
        p = _path(args)
        ids = s.replay(p)
        return s.reach(ids[-1], args.get("formula"))

    def open_trace(self, args):
        """A trace JSON document (a file the user picked in the page) as a path."""
        from ..api import _pick_trace
        from ..trace import trace_from_json
        doc = args.get("document")
        found, _ = _pick_trace(doc, "the opened file", None, None)
        trace = trace_from_json(found, file="the opened file")
        p = self.server.session.path_of(trace)
        return {"start": p.start, "moves": p.moves, "loop_start": trace.loop_start}


GETS = {"/api/info": Handler.info, "/api/state": Handler.state, "/api/verdicts": Handler.verdicts,
        "/api/download": Handler.download}
POSTS = {"/api/path": Handler.path, "/api/reach": Handler.reach, "/api/open": Handler.open_trace}


def _int(v, what: str) -> int:
    try:
        if isinstance(v, bool):
            raise ValueError
        return int(v)
    except (TypeError, ValueError):
        raise InputError(f"'{what}' must be an integer, not {v!r}", where="request") from None


def _path(args) -> Path:
    moves = args.get("moves", [])
    if not isinstance(moves, list):
        raise InputError("'moves' must be a list of action indices", where="request")
    return Path(_int(args.get("start"), "start"), [_int(k, "moves") for k in moves])


def _title(server) -> str:
    c = server.session.model.check
    return server.title or f"{c.name} ({c.variant}): explored path"


def _trace_doc(session, trace) -> dict:
    c = session.model.check
    return {"check": c.name, "variant": c.variant, "parameters": c.overrides,
            **trace.to_json()}


def serve(server: ExplorerServer, stream=sys.stderr) -> None:
    """Serve until Ctrl-C, then close the socket."""
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("tcpmodel explore: stopped", file=stream, flush=True)
    finally:
        server.server_close()


def start_in_thread(server: ExplorerServer) -> threading.Thread:
    """For tests and notebooks: serve from a daemon thread (``server.shutdown()`` stops it)."""
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    return t
