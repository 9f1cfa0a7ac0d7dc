"""Compact numpy containers for the fast engine: growable tables, a sparse batch map and the
visited set (sorted runs of 64-bit packed states).

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
            self.parts.append(np.ascontiguousarray(arr, dtype=self.dtype))
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
    """The set of stored states: sorted runs of packed 64-bit states, each with the state ids.

    A batch of sorted candidate keys is looked up with one ``searchsorted`` per run.  New
    states arrive as a sorted run; runs of similar size are merged (like an LSM tree), but
    never beyond ``max_run`` states, so a merge never needs much more memory than it frees.
    Exact: the keys are the states themselves, not hashes. 12 bytes per state.
    """

    def __init__(self, max_run: int = 1 << 20):
        self.runs: list = []   # (keys uint64 sorted, ids uint32)
        self.max_run = max_run
        self.n = 0

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Ids of ``keys`` (sorted uint64), -1 where not stored."""
        out = np.full(len(keys), -1, np.int64)
        for rk, ri in self.runs:
            pos = np.searchsorted(rk, keys)
            np.minimum(pos, len(rk) - 1, out=pos)
            hit = rk[pos] == keys
            out[hit] = ri[pos[hit]]
        return out

    def add(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """Store a sorted run of new keys with their ids."""
        if not len(keys):
            return
        self.runs.append((keys.astype(np.uint64, copy=False), ids.astype(np.uint32, copy=False)))
        self.n += len(keys)
        while len(self.runs) > 1:
            (ak, ai), (bk, bi) = self.runs[-2], self.runs[-1]
            if len(ak) > 2 * len(bk) or len(ak) + len(bk) > self.max_run:
                break
            self.runs[-2:] = [_merge(ak, ai, bk, bi)]

    def nbytes(self) -> int:
        return sum(k.nbytes + i.nbytes for k, i in self.runs)

    def keys_by_id(self) -> np.ndarray:
        out = np.zeros(self.n, np.uint64)
        for rk, ri in self.runs:
            out[ri] = rk
        return out


def _merge(ak, ai, bk, bi):
    """Merge two sorted runs without a full sort: b's slots come from searchsorted."""
    n = len(ak) + len(bk)
    pos_b = np.searchsorted(ak, bk) + np.arange(len(bk))
    keys = np.empty(n, np.uint64)
    ids = np.empty(n, np.uint32)
    mask = np.ones(n, bool)
    mask[pos_b] = False
    keys[pos_b] = bk
    ids[pos_b] = bi
    keys[mask] = ak
    ids[mask] = ai
    return keys, ids
