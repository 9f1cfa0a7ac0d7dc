"""Arrays moved to disk while the liveness analysis runs, read back only where needed.

After a search the packed state keys (8 bytes per state), the BFS parents (4) and action
indices (1) serve the liveness analysis only at its ends: the keys to evaluate the state
formulas once per property and to decode the few states of a lasso, the parents and action
indices to rebuild a lasso's stem.  :class:`SpillDir` writes them to files in a temporary
directory (removed with the exploration, or at exit) and :class:`SpilledArray` reads them
back by index: each read maps the file, copies what it asked for and unmaps it, so the
process holds only what it reads (the kernel's page cache may keep the files' pages: they
are clean and reclaimable, and they are not in the process's resident set).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref

import numpy as np

# explorations with fewer states keep their arrays in memory (a few MB at most)
SPILL_STATES = 1 << 20
RAM_FILESYSTEMS = ("tmpfs", "ramfs")


def _fs_type(path: str, mounts: str = "/proc/self/mounts") -> str | None:
    """The type of the filesystem holding ``path`` (the longest mount point above it)."""
    path = os.path.realpath(path)
    best, kind = "", None
    try:
        with open(mounts) as f:
            for line in f:
                fields = line.split()
                if len(fields) < 3:
                    continue
                point = fields[1].replace("\\040", " ")
                inside = path == point or path.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best):
                    best, kind = point, fields[2]
    except OSError:
        return None
    return kind


def disk_tmpdir() -> str | None:
    """Where spilled files go: None (tempfile's choice) unless that is a RAM filesystem
    (Debian 13 mounts /tmp as tmpfs), where a spilled file would only move memory out of the
    resident set; then /var/tmp if it is on disk.  An explicit TMPDIR is always obeyed."""
    if os.environ.get("TMPDIR"):
        return None
    if _fs_type(tempfile.gettempdir()) not in RAM_FILESYSTEMS:
        return None
    if os.path.isdir("/var/tmp") and _fs_type("/var/tmp") not in RAM_FILESYSTEMS:
        return "/var/tmp"
    return None


class SpilledArray:
    """A read-only 1-d array in a file, indexed like a numpy array (an int, a slice or an
    index array; each read copies)."""

    def __init__(self, path: str, dtype, n: int):
        self.path, self.dtype, self.n = path, np.dtype(dtype), n

    def __len__(self) -> int:
        return self.n

    @property
    def shape(self) -> tuple:
        return (self.n,)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    def __getitem__(self, index):
        if self.n == 0:
            return np.empty(0, self.dtype)[index]
        mm = np.memmap(self.path, self.dtype, "r", shape=(self.n,))
        out = mm[index]
        # a copy: once ``mm`` goes, the file is unmapped and its pages leave this process
        return out.item() if np.ndim(out) == 0 else np.array(out)

    def __array__(self, dtype=None, copy=None):
        out = self[:]
        return out if dtype is None else out.astype(dtype, copy=False)


class SpillDir:
    """A temporary directory of spilled arrays, removed when ``owner`` is freed (or at exit)."""

    def __init__(self, owner, parent_dir: str | None = None):
        self.dir = tempfile.mkdtemp(prefix="tcpmodel-spill-", dir=parent_dir or disk_tmpdir())
        weakref.finalize(owner, shutil.rmtree, self.dir, True)

    def put(self, name: str, parts, dtype) -> SpilledArray:
        """Write ``parts`` (an array, or a list of arrays written in turn) as one array of
        ``dtype`` and return it spilled; the caller drops its own references."""
        path = os.path.join(self.dir, name)
        n = 0
        with open(path, "wb") as f:
            for p in parts if isinstance(parts, list) else [parts]:
                np.ascontiguousarray(p, dtype=dtype).tofile(f)
                n += len(p)
        return SpilledArray(path, dtype, n)


def spill_search_arrays(ex) -> None:
    """Move a fast-engine exploration's keys, parents and action indices to disk (see the
    module docstring); explorations under ``SPILL_STATES`` states, and the reference
    engine's (states as tuples), stay as they are."""
    visited = getattr(ex.states, "visited", None)
    if visited is None or visited.n < SPILL_STATES or isinstance(visited.keys, SpilledArray):
        return
    d = SpillDir(ex)
    visited.keys = d.put("keys", visited.keys[:visited.n], np.uint64)
    ex.states._keys = None
    for name in ("parent", "via"):
        a = getattr(ex, name)
        parts = a.parts if hasattr(a, "parts") else a
        dtype = np.result_type(*parts) if isinstance(parts, list) and parts else np.asarray(a).dtype
        setattr(ex, name, d.put(name, parts, dtype))
