"""The program's entry point (``tcpmodel`` and ``python -m tcpmodel``).

It imports nothing until it is inside its ``try``: Ctrl-C at any moment, even while the
modules load (over a second on a loaded machine), ends quietly with exit code 3.
"""

import sys


def entry() -> None:
    try:
        from .cli import main
        code = main()
    except KeyboardInterrupt:
        code = interrupted()
    sys.exit(code)


def interrupted() -> int:
    """Leave after Ctrl-C: one line on stderr, exit code 3 (the run's verdict is unknown)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # a second Ctrl-C while leaving
    try:
        print("tcpmodel: interrupted", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
    return 3
