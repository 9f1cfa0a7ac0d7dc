"""Running a Graphviz layout program on DOT text.

Order of preference: ``$TCPMODEL_DOT`` if set (a program name or path), a system ``dot`` on
PATH, then the ``graphviz-pure`` program of the graphviz-pure wheel (a dependency, so a plain
``pip install`` can draw).  The wheel's program is also looked for beside the running Python,
for a virtual environment that is not activated.  Both take the same flags.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import InputError

FORMATS = ("svg", "png")
PURE = "graphviz-pure"


def find_layout(prefer: str | None = None) -> str:
    """The path of the layout program to run; ``prefer`` = "pure" picks graphviz-pure first."""
    forced = os.environ.get("TCPMODEL_DOT")
    if forced:
        found = shutil.which(forced)
        if found:
            return found
        raise InputError(f"TCPMODEL_DOT names '{forced}', which is not an executable program",
                         where="environment", fix="unset TCPMODEL_DOT or give a path to dot")
    order = [_pure, _system] if prefer == "pure" else [_system, _pure]
    for find in order:
        found = find()
        if found:
            return found
    raise InputError("no Graphviz layout program found (neither 'dot' nor 'graphviz-pure')",
                     where="diagram",
                     fix="pip install graphviz-pure (or apt-get install graphviz), or write .dot")


def _system() -> str | None:
    return shutil.which("dot")


def _pure() -> str | None:
    found = shutil.which(PURE)
    if found:
        return found
    beside = Path(sys.executable).parent / PURE
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def render(dot_text: str, fmt: str, *, prefer: str | None = None) -> bytes:
    """The picture (``svg`` or ``png`` bytes) that the layout program draws from ``dot_text``."""
    if fmt not in FORMATS:
        raise InputError(f"cannot render format '{fmt}'", fix="use svg or png")
    exe = find_layout(prefer)
    try:
        p = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode("utf-8"),
                           capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InputError(f"{exe} failed to run: {e}", where="diagram",
                         fix="write .dot and lay it out yourself") from None
    if p.returncode != 0 or not p.stdout:
        msg = " ".join(p.stderr.decode("utf-8", "replace").split())[:300]
        raise InputError(f"{Path(exe).name} exited with {p.returncode}: {msg}", where="diagram",
                         fix="write .dot and lay it out yourself")
    return p.stdout

