"""What the commands share: exit codes, argument types, --set parsing, and small helpers."""

from __future__ import annotations

import argparse

from ..errors import InputError

EXIT_OK, EXIT_VIOLATED, EXIT_INPUT, EXIT_UNKNOWN, EXIT_DISAGREE = 0, 1, 2, 3, 4
EXIT_BROKEN_PIPE = 128 + 13  # what a process killed by SIGPIPE reports


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other input error
        raise InputError(message, where="command line", fix=f"see '{self.prog} --help'")


def _number(convert, minimum: float, strict: bool = False):
    """An argparse type: a number of at least ``minimum`` (above it when ``strict``)."""
    word = "an integer" if convert is int else "a number"
    bound = f"above {minimum:g}" if strict else f"at least {minimum:g}"

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or value != value:  # value != value: nan
            raise argparse.ArgumentTypeError(f"{text!r} is not {word}") from None
        if not (value > minimum if strict else value >= minimum):
            raise argparse.ArgumentTypeError(f"{text} is too small: must be {bound}")
        return value
    return parse


COUNT, NONNEGATIVE, SECONDS = _number(int, 1), _number(int, 0), _number(float, 0, strict=True)


def parse_sets(items: list[str]) -> dict:
    from ..params import parse_cli_value
    out = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"--set expects KEY=VALUE, got '{item}'", where="command line",
                             fix="e.g. --set loss=2")
        k, v = item.split("=", 1)
        out[k.strip()] = parse_cli_value(v)
    return out


def require_properties(models) -> None:
    """A check with nothing to check would print an empty table and exit 0: refuse it."""
    for m in models:
        if not m.properties:
            raise InputError("this check has no properties", file=m.check.path,
                             fix='list some, e.g. properties = ["no_deadlock"], add a '
                                 '[[property]] table, or pass --property NAME')


def memory_size(text: str) -> int:
    """An argparse type: ``--max-memory`` as bytes (4G, 512M, a number of MB); 0 = no limit."""
    from ..memory import parse_size
    try:
        n = parse_size(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 4G or 512M") from None
    return n


def add_memory_option(parser) -> None:
    parser.add_argument("--max-memory", type=memory_size, metavar="SIZE",
                        help="stop a search (verdicts so far; the rest unknown) once tcpmodel "
                             "holds this much memory, e.g. 4G or 512M; 0 for no limit (default: "
                             "half the machine's memory, at most 80%% of what is free)")


def max_memory(args, share: int = 1) -> int | None:
    """The memory limit in bytes of each of ``share`` processes (--max-memory or the default)."""
    from ..memory import limit
    return limit(getattr(args, "max_memory", None), share)
