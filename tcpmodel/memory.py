"""Memory: what this process uses, the default limit of a search, and ``--max-memory`` sizes.

A search that outgrows the machine is killed by the kernel with nothing reported; the
engines compare :func:`in_use` with their limit as they go and stop with the verdicts so far
(``unknown`` where undecided) instead.
"""

from __future__ import annotations

import os
import re

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
DEFAULT_SHARE = 0.5       # of the machine's memory ...
AVAILABLE_SHARE = 0.8     # ... and at most this much of what is free when the run starts


def in_use() -> int:
    """Bytes this process holds in memory now (resident set), 0 where unknown."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # the peak so far


_TRIM = []


def give_back() -> None:
    """Return freed heap memory to the system (glibc's ``malloc_trim``; nothing elsewhere).

    numpy's temporaries of a few MB come from the heap once glibc has raised its mmap
    threshold, and glibc trims the heap only at its top: without this a long analysis keeps
    the memory of its past temporaries resident (measured: ~70 bytes per state at the
    liveness peak of close capacity=3 loss=4)."""
    if not _TRIM:
        try:
            import ctypes
            import ctypes.util
            _TRIM.append(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim)
        except (OSError, AttributeError):
            _TRIM.append(None)
    if _TRIM[0] is not None:
        _TRIM[0](0)


def machine() -> tuple[int, int]:
    """(total, available) bytes of memory of this machine, (0, 0) where unknown."""
    info = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, rest = line.partition(":")
                info[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    total = info.get("MemTotal", 0)
    if not total and hasattr(os, "sysconf"):
        try:
            total = os.sysconf("SC_PHYS_PAGES") * _PAGE
        except (ValueError, OSError):
            total = 0
    return total, info.get("MemAvailable", total)


def default_limit() -> int | None:
    """The default ``--max-memory``: half the machine's memory, and no more than 80% of what
    is available when the run starts (other programs need theirs); None where unknown."""
    total, available = machine()
    if not total:
        return None
    return int(min(total * DEFAULT_SHARE, available * AVAILABLE_SHARE + in_use()))


def limit(asked: int | None, share: int = 1) -> int | None:
    """The limit in bytes of each of ``share`` processes: ``asked`` (0: none), or the default."""
    if asked is None:
        asked = default_limit()
    return asked // share if asked else None


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.I)


def parse_size(text: str) -> int:
    """Bytes from ``4G``, ``512M``, ``1.5GB``, ``2048`` (MB without a unit); ValueError if not."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(text)
    unit = m.group(2).lower()
    if not unit and not m.group(3):
        unit = "m"
    return int(float(m.group(1)) * 1024 ** " kmgt".index(unit or " "))


def text(n: int) -> str:
    """``1.2 GB``, ``350 MB``: a size as progress lines and messages print it."""
    if n >= 1 << 30:
        return f"{n / (1 << 30):.1f} GB"
    return f"{n / (1 << 20):.0f} MB"
