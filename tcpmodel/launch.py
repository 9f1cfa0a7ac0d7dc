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
        from .errors import interrupted
        code = interrupted()
    sys.exit(code)
