"""Compact numpy containers for the fast engine: growable tables, a sparse batch map and the
visited set (an exact hash table over the 64-bit packed states).

Everything here works on whole arrays (one BFS chunk at a time): the per-state cost is a few
vectorised operations, not Python bytecode.
"""

from __future__ import annotations

import numpy as np


class Grow:
    """A numpy array that grows along its first axis (doubling); new rows hold ``fill``."""

    def __init__(self, shape_tail=(), dtype=np.int32, fill=-1, cap=64):
        self.tail = tuple(shape_tail)
        self.fill = fill
        self.a = np.full((cap,) + self.tail, fill, dtype=dtype)

    def ensure(self, n: int) -> None:
        if n > len(self.a):
            new = np.full((max(n, 2 * len(self.a)),) + self.tail, self.fill, dtype=self.a.dtype)
            new[:len(self.a)] = self.a
            self.a = new


class SparseMap:
    """int64 key -> int64 value, looked up a batch at a time; misses are computed by a Python
    callback (once per distinct key) and merged in, so after warm-up a lookup is searchsorted."""

    def __init__(self, compute):
        self.compute = compute
        self.keys = np.empty(0, np.int64)
        self.vals = np.empty(0, np.int64)

    def get(self, q: np.ndarray) -> np.ndarray:
        q = q.astype(np.int64, copy=False)
        if len(q) == 0:
            return np.empty(0, np.int64)
        pos = np.searchsorted(self.keys, q)
        np.minimum(pos, len(self.keys) - 1, out=pos)
        hit = self.keys[pos] == q if len(self.keys) else np.zeros(len(q), bool)
        if not hit.all():
            miss = np.unique(q[~hit])
            vals = np.fromiter((self.compute(int(k)) for k in miss), np.int64, len(miss))
            keys = np.concatenate([self.keys, miss])
            order = np.argsort(keys, kind="stable")
            self.keys = keys[order]
            self.vals = np.concatenate([self.vals, vals])[order]
            pos = np.searchsorted(self.keys, q)
        return self.vals[pos]


class Table2D:
    """A lazily computed (row, column) -> int64 table, looked up a batch at a time.

    Dense (a numpy matrix that grows in both directions) while rows x columns stays under
    ``limit`` entries, then sparse (a :class:`SparseMap` on row << 24 | column)."""

    def __init__(self, compute, limit: int = 1 << 21):
        self.compute = compute
        self.limit = limit   # 8 MB of int32: beyond that the table would cost more than it saves
        self.a = np.full((16, 16), -1, np.int32)
        self.sparse = None

    def get(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        if self.sparse is not None:
            return self.sparse.get((r << 24) | c)
        if not len(r):
            return np.empty(0, np.int64)
        R, C = int(r.max()) + 1, int(c.max()) + 1
        if R > self.a.shape[0] or C > self.a.shape[1]:
            R2, C2 = max(R, self.a.shape[0]), max(C, self.a.shape[1])
            if R > self.a.shape[0]:
                R2 = max(R, 2 * self.a.shape[0])
            if C > self.a.shape[1]:
                C2 = max(C, 2 * self.a.shape[1])
            if R2 * C2 > self.limit:
                return self._to_sparse().get((r << 24) | c)
            new = np.full((R2, C2), -1, np.int32)
            new[:self.a.shape[0], :self.a.shape[1]] = self.a
            self.a = new
        v = self.a[r, c]
        miss = np.flatnonzero(v < 0)
        if len(miss):
            for key in np.unique((r[miss] << 24) | c[miss]).tolist():
                self.a[key >> 24, key & 0xFFFFFF] = self.compute(key >> 24, key & 0xFFFFFF)
            v = self.a[r, c]
        return v.astype(np.int64)

    def _to_sparse(self):
        rr, cc = np.nonzero(self.a >= 0)
        self.sparse = SparseMap(lambda k: self.compute(k >> 24, k & 0xFFFFFF))
        keys = (rr.astype(np.int64) << 24) | cc
        order = np.argsort(keys)
        self.sparse.keys = keys[order]
        self.sparse.vals = self.a[rr, cc][order]
        self.a = None
        return self.sparse


class Chunked:
    """A read-only sequence stored as a list of numpy chunks (appending never copies, so the
    peak memory stays at one copy)."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.parts: list = []
        self.starts: list = []
        self.n = 0

    def append(self, arr: np.ndarray) -> None:
        if len(arr):
            dtype = self.dtype
            if np.dtype(dtype).kind == "u" and int(np.max(arr)) > np.iinfo(dtype).max:
                # a wider part (numpy casts wrap silently): action indices past 255
                dtype = np.min_scalar_type(int(np.max(arr)))
            self.parts.append(np.ascontiguousarray(arr, dtype=dtype))
            self.starts.append(self.n)
            self.n += len(arr)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        j = int(np.searchsorted(self.starts, i, side="right")) - 1
        return int(self.parts[j][i - self.starts[j]])

    def array(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.empty(0, self.dtype)

    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.parts)


class Visited:
    """The set of stored states: an exact open-addressing hash table over the 64-bit keys.

    ``keys`` holds every stored state in id order (8 bytes per state; it is also the BFS
    queue and what traces decode).  The table is an index into it: linear probing over
    ``uint32`` ids, so a lookup compares the stored key itself (exact: no hash compaction,
    no collision probability).  Lookups and inserts work on whole batches, one vectorised
    probe round at a time; the table grows by rehashing when its load passes ``max_load``.
    Bytes per state: 8 for the key plus 4 / load for the table, the load between ``max_load``
    / ``GROWTH`` and ``max_load``: 0.5-0.7, so 13.7-16 bytes (0.4-0.6 was 7 % quicker and
    14.7-18 bytes: close capacity=3 loss=4, 1.9 M states, A/B interleaved).
    """

    EMPTY = np.uint32(0xFFFFFFFF)
    GROWTH = 1.4
    MULT = np.uint64(0x9E3779B97F4A7C15)   # Fibonacci hashing mixes every key bit into the top 32

    def __init__(self, max_load: float = 0.7, size: int = 1 << 12):
        self.max_load = max_load
        self.keys = np.empty(1 << 12, np.uint64)
        self.n = 0
        self.table = np.full(size, self.EMPTY, np.uint32)

    def _home(self, keys: np.ndarray) -> np.ndarray:
        """Each key's first slot: the top 32 bits of its product, scaled to the table size."""
        h = (keys * self.MULT) >> np.uint64(32)
        return ((h * np.uint64(len(self.table))) >> np.uint64(32)).astype(np.int64)

    def find(self, keys: np.ndarray, *, slots: bool = False):
        """Ids of ``keys`` (uint64), -1 where not stored.  With ``slots``, also where each
        missing key's probe ended (the free slot :meth:`add` may start from)."""
        keys = keys.astype(np.uint64, copy=False)
        if self.table is None:
            self._rebuild(len(self.keys))
        out = np.full(len(keys), -1, np.int64)
        ends = np.full(len(keys), -1, np.int64) if slots else None
        size = len(self.table)
        pos = self._home(keys)
        todo = np.arange(len(keys))
        while len(todo):
            slot = self.table[pos]
            used = slot != self.EMPTY
            if slots:
                free = ~used
                ends[todo[free]] = pos[free]
            full = np.flatnonzero(used)
            ids = slot[full]
            hit = self.keys[ids] == keys[todo[full]]
            out[todo[full[hit]]] = ids[hit]
            more = full[~hit]             # occupied by another key: probe the next slot
            todo = todo[more]
            pos = pos[more] + 1
            pos[pos == size] = 0
        return (out, ends) if slots else out

    def add(self, keys: np.ndarray, slots: np.ndarray | None = None) -> None:
        """Store new keys (none of them stored yet, all distinct); they get the next ids.
        ``slots``: where :meth:`find` saw each one missing (a free slot on its probe path,
        so probing may start there), unless the table has changed size since."""
        m = len(keys)
        if not m:
            return
        if self.n + m > len(self.keys):
            grown = np.empty(max(self.n + m, int(len(self.keys) * self.GROWTH)), np.uint64)
            grown[:self.n] = self.keys[:self.n]
            self.keys = grown
        self.keys[self.n:self.n + m] = keys
        self.n += m
        if self.table is None or self.n > self.max_load * len(self.table):
            self._rebuild(len(self.table) if self.table is not None else 1 << 12)
        else:
            self._insert(np.arange(self.n - m, self.n, dtype=np.uint32), slots)

    def _rebuild(self, size: int) -> None:
        """A table of at least ``size`` slots under the load limit, with every stored id."""
        while self.n > self.max_load * size:
            size = int(size * self.GROWTH) + 1
        self.table = np.full(size, self.EMPTY, np.uint32)
        for lo in range(0, self.n, 1 << 20):   # rehash in slices (bounded temporaries)
            self._insert(np.arange(lo, min(lo + (1 << 20), self.n), dtype=np.uint32))

    def release_index(self) -> None:
        """Free the table (the keys stay); the next lookup rebuilds it.  A finished search
        frees it for the liveness analysis, which never looks states up."""
        self.table = None
        self.keys = self.keys[:self.n].copy() if len(self.keys) > self.n else self.keys

    def _insert(self, ids: np.ndarray, pos: np.ndarray | None = None) -> None:
        """Put ids into free slots; ids racing for one slot: the one written wins, the rest probe on."""
        size = len(self.table)
        if pos is None:
            pos = self._home(self.keys[ids])
        while len(ids):
            free = np.flatnonzero(self.table[pos] == self.EMPTY)
            self.table[pos[free]] = ids[free]
            placed = np.zeros(len(ids), bool)
            placed[free[self.table[pos[free]] == ids[free]]] = True
            ids, pos = ids[~placed], pos[~placed] + 1
            pos[pos == size] = 0

    def nbytes(self) -> int:
        return self.n * self.keys.itemsize + (self.table.nbytes if self.table is not None else 0)

    def keys_by_id(self) -> np.ndarray:
        return self.keys[:self.n]
