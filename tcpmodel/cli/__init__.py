"""Command line: one module per command (``add_parser`` and ``run``), parsing and printing over
functions a Python user can call.

Exit codes: 0 every property holds, 1 a property is violated, 2 bad input,
3 unknown (a limit was hit or the run was interrupted), 4 the engines disagree
(``--engine both``: a bug in one of them, never a verdict).
"""

from __future__ import annotations

import os
import sys

from .. import __version__
from ..errors import InputError
from . import (
    attack,
    check,
    conform,
    diagram,
    diagrams,
    explore,
    export,
    listing,
    mutate,
    report,
    scenario,
    trace,
)
from .common import (
    EXIT_BROKEN_PIPE,
    EXIT_DISAGREE,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_VIOLATED,
    _Parser,
)

# command name -> module; the order is the order of 'tcpmodel --help'
COMMANDS = {
    "check": check,
    "diagram": diagram,
    "trace": trace,
    "report": report,
    "diagrams": diagrams,
    "scenario": scenario,
    "attack": attack,
    "conform": conform,
    "explore": explore,
    "export": export,
    "mutate": mutate,
    "list": listing,
}

__all__ = ["COMMANDS", "EXIT_BROKEN_PIPE", "EXIT_DISAGREE", "EXIT_INPUT", "EXIT_OK",
           "EXIT_UNKNOWN", "EXIT_VIOLATED", "entry", "main"]


def _parser() -> _Parser:
    p = _Parser(prog="tcpmodel", description="Model checker for the TCP connection state machine.")
    p.add_argument("--version", action="version", version=f"tcpmodel {__version__}")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS.values():
        module.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        argv = _utf8(sys.argv[1:] if argv is None else argv)
        args = _parser().parse_args(argv)
        if args.cmd not in COMMANDS:
            _parser().print_help()
            return EXIT_INPUT
        code = COMMANDS[args.cmd].run(args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below
        return code
    except InputError as e:
        print(f"tcpmodel: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:   # outside a search (which reports its partial summary itself)
        from ..errors import interrupted
        return interrupted()
    except BrokenPipeError:  # e.g. piped into head: stop quietly, like other Unix tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush
        return EXIT_BROKEN_PIPE
    except Exception as e:
        if type(e).__name__ != "EncodingError":  # z3 is imported only when the engine runs
            raise
        print(f"tcpmodel: internal error: the Z3 encoding disagrees with the explicit engine: {e}",
              file=sys.stderr)
        return EXIT_DISAGREE


def _utf8(argv: list[str]) -> list[str]:
    """The arguments, refusing bytes that are not UTF-8 (Python passes them on as surrogates,
    which no output could print)."""
    for i, a in enumerate(argv, start=1):
        try:
            a.encode("utf-8")
        except UnicodeEncodeError:
            shown = a.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise InputError(f"argument {i} ('{shown}') is not UTF-8 text", where="command line",
                             fix="rename the file or retype the argument in UTF-8") from None
    return argv


def entry() -> None:
    sys.exit(main())
