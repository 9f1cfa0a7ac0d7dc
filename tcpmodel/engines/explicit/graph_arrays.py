"""The labelled state graph as compact arrays, for liveness on millions of states.

A search records, per state in id order, how many successors it has (``outdeg``) and, per
edge in (source, action index) order, the target id and a *kind*: a small int naming the
(fairness label, fairness request) pair of the step.  So the graph is CSR by source: the
edges of state v are ``indptr[v]:indptr[v + 1]`` and an edge's action index is its position
in that range.  Five bytes per edge (int32 target, uint8 kind; uint16 past 256 kinds or on
disk) plus the row offsets.

When the edges outgrow ``memory_limit`` bytes, :class:`EdgeLog` streams them to files in a
temporary directory and the finished graph maps them back with ``numpy.memmap`` (the kernel
pages them in and out as the liveness analysis reads them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field

import numpy as np

from ...memory import give_back
from .spill import disk_tmpdir

KIND_DTYPE = np.uint16
NO_LABEL = -1
GIVE_BACK_EVERY = 4   # blocks of a whole-graph pass between two give_back() calls


def uint_for(top: int):
    """The narrowest unsigned dtype holding 0..top (numpy casts wrap silently: an out-degree
    of 256 in a uint8 would corrupt the whole CSR index)."""
    for dt in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dt).max:
            return dt
    return np.uint64


def unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values by one sort (numpy 2.4's hash-based ``np.unique`` takes ~15x
    longer on millions of distinct values)."""
    s = np.sort(a)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def _assemble(parts: list, dtype) -> np.ndarray:
    """The parts concatenated, each freed once copied (the heap given back as they go), so
    the peak is about one copy, not two."""
    out = np.empty(sum(len(p) for p in parts), dtype)
    o = 0
    parts.reverse()
    while parts:
        p = parts.pop()
        out[o:o + len(p)] = p
        o += len(p)
        if len(parts) % 256 == 0:
            del p
            give_back()
    return out


def default_memory_limit() -> int:
    """A quarter of the machine's physical memory (the edges are the search's largest part)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4
    except (ValueError, OSError, AttributeError):
        return 2 << 30


@dataclass
class ArrayGraph:
    """A labelled graph in CSR form (see the module docstring).

    ``kind_label[i]`` / ``kind_req[i]``: label ids (into ``labels``) of kind i, -1 for none.
    """
    indptr: np.ndarray            # int64, n + 1
    dst: np.ndarray               # int32, one per edge
    kind: np.ndarray              # uint16, one per edge
    kind_label: np.ndarray        # int32 per kind
    kind_req: np.ndarray          # int32 per kind
    labels: list                  # label id -> label (any hashable, e.g. ("deliver_ab", 3))
    initial: np.ndarray           # int64 ids of the initial states
    spill_dir: str | None = None  # where disk-backed arrays live (removed by close())
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def outdeg(self) -> np.ndarray:
        if "outdeg" not in self._cache:
            d = np.diff(self.indptr)
            self._cache["outdeg"] = d.astype(uint_for(int(d.max()) if len(d) else 0))
        return self._cache["outdeg"]

    def label(self, edges) -> np.ndarray:
        """Fairness label ids of edge indices (or of all edges for a slice)."""
        return self.kind_label[self.kind[edges]]

    def request(self, edges) -> np.ndarray:
        return self.kind_req[self.kind[edges]]

    def sources(self, edges: np.ndarray) -> np.ndarray:
        """Source state of each edge index (edges sorted or not)."""
        return np.searchsorted(self.indptr, edges, side="right") - 1

    def edges_of(self, nodes: np.ndarray) -> tuple:
        """(edge indices, their sources) of ``nodes``' out-edges, in node order then k order."""
        nodes = np.asarray(nodes, np.int64)
        lo = self.indptr[nodes]
        cnt = self.indptr[nodes + 1] - lo
        total = int(cnt.sum())
        src = np.repeat(nodes, cnt)
        start = np.repeat(lo - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt)
        return start + np.arange(total), src

    def row_blocks(self, edges_per_block: int = 1 << 18):
        """(first state, last state + 1, first edge, last edge + 1) of consecutive rows with
        about ``edges_per_block`` edges each: whole-graph passes run a block at a time, so
        their temporaries stay small.  Every few blocks the freed heap goes back to the
        system: blocks of varying sizes between small arrays that live on leave holes glibc
        would not reuse nor return (measured: +28 bytes per state over one pass)."""
        v = 0
        i = 0
        while v < self.n:
            w = int(np.searchsorted(self.indptr, self.indptr[v] + edges_per_block, "right")) - 1
            w = min(max(w, v + 1), self.n)
            yield v, w, int(self.indptr[v]), int(self.indptr[w])
            v = w
            i += 1
            if i % GIVE_BACK_EVERY == 0:
                give_back()

    def _enabled_rows(self, v0: int, v1: int, e0: int, e1: int, rows=None) -> tuple:
        """(per state of v0..v1 how many labels its out-edges carry, those labels in state then
        label order) of one block of rows; with ``rows`` (a bool per state of the block) only
        of those states (the others count 0)."""
        L = max(len(self.labels), 1)
        lab = self.kind_label[self.kind[e0:e1]]
        keep = lab >= 0
        if rows is not None:
            keep &= np.repeat(rows, self.outdeg[v0:v1])
        key = np.repeat(np.arange(v1 - v0, dtype=np.int64), self.outdeg[v0:v1])[keep]
        key = unique(key * L + lab[keep])
        return np.bincount(key // L, minlength=v1 - v0), key % L

    def enabled(self) -> tuple:
        """Labels enabled at each state (an out-edge carries them): (per state how many,
        uint8; per (state, label) pair in state then label order the label id).  Built on
        each call (small graphs and tests): the analysis reads :meth:`enabled_blocks`, which
        derives them from the edges a block at a time rather than keeping ~10 bytes per state."""
        L = max(len(self.labels), 1)
        cnt = np.zeros(self.n, uint_for(L))
        labs = []
        for v0, v1, e0, e1 in self.row_blocks():
            c, lab = self._enabled_rows(v0, v1, e0, e1)
            cnt[v0:v1] = c
            labs.append(lab.astype(uint_for(L)))
        return cnt, _assemble(labs, uint_for(L))

    def enabled_blocks(self, edges_per_block: int = 1 << 18, rows=None):
        """(states, labels) of the enabled pairs (see :meth:`enabled`), a block of rows at a
        time, as int32 arrays.  ``rows(v0, v1)``: which states of a block to list (a bool
        each), None: all; blocks without any are skipped."""
        for v0, v1, e0, e1 in self.row_blocks(edges_per_block):
            r = rows(v0, v1) if rows is not None else None
            if r is not None and not r.any():
                continue
            c, lab = self._enabled_rows(v0, v1, e0, e1, r)
            yield np.repeat(np.arange(v0, v1, dtype=np.int32), c), lab.astype(np.int32)

    def enabled_at(self, nodes: np.ndarray) -> tuple:
        """(states, labels) of the enabled pairs of ``nodes`` (sorted state ids), int32."""
        nodes = np.asarray(nodes, np.int64)
        L = max(len(self.labels), 1)
        e, src = self.edges_of(nodes)
        lab = self.label(e).astype(np.int64)
        keep = lab >= 0
        key = unique(src[keep] * L + lab[keep])
        return (key // L).astype(np.int32), (key % L).astype(np.int32)

    def enabled_pairs(self) -> tuple:
        """All (state, label id) enabled pairs, sorted by state then label (int32 arrays;
        small graphs and tests: the analysis reads :meth:`enabled_blocks`)."""
        parts = list(self.enabled_blocks())
        if not parts:
            return np.empty(0, np.int32), np.empty(0, np.int32)
        return tuple(np.concatenate(x) for x in zip(*parts))

    def drop_repeats(self, sel: np.ndarray) -> None:
        """Unselect (in place) every selected edge whose (source, target) an earlier selected
        edge has: scipy 1.16-1.17's strong components never return on a row that names one
        target twice."""
        for v0, v1, e0, e1 in self.row_blocks():
            self.drop_repeats_rows(sel[e0:e1], v0, v1, e0)

    def drop_repeats_rows(self, sel: np.ndarray, v0: int, v1: int, e0: int) -> None:
        """:meth:`drop_repeats` on the rows v0..v1, whose edges start at e0 (``sel``: a bool
        per edge of those rows)."""
        idx = np.flatnonzero(sel)
        key = np.repeat(np.arange(v1 - v0, dtype=np.int64), self.outdeg[v0:v1])[idx]
        key = key * self.n + self.dst[e0 + idx]
        order = np.argsort(key, kind="stable")
        ks = key[order]
        dup = np.zeros(len(ks), bool)
        dup[1:] = ks[1:] == ks[:-1]
        sel[idx[order[dup]]] = False

    def to_lists(self) -> list:
        """The reference engine's form: id -> [(target, label, k, request)]."""
        labels = self.labels + [None]   # index -1 reads None
        lab = self.kind_label.tolist()
        req = self.kind_req.tolist()
        dst = self.dst.tolist()
        kind = self.kind.tolist()
        ptr = self.indptr.tolist()
        return [[(dst[e], labels[lab[kind[e]]], e - ptr[v], labels[req[kind[e]]])
                 for e in range(ptr[v], ptr[v + 1])] for v in range(self.n)]

    def close(self) -> None:
        self._cache.clear()
        if self.spill_dir:
            self.indptr = self.dst = self.kind = None
            shutil.rmtree(self.spill_dir, ignore_errors=True)
            self.spill_dir = None

    def nbytes(self) -> int:
        return self.indptr.nbytes + self.dst.nbytes + self.kind.nbytes


class EdgeBits:
    """A bool per edge packed 8 to a byte (the liveness refinement's banned edges: a bit per
    edge where a bool array took 8).  Reads as a bool array: ``bits[e0:e1]`` (a slice) or
    ``bits[edge indices]``."""

    def __init__(self, n: int):
        self.n = n
        self.bits = np.zeros((n + 7) // 8, np.uint8)

    @classmethod
    def packed(cls, n: int, blocks) -> "EdgeBits":
        """The bits of consecutive bool blocks that together cover edges 0..n in order."""
        out = cls(n)
        pos = 0
        carry = np.zeros(0, bool)
        for b in blocks:
            if len(carry):
                b = np.concatenate([carry, b])
            whole = len(b) // 8 * 8
            out.bits[pos // 8:(pos + whole) // 8] = np.packbits(b[:whole])
            pos += whole
            carry = b[whole:]
        if len(carry):
            out.bits[pos // 8] = np.packbits(carry)[0]
        return out

    def __len__(self) -> int:
        return self.n

    def set(self, edges: np.ndarray) -> None:
        """Set the bits of ``edges`` (edge indices, any order, repeats allowed)."""
        e = np.asarray(edges, np.int64)
        if not len(e):
            return
        byte = e >> 3
        mask = (np.uint8(0x80) >> (e & 7).astype(np.uint8)).astype(np.uint8)
        order = np.argsort(byte, kind="stable")
        byte, mask = byte[order], mask[order]
        first = np.flatnonzero(np.concatenate([[True], byte[1:] != byte[:-1]]))
        self.bits[byte[first]] |= np.bitwise_or.reduceat(mask, first)

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, slice):
            lo, hi, step = index.indices(self.n)
            assert step == 1, "EdgeBits reads contiguous slices"
            if hi <= lo:
                return np.zeros(0, bool)
            b0 = lo >> 3
            out = np.unpackbits(self.bits[b0:(hi + 7) >> 3], count=hi - b0 * 8)
            return out[lo - b0 * 8:].view(bool)
        e = np.asarray(index, np.int64)
        return ((self.bits[e >> 3] >> (7 - (e & 7)).astype(np.uint8)) & 1).view(bool)


def from_lists(succ: list, initial) -> ArrayGraph:
    """An ArrayGraph of the reference engine's edge lists (small graphs)."""
    label_ids: dict = {}
    kinds: dict = {}
    labels: list = []

    def lid(lab):
        if lab is None:
            return NO_LABEL
        if lab not in label_ids:
            label_ids[lab] = len(labels)
            labels.append(lab)
        return label_ids[lab]

    dst, kind, deg = [], [], []
    for es in succ:
        deg.append(len(es))
        for w, lab, _, req in es:
            dst.append(w)
            kind.append(kinds.setdefault((lid(lab), lid(req)), len(kinds)))
    pairs = sorted(kinds, key=kinds.get)
    return ArrayGraph(np.concatenate([[0], np.cumsum(deg, dtype=np.int64)]),
                      np.array(dst, np.int32), np.array(kind, uint_for(max(len(kinds) - 1, 0))),
                      np.array([p[0] for p in pairs], np.int32).reshape(-1),
                      np.array([p[1] for p in pairs], np.int32).reshape(-1),
                      labels, np.array(sorted(initial), np.int64))


class EdgeLog:
    """Edges recorded chunk by chunk during a search (in source id order), kept in memory
    until they pass ``memory_limit`` bytes, then appended to files (see the module docstring)."""

    NAMES = ("outdeg", "dst", "kind")

    def __init__(self, memory_limit: int | None = None, spill_dir: str | None = None):
        self.limit = default_memory_limit() if memory_limit is None else memory_limit
        self.parent_dir = spill_dir
        self.parts = {k: [] for k in self.NAMES}
        self.bytes = 0
        self.dir = None
        self.files = None
        self.counts = dict.fromkeys(self.NAMES, 0)
        self.dtypes = {"outdeg": np.uint8, "dst": np.int32, "kind": KIND_DTYPE}

    def append(self, outdeg: np.ndarray, dst: np.ndarray, kind: np.ndarray) -> None:
        arrs = {"outdeg": outdeg, "dst": dst, "kind": kind}
        for k, a in arrs.items():
            if k != "dst" and len(a):
                wide = uint_for(int(a.max()))
                if np.dtype(wide).itemsize > np.dtype(self.dtypes[k]).itemsize:
                    self._widen(k, wide)
            dtype = self.dtypes[k]
            if k == "kind" and self.files is None and len(a) and int(a.max()) < 256:
                dtype = np.uint8   # in memory, a byte per kind while they fit (finish() widens)
            a = np.ascontiguousarray(a, dtype=dtype)
            self.counts[k] += len(a)
            if self.files is not None:
                a.tofile(self.files[k])
            else:
                self.parts[k].append(a)
                self.bytes += a.nbytes
        if self.files is None and self.bytes > self.limit:
            self._spill()

    def _widen(self, k: str, dtype) -> None:
        """Store column k as ``dtype`` from now on (rare: past 255 successors or 65,535 kinds);
        what is on disk is rewritten once."""
        old, self.dtypes[k] = self.dtypes[k], dtype
        if self.files is not None:
            self.files[k].close()
            path = os.path.join(self.dir, k)
            np.fromfile(path, old).astype(dtype).tofile(path)
            self.files[k] = open(path, "ab")

    def _spill(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="tcpmodel-edges-", dir=self.parent_dir or disk_tmpdir())
        self.files = {k: open(os.path.join(self.dir, k), "wb") for k in self.NAMES}
        for k in self.NAMES:
            for a in self.parts[k]:
                a.astype(self.dtypes[k], copy=False).tofile(self.files[k])
            self.parts[k] = []
        self.bytes = 0

    @property
    def on_disk(self) -> bool:
        return self.files is not None

    def finish(self, kind_label, kind_req, labels, initial) -> ArrayGraph:
        if self.files is None:
            # copied into place part by part, each part freed once copied: no second copy;
            # kinds take one byte per edge when there are at most 256 of them
            if len(kind_label) <= 256 and self.dtypes["kind"] == KIND_DTYPE:
                self.dtypes["kind"] = np.uint8
            arrs = {}
            for k in self.NAMES:
                arrs[k] = _assemble(self.parts[k], self.dtypes[k])
        else:
            arrs = {}
            for k in self.NAMES:
                self.files[k].close()
                n = self.counts[k]
                arrs[k] = (np.memmap(os.path.join(self.dir, k), self.dtypes[k], "r", shape=(n,))
                           if n else np.empty(0, self.dtypes[k]))
        indptr = np.zeros(len(arrs["outdeg"]) + 1,
                          np.int32 if self.counts["dst"] < 2 ** 31 - 1 else np.int64)
        np.cumsum(arrs["outdeg"], out=indptr[1:])
        g = ArrayGraph(indptr, arrs["dst"], arrs["kind"], np.asarray(kind_label, np.int32),
                          np.asarray(kind_req, np.int32), list(labels),
                          np.asarray(initial, np.int64), self.dir)
        g._cache["outdeg"] = np.asarray(arrs["outdeg"])
        if self.dir:   # the files go with the graph (open maps stay readable until freed)
            weakref.finalize(g, shutil.rmtree, self.dir, True)
        return g
