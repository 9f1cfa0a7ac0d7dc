"""Fair cycles (lassos) on an :class:`~.graph_arrays.ArrayGraph`: the algorithms of
``fair_cycles.py`` on whole arrays, with the same answers (the tests compare the lassos).

- :func:`bfs_tree`: a shortest-path tree, level by level; each level's out-edges are read in
  (frontier order, action index) order and a state's first discovery wins, so the tree is the
  one ``fair_cycles.bfs_within`` builds with its FIFO queue (start states join at their
  start distance, after the states found at that distance).
- :func:`fair_components`: strongly connected components by ``scipy.sparse.csgraph`` (compiled
  Tarjan; small graphs by scc.py's, quicker than importing scipy), then the Emerson-Lei
  refinement of every component at once: per (component, label) pairs, which labels are
  taken inside, enabled everywhere, requested.
- :func:`find_lasso` / :func:`fair_loop`: a shortest run into a fair cycle or a dead end.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from ...memory import give_back
from .fair_cycles import STRONG, WEAK, Lasso
from .graph_arrays import ArrayGraph, EdgeBits, unique
from .scc import strongly_connected_components

NONE_S, WEAK_S, STRONG_S = 0, 1, 2


def strengths(g: ArrayGraph, strength) -> np.ndarray:
    """Per label id: 0 no assumption, 1 weak, 2 strong (``strength(label)`` as in fair_cycles)."""
    code = {None: NONE_S, WEAK: WEAK_S, STRONG: STRONG_S}
    return np.array([code[strength(lab)] for lab in g.labels], np.int8).reshape(-1)


@dataclass
class Tree:
    """A shortest-path tree: per state its parent (-1 at a start), action index (unsigned, as
    wide as the out-degrees) and distance (-1 = not reached)."""
    parent: np.ndarray
    k: np.ndarray
    dist: np.ndarray

    def reached(self) -> np.ndarray:
        return np.flatnonzero(self.dist >= 0)

    def root_of(self, v: int) -> int:
        """The start the tree reached ``v`` from."""
        v = int(v)
        while self.parent[v] >= 0:
            v = int(self.parent[v])
        return v

    @property
    def root(self) -> np.ndarray:
        """The start each state was reached from (-1 = not reached), for every state at once
        (a pass per distance; small graphs and tests)."""
        root = np.full(len(self.parent), -1, np.int64)
        got = self.reached()
        order = got[np.argsort(self.dist[got], kind="stable")]
        top = order[self.parent[order] < 0]
        root[top] = top
        rest = order[self.parent[order] >= 0]
        d = self.dist[rest]
        for lo, hi in zip(*_runs(d)):
            vs = rest[lo:hi]
            root[vs] = root[self.parent[vs]]
        return root


def _runs(d: np.ndarray) -> tuple:
    """(starts, ends) of the runs of equal values in ``d``."""
    if not len(d):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    cut = np.flatnonzero(d[1:] != d[:-1]) + 1
    return np.concatenate([[0], cut]), np.concatenate([cut, [len(d)]])


FRONTIER_SLICE = 1 << 16   # states expanded together by bfs_tree


def bfs_tree(g: ArrayGraph, starts, allowed: np.ndarray | None = None,
             start_dist: np.ndarray | None = None, banned: np.ndarray | None = None,
             target: int | None = None, paths: bool = True) -> Tree:
    """Shortest-path tree from ``starts`` inside ``allowed`` (bool per state, None = all),
    avoiding ``banned`` edges (bool per edge).  ``start_dist`` (per start) gives each start
    an initial distance, so distances are totals.  With ``target`` the search stops once it
    is reached (the tree up to it is the full search's).  Without ``paths`` only the
    distances are kept (parent and k are None): 5 bytes per state less."""
    n = g.n
    starts = np.asarray(starts)
    if starts.dtype.kind not in "iu":
        starts = starts.astype(np.int64)
    sd = np.zeros(len(starts), np.int32) if start_dist is None else np.asarray(start_dist)
    if allowed is not None and len(starts):
        keep = allowed[starts]
        starts, sd = starts[keep], sd[keep]
    # sorted by (distance, id); starts in id order with distances from a BFS already are
    if len(starts) > 1 and not ((sd[1:] > sd[:-1]) | ((sd[1:] == sd[:-1])
                                                      & (starts[1:] > starts[:-1]))).all():
        order = np.lexsort((starts, sd))
        starts, sd = starts[order], sd[order]
    dist = np.full(n, -1, np.int32)
    parent = np.full(n, -1, np.int32) if paths else None
    kk = np.full(n, 255, g.outdeg.dtype) if paths else None
    frontier = np.empty(0, np.int64)
    i = 0
    d = 0
    indptr = g.indptr
    while True:
        if not len(frontier):
            if i >= len(starts):
                break
            d = int(sd[i])   # nothing queued: jump to the next start's distance
        j = int(np.searchsorted(sd, d, side="right"))
        if j > i:   # starts join after the states found at their distance
            cand = starts[i:j]
            i = j
            cand = cand[dist[cand] < 0]
            _, first = np.unique(cand, return_index=True)
            cand = cand[np.sort(first)]
            dist[cand] = d
            frontier = np.concatenate([frontier, cand.astype(np.int64)])
        if target is not None and dist[target] >= 0:
            break
        if not len(frontier):
            continue
        nxt = []
        for lo in range(0, len(frontier), FRONTIER_SLICE):
            # a slice at a time, so temporaries stay bounded; states found by an earlier
            # slice are marked before a later one is read, so the first discovery wins
            e, src = g.edges_of(frontier[lo:lo + FRONTIER_SLICE])
            w = g.dst[e].astype(np.int64)
            ok = dist[w] < 0
            if allowed is not None:
                ok &= allowed[w]
            if banned is not None:
                ok &= ~banned[e]
            e, src, w = e[ok], src[ok], w[ok]
            _, first = np.unique(w, return_index=True)
            first.sort()                       # discovery order: the FIFO queue's order
            new = w[first]
            dist[new] = d + 1
            if paths:
                ps = src[first]
                parent[new] = ps
                kk[new] = e[first] - indptr[ps]
            nxt.append(new)
            # each slice's temporaries go back to the system before the next slice's: left
            # to glibc they piled up to ~40 bytes per state over one search at 12.8 M states
            give_back()
        frontier = np.concatenate(nxt)
        d += 1
    give_back()   # the slices' temporaries
    return Tree(parent, kk, dist)


def path_to(tree: Tree, v: int) -> list:
    """Edges (u, k, w) from the start of ``tree`` that reached v to v."""
    out = []
    v = int(v)
    while tree.parent[v] >= 0:
        u = int(tree.parent[v])
        out.append((u, int(tree.k[v]), v))
        v = u
    return out[::-1]


# Below this many edges Tarjan in Python (scc.py) is quicker than importing scipy.sparse
# (0.2-1 s: the package imports its linear algebra), which dominates a small check's time.
PYTHON_SCC_EDGES = 50_000
FORCE_SCC: str | None = None    # "python" or "scipy": one kernel everywhere (tests)


def _scc(n: int, indptr_sub: np.ndarray, dst_sub: np.ndarray, public: bool = False,
         python: bool | None = None) -> np.ndarray:
    """Component label per state of the CSR subgraph (scipy's compiled Tarjan; on small graphs,
    while scipy is not yet imported, scc.py's).  The caller leaves out repeated (source,
    target) edges (``ArrayGraph.drop_repeats``).

    scipy's public ``connected_components`` validates by copying the graph (~13 bytes per
    edge at its peak); its kernel reads our int32 arrays as they are, so it runs directly
    when this scipy has it (a test compares all three)."""
    if python is None and FORCE_SCC:
        python = FORCE_SCC == "python"
    if python is None:
        python = len(dst_sub) <= PYTHON_SCC_EDGES and "scipy.sparse.csgraph" not in sys.modules
    if python:
        return _scc_python(n, indptr_sub, dst_sub)
    indptr_sub = indptr_sub.astype(dst_sub.dtype, copy=False)
    if not public:
        try:
            from scipy.sparse.csgraph._traversal import _connected_components_directed
        except ImportError:
            pass
        else:
            labels = np.empty(n, np.int32)
            _connected_components_directed(dst_sub, indptr_sub, labels)
            return labels
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components
    ones = np.broadcast_to(np.True_, dst_sub.shape)   # the weights are not read
    m = csr_matrix((ones, dst_sub, indptr_sub), shape=(n, n))
    return connected_components(m, directed=True, connection="strong")[1]


def _scc_python(n: int, indptr: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """``_scc`` by scc.py's iterative Tarjan (for small graphs)."""
    ptr, out = indptr.tolist(), dst.tolist()
    labels = np.empty(n, np.int32)
    comps = strongly_connected_components(range(n), lambda v: out[ptr[v]:ptr[v + 1]])
    for i, comp in enumerate(comps):
        labels[comp] = i
    return labels


def _member(keys: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """keys in sorted_set (both int64; sorted_set sorted, unique)."""
    if not len(sorted_set):
        return np.zeros(len(keys), bool)
    pos = np.searchsorted(sorted_set, keys)
    pos[pos == len(sorted_set)] = 0
    return sorted_set[pos] == keys


def fair_components(g: ArrayGraph, nodes: np.ndarray, strg: np.ndarray) -> tuple:
    """Fair parts of the states ``nodes`` (bool per state): ``fair_components`` of
    fair_cycles.py on arrays, every component of a round refined at once.

    Returns (fair, banned): ``fair`` per state the id of the fair component it belongs to
    (-1 none), ``banned`` per edge whether the refinement removed it, or None when it
    removed none (a fair cycle of a component uses only its internal edges that are not
    banned).  Per-edge work runs a block of rows at a time and keeps only (component,
    label) pairs, so the temporaries stay small next to the graph.
    """
    n = g.n
    L = max(len(g.labels), 1)
    alive = nodes.copy()
    banned = None   # allocated when the refinement first bans an edge
    fair = np.full(n, -1, np.int32)
    next_id = 0
    is_strong = np.append(strg == STRONG_S, False)   # index -1 (no label) reads False
    is_weak = np.append(strg == WEAK_S, False)
    while alive.any():
        comp = _components(g, alive, banned)
        taken, asked, looped = [], [], []
        for blk in _internal_blocks(g, comp, alive, banned):
            e, c, lab, req, selfloop = blk
            c = c.astype(np.int64) * L
            taken.append(unique(c[lab >= 0] + lab[lab >= 0]))
            sr = req >= 0
            sr[sr] = is_strong[req[sr]]
            asked.append(unique(c[sr] + req[sr]))
            looped.append(c[selfloop] // L)
        taken = unique(np.concatenate(taken))
        asked = np.concatenate(asked)
        asked = asked[~_member(asked, taken)]
        size = np.zeros(n, np.int32)   # states per component, at its label
        for lo in range(0, n, BLOCK):
            np.add.at(size, comp[lo:lo + BLOCK][alive[lo:lo + BLOCK]], 1)
        give_back()   # ufunc.at's buffers (with the listing below: 14 B/state at 12.8 M)
        live_c = _nonzero32(size)
        cyclic = np.zeros(n, bool)
        cyclic[np.concatenate(looped).astype(np.int64)] = True
        del looped
        cyclic[live_c[size[live_c] > 1]] = True
        # labels enabled in alive states of cyclic components and never taken inside: weak
        # ones as (component, label) pairs with how many states enable them; a strong one
        # makes its component pending and marks the states that enable it
        weak_keys = []
        marked = np.zeros(n, bool)
        pending = np.zeros(n, bool)
        pending[asked // L] = True
        for st_, key in _enabled_keys(g, comp, alive, cyclic, L):
            out = ~_member(key, taken)
            st_, key = st_[out], key[out]
            lab = key % L
            weak_keys.append(np.unique(key[is_weak[lab]], return_counts=True))
            strong = is_strong[lab]
            marked[st_[strong]] = True
            pending[key[strong] // L] = True
        wkeys, counts = _count_pairs(weak_keys)
        del weak_keys
        give_back()
        dead = ~cyclic
        del cyclic
        # weak: a label enabled in every state of the component and never taken inside
        dead[wkeys[counts == size[wkeys // L]] // L] = True
        del size, wkeys, counts
        pending &= ~dead
        ok_c = live_c[~dead[live_c] & ~pending[live_c]]   # sorted
        del live_c
        if len(ok_c):
            is_ok = np.zeros(n, bool)
            is_ok[ok_c] = True
            done = alive & is_ok[comp]
            del is_ok
            fair[done] = next_id + np.searchsorted(ok_c, comp[done])
            next_id += len(ok_c)
            del done
        # refine the pending components: drop the states that enable an untaken strong
        # label, ban the internal edges that request one
        kill = alive & (~pending[comp] | marked)
        if pending.any():
            new_ban = []
            for e, c, lab, req, _ in _internal_blocks(g, comp, alive, banned):
                bq = (req >= 0) & pending[c]
                bq[bq] = is_strong[req[bq]] & ~_member(c[bq].astype(np.int64) * L + req[bq],
                                                       taken)
                new_ban.append(e[bq])
            if banned is None:
                banned = EdgeBits(len(g.dst))
            for e in new_ban:
                banned.set(e)
            del new_ban
        alive &= ~kill
        # this round's arrays go before the next round's components are computed
        del comp, taken, asked, marked, pending, ok_c, kill, dead
    return fair, banned


def _components(g: ArrayGraph, alive: np.ndarray, banned, in_place: bool | None = None
                ) -> np.ndarray:
    """Strongly connected components of the subgraph of the ``alive`` states and the edges
    between them that are not ``banned`` (int32 label per state).

    The subgraph is a copy of the selected edges, or (``in_place``; by default when it is
    the smaller) the graph itself with every other edge made a self-loop of its source for
    the duration: a self-loop joins no two states, and scipy's kernel returns on repeated
    self-loops (unlike on a repeated edge).  In place costs 4 bytes per unselected edge and a
    bit per edge; the copy 4 bytes per selected edge and per state."""
    give_back()   # what the last pass freed, before this one allocates per edge
    outdeg = g.outdeg
    kept = 0

    def selected():
        nonlocal kept
        for v0, v1, e0, e1 in g.row_blocks(BLOCK):
            s = np.repeat(alive[v0:v1], outdeg[v0:v1])
            s &= alive[g.dst[e0:e1]]
            if banned is not None:
                s &= ~banned[e0:e1]
            g.drop_repeats_rows(s, v0, v1, e0)
            kept += int(np.count_nonzero(s))
            yield s

    sel = EdgeBits.packed(len(g.dst), selected())   # a bit per edge, not a byte
    edges = len(sel)
    can = (g.dst.flags.writeable and not isinstance(g.dst, np.memmap)
           and g.dst.dtype == np.int32 and g.indptr.dtype == np.int32)
    if in_place is None:
        in_place = 4 * (edges - kept) + edges // 8 < 4 * (kept + g.n)
    if not (in_place and can):
        ptr = _sub_indptr(g.indptr, sel)
        dst = np.empty(kept, np.int32)
        for v0, v1, e0, e1 in g.row_blocks(BLOCK):
            dst[ptr[v0]:ptr[v1]] = g.dst[e0:e1][sel[e0:e1]]
        del sel
        give_back()
        return _scc(g.n, ptr, dst).astype(np.int32, copy=False)
    saved = []   # per block: (edge range, packed bits of the unselected edges, their targets)
    try:
        for v0, v1, e0, e1 in g.row_blocks(BLOCK):
            off = ~sel[e0:e1]
            d = g.dst[e0:e1]
            saved.append((e0, e1, np.packbits(off), d[off]))
            d[off] = np.repeat(np.arange(v0, v1, dtype=np.int32), outdeg[v0:v1])[off]
        del sel
        give_back()
        return _scc(g.n, g.indptr, g.dst).astype(np.int32, copy=False)
    finally:
        for e0, e1, bits, targets in saved:
            g.dst[e0:e1][np.unpackbits(bits, count=e1 - e0).astype(bool)] = targets


BLOCK = 1 << 18   # edges or pairs per block: the temporaries of one block stay near 10 MB


def _enabled_keys(g, comp, alive, cyclic, L):
    """(state, component * L + label) of the labels enabled at alive states of cyclic
    components, a block at a time."""
    def rows(v0, v1):
        return alive[v0:v1] & cyclic[comp[v0:v1]]
    for st_, lab in g.enabled_blocks(BLOCK, rows):
        yield st_, comp[st_].astype(np.int64) * L + lab


def _count_pairs(blocks) -> tuple:
    """Merge per-block (keys, counts): sorted distinct keys and their total counts."""
    keys, counts = [], []
    for k, c in blocks:
        keys.append(k)
        counts.append(c)
    if not keys:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    k = np.concatenate(keys)
    c = np.concatenate(counts)
    order = np.argsort(k, kind="stable")
    k, c = k[order], c[order]
    if not len(k):
        return k, c
    start = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    return k[start], np.add.reduceat(c, start)


def _nonzero32(a: np.ndarray) -> np.ndarray:
    """``np.flatnonzero(a)`` as int32, a block at a time (no int64 array per state)."""
    out = np.empty(np.count_nonzero(a), np.int32)
    o = 0
    for lo in range(0, len(a), BLOCK):
        idx = np.flatnonzero(a[lo:lo + BLOCK])
        out[o:o + len(idx)] = idx
        out[o:o + len(idx)] += lo
        o += len(idx)
    return out


def _internal_blocks(g: ArrayGraph, comp, alive, banned):
    """Per block of rows: the edges between alive states of one component that are not
    banned, as (edge index, component, label id, request id, is a self-loop)."""
    outdeg = g.outdeg
    for v0, v1, e0, e1 in g.row_blocks(BLOCK):
        if not alive[v0:v1].any():   # later rounds: most blocks have no alive state left
            continue
        c_src = np.repeat(comp[v0:v1], outdeg[v0:v1])
        dst = g.dst[e0:e1]
        ok = alive[dst] & (comp[dst] == c_src)
        if banned is not None:
            ok &= ~banned[e0:e1]
        ok &= np.repeat(alive[v0:v1], outdeg[v0:v1])
        idx = np.flatnonzero(ok)
        kind = g.kind[e0 + idx]
        src = np.repeat(np.arange(v0, v1, dtype=np.int32), outdeg[v0:v1])[idx]
        yield (idx + e0, c_src[idx], g.kind_label[kind].astype(np.int64),
               g.kind_req[kind].astype(np.int64), dst[idx] == src)


def _sub_indptr(indptr: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """Row offsets of the edges selected by ``sel`` (a CSR subgraph on the same states),
    counted a block of rows at a time."""
    n = len(indptr) - 1
    out = np.zeros(n + 1, np.int32 if len(sel) < 2 ** 31 - 1 else np.int64)
    carry = 0
    step = max(1, BLOCK // 8)
    for v0 in range(0, n, step):
        v1 = min(v0 + step, n)
        e0, e1 = int(indptr[v0]), int(indptr[v1])
        cum = np.zeros(e1 - e0 + 1, np.int64)
        np.cumsum(sel[e0:e1], out=cum[1:])
        out[v0 + 1:v1 + 1] = carry + cum[indptr[v0 + 1:v1 + 1] - e0]
        carry += int(cum[-1])
    return out


def find_lasso(g: ArrayGraph, avoid: np.ndarray, starts, strg: np.ndarray, *,
               start_dist: np.ndarray | None = None, init_tree: Tree | None = None):
    """``fair_cycles.find_lasso`` on arrays: a shortest run that reaches one of ``starts`` and
    stays in ``avoid`` (bool per state) forever, ending in a dead end or a fair cycle.

    ``starts``: state ids, or a bool per state; ``start_dist``: the starts' distances, as an
    array per start, or (with a mask) anything indexed by state ids, such as
    ``Exploration.depth_of()``.  A mask and a lookup keep no array per start while the
    components are analysed (the starts are listed again for each search from them)."""
    def start_list():
        if isinstance(starts, np.ndarray) and starts.dtype == bool:
            ids = np.flatnonzero(starts).astype(np.int32)
            return ids, (start_dist[ids] if start_dist is not None else None)
        return starts, start_dist

    ids, dist = start_list()
    reach = bfs_tree(g, ids, avoid, dist, paths=False)   # the paths once v is known
    del ids, dist
    got = reach.dist >= 0
    if not got.any():
        return None
    best = None   # (distance, kind, node)
    term = np.flatnonzero(got & (g.outdeg == 0))
    if len(term):
        v = term[np.lexsort((term, reach.dist[term]))[0]]
        best = (int(reach.dist[v]), 0, int(v))
    fair, banned = fair_components(g, got, strg)
    cand = np.flatnonzero(fair >= 0)
    if len(cand):
        v = cand[np.lexsort((cand, reach.dist[cand]))[0]]
        c = (int(reach.dist[v]), 1, int(v))
        best = c if best is None or c < best else best
    if best is None:
        return None
    _, kind, v = best
    ids, dist = start_list()
    reach = bfs_tree(g, ids, avoid, dist, target=v)
    del ids, dist
    root = reach.root_of(v)
    stem = (path_to(init_tree, root) if init_tree is not None else []) + path_to(reach, v)
    loop = fair_loop(g, np.flatnonzero(fair == fair[v]), banned, v, strg) if kind else []
    return Lasso(stem, loop, v)


def fair_loop(g: ArrayGraph, comp: np.ndarray, banned: np.ndarray, entry: int,
              strg: np.ndarray) -> list:
    """``fair_cycles.fair_loop`` on arrays: a cycle from ``entry`` inside ``comp`` (sorted
    state ids) over edges not ``banned`` that takes every fair label requested in it."""
    inside = np.zeros(g.n, bool)
    inside[comp] = True
    e, src = g.edges_of(comp)
    w = g.dst[e].astype(np.int64)
    ok = inside[w]
    if banned is not None:
        ok &= ~banned[e]
    e, src, w = e[ok], src[ok], w[ok]
    lab = g.label(e)
    req = g.request(e)
    en_state, en_lab = g.enabled_at(comp)
    used = unique(np.concatenate([en_lab, req[req >= 0]]))
    first_edge = dict(zip(*[x.tolist() for x in np.unique(lab, return_index=True)]))
    waypoints = []
    for lab_id in sorted(used.tolist(), key=lambda i: repr(g.labels[i])):
        st = strg[lab_id]
        if st == NONE_S:
            continue
        j = first_edge.get(lab_id)
        if j is not None:
            u = int(src[j])
            waypoints.append(("edge", u, int(e[j] - g.indptr[u]), int(w[j])))
        elif st == WEAK_S:
            enabling = en_state[en_lab == lab_id]
            waypoints.append(("node", int(comp[~np.isin(comp, enabling)][0])))

    def walk(a, b):
        if a == b:
            return []
        return path_to(bfs_tree(g, [a], inside, banned=banned, target=b), b)

    loop = []
    cur = entry
    for wp in waypoints:
        loop += walk(cur, wp[1])
        if wp[0] == "edge":
            loop.append(wp[1:])
            cur = wp[3]
        else:
            cur = wp[1]
    if not loop:   # take at least one step: out along an internal edge and back
        j = int(np.flatnonzero(src == entry)[0])
        loop.append((entry, int(e[j] - g.indptr[entry]), int(w[j])))
        cur = int(w[j])
    loop += walk(cur, entry)
    return loop
