"""The fast explicit engine: breadth-first search on whole arrays of packed states.

States are exact 64-bit keys (``tables.py``); the frontier is expanded a chunk at a time
with table lookups on numpy arrays, in the order of ``System.successors``, so state ids,
parents, action indices, transition counts, depths and verdicts are the reference engine's
(``search.explore_reference``); the tests compare both.  Per state the search keeps the key
(8 bytes, in id order: also the BFS queue), its slot in the visited hash table (4 / load,
``store.Visited``), the parent id (4) and the action index (1).
"""

from __future__ import annotations

import time

from collections.abc import Sequence

import numpy as np

from ...memory import in_use
from ...system import INCA
from .exploration import Exploration
from .graph_arrays import EdgeLog
from .store import Chunked, Grow, SparseMap, Table2D, Visited
from .tables import CH_BITS, CH_MASK, CTRL_BITS, OWN, Tables, Unsupported

SHIFT_C = np.uint64(2 * CH_BITS)
SHIFT_AB = np.uint64(CH_BITS)
MASK = np.uint64(CH_MASK)
CTRL_SHIFT = CTRL_BITS
KMAX = 1 << 12   # action index bound inside a sort key (pos * KMAX + k)


class _Cands:
    """Successor candidates of one chunk, in emission order."""

    def __init__(self):
        self.parts = []

    def add(self, key, pos, k, mv, ovf):
        self.parts.append((key, pos, k, mv, ovf))

    def arrays(self):
        if not self.parts:
            e = np.empty(0, np.int64)
            return np.empty(0, np.uint64), e, e, e, np.empty(0, bool)
        return tuple(np.concatenate(x) for x in zip(*self.parts))


def _pack(c, ab, ba):
    return ((c.astype(np.uint64) << SHIFT_C) | (ab.astype(np.uint64) << SHIFT_AB)
            | ba.astype(np.uint64))


def split(keys):
    c = (keys >> SHIFT_C).astype(np.int64)
    ab = ((keys >> SHIFT_AB) & MASK).astype(np.int64)
    ba = (keys & MASK).astype(np.int64)
    return c, ab, ba


class Expander:
    """Successors of a chunk of states, as arrays (see ``System.successors`` for the order)."""

    def __init__(self, system, tables: Tables | None = None):
        self.T = tables if tables is not None else Tables(system)
        self.sys = system
        self.block = not system.overflow_drop

    def expand(self, keys):
        T = self.T
        c, ab, ba = split(keys)
        T.ensure_ctrls(c)
        T.ensure_chans(np.concatenate([ab, ba]))
        n = len(keys)
        kc = np.zeros(n, np.int64)
        out = _Cands()
        chans = (ab, ba)

        def emit(idx, newc, nab, nba, mv, ovf):
            k = kc[idx]
            kc[idx] += 1
            out.add(_pack(newc, nab, nba), idx, k, mv, ovf)

        msls = []
        for side in (0, 1):
            OUT, IN = chans[side], chans[1 - side]
            inc = T.inc[side].a[c]
            msl = ((((T.smask.a[OUT] >> inc) & 1) == 0)
                   & (((T.rmask.a[IN] >> inc) & 1) == 0)).astype(np.int64)
            msls.append(msl)

            def endpoint(idx, mv, inch):
                self._endpoint(side, idx, mv, OUT[idx], inch, emit)

            cm = T.call_mv[side].a[c]
            for col in range(cm.shape[1]):
                mv = cm[:, col]
                idx = np.flatnonzero(mv >= 0)
                if len(idx):
                    endpoint(idx, mv[idx], IN[idx])
            tm = T.timer_mv[side].a[c, msl]
            for col in range(tm.shape[1]):
                mv = tm[:, col]
                idx = np.flatnonzero(mv >= 0)
                if not len(idx):
                    continue
                mvi = mv[idx]
                g = T.mv_gated.a[mvi]
                if g.any():
                    # the timer outlasts a round trip: it waits while its resend, or news
                    # for this endpoint (a segment that would change it), is in flight
                    gi = idx[g]
                    gate = T.mv_gate.a[mvi[g]]
                    wait = self._news(side, c[gi], IN[gi], msl[gi]) | self._inflight(
                        OUT[gi], gate) | ((gate == OWN) & (((T.lmask.a[OUT[gi]] >> inc[gi]) & 1)
                                                           == 1))
                    keep = np.ones(len(idx), bool)
                    keep[np.flatnonzero(g)[wait]] = False
                    idx, mvi = idx[keep], mvi[keep]
                if len(idx):
                    endpoint(idx, mvi, IN[idx])
            for j in ((0,) if self.sys.fifo else range(T.cap)):
                seg = T.first.a[IN, j]
                idx = np.flatnonzero(seg >= 0)
                if not len(idx):
                    continue
                rows = T.arrival_rows(side, c[idx], seg[idx], msl[idx])
                am = T.arr_mv.a[rows]
                rest = T.rem.a[IN[idx], j]
                for kk in range(T.K):
                    mv = am[:, kk]
                    sub = np.flatnonzero(mv >= 0)
                    if len(sub):
                        endpoint(idx[sub], mv[sub], rest[sub])
            cr = T.crash_mv[side].a[c]
            idx = np.flatnonzero(cr >= 0)
            if len(idx):
                mvi = cr[idx]
                emit(idx, T.mv_newc.a[mvi], ab[idx], ba[idx], mvi, np.zeros(len(idx), bool))
        for kind, newc_tab in (("loss", T.loss_c), ("dup", T.dup_c)):
            nc = newc_tab.a[c]
            for side in (0, 1):
                ch = chans[side]
                ok = nc >= 0
                if kind == "dup":
                    ok &= T.clen.a[ch] < T.cap
                tab = T.rem if kind == "loss" else T.dupch
                mvid = T.net_move(kind, side)
                for j in range(T.cap):
                    idx = np.flatnonzero((T.first.a[ch, j] >= 0) & ok)
                    if not len(idx):
                        continue
                    new = tab.a[ch[idx], j]
                    nab, nba = (new, ba[idx]) if side == 0 else (ab[idx], new)
                    emit(idx, nc[idx], nab, nba, np.full(len(idx), mvid),
                         np.zeros(len(idx), bool))
        honest = kc.copy()   # the attacker's steps come last and never make a state non-terminal
        if T.att is not None:
            self._attacker(c, chans, msls, emit)
        return out.arrays(), kc, honest

    def _attacker(self, c, chans, msls, emit):
        """Drops and replays per direction, then forged segments towards A, then B."""
        T = self.T
        n = len(c)
        for side in (0, 1):
            ch = chans[side]
            for kind in ("drop", "replay"):
                nc = T.net_newc(kind, side, c)
                ok = nc >= 0
                if kind == "replay":
                    ok &= T.clen.a[ch] < T.cap
                per_seg = kind == "drop" and T.intercepts(side)
                mvid = T.net_move(kind, side)
                for j in range(T.cap):
                    sid = T.first.a[ch, j]
                    idx = np.flatnonzero((sid >= 0) & ok)
                    if not len(idx):
                        continue
                    new = (T.rem.a[ch[idx], j] if kind == "drop"
                           else T.add_seg(ch[idx], sid[idx]))
                    nab, nba = (new, chans[1][idx]) if side == 0 else (chans[0][idx], new)
                    mvs = (np.array([T.net_move(kind, side, x) for x in sid[idx].tolist()],
                                    np.int64) if per_seg else np.full(len(idx), mvid))
                    emit(idx, nc[idx], nab, nba, mvs, np.zeros(len(idx), bool))
        for target in (0, 1):
            key = c * 2 + msls[target]
            uk, inv = np.unique(key, return_inverse=True)
            lists = [T.inject_moves(k >> 1, target, k & 1) for k in uk.tolist()]
            width = max(map(len, lists), default=0)
            if not width:
                continue
            rows = np.full((len(uk), width), -1, np.int64)
            for i, mvs in enumerate(lists):
                rows[i, :len(mvs)] = mvs
            rows = rows[inv.reshape(n)]
            OUT, IN = chans[target], chans[1 - target]
            for col in range(width):
                mv = rows[:, col]
                idx = np.flatnonzero(mv >= 0)
                if len(idx):
                    self._endpoint(target, idx, mv[idx], OUT[idx], IN[idx], emit)

    def _endpoint(self, side, idx, mv, outch, inch, emit):
        """An endpoint step: the move's control, its send into the outgoing channel
        (tail drop or block when full), and the purge of old segments on reopening."""
        T = self.T
        newc = T.mv_newc.a[mv]
        snd = T.mv_send.a[mv]
        has = snd >= 0
        fits = T.clen.a[outch] < T.cap
        ovf = has & ~fits
        newout = outch.copy()
        newin = inch
        sel = np.flatnonzero(has & fits)
        if len(sel):
            newout[sel] = T.add_seg(outch[sel], snd[sel])
        valid = None
        pur = T.mv_purge.a[mv]
        if pur.any():
            newin = inch.copy()
            valid = np.ones(len(idx), bool)
            for i in np.flatnonzero(pur).tolist():
                r = self._purged(side, int(newc[i]), int(outch[i]), int(inch[i]), int(snd[i]))
                if r is None:
                    valid[i] = False
                else:
                    newout[i], newin[i], ovf[i] = r
        if self.block:
            keep = ~ovf if valid is None else (valid & ~ovf)
            ovf = np.zeros(len(idx), bool)
        else:
            keep = valid
        if keep is not None and not keep.all():
            idx, newc, newout, newin, mv, ovf = (a[keep] for a in (idx, newc, newout, newin,
                                                                     mv, ovf))
        if side == 0:
            emit(idx, newc, newout, newin, mv, ovf)
        else:
            emit(idx, newc, newin, newout, mv, ovf)

    def _purged(self, side, newc, outch, inch, snd):
        """``System._purge`` then the send, for a step that reopens with old_segments = false."""
        T, sysm = self.T, self.sys
        inc = T.ctrls[newc][INCA + side]
        g1, gr = sysm.g1, sysm.ghost_radix
        o = tuple(f for f in T.chans[outch] if (f % gr) // g1 >= inc)
        i = tuple(f for f in T.chans[inch] if (f % gr) % g1 >= inc)
        ovf = False
        if snd >= 0:
            if len(o) < T.cap:
                o = sysm._add(o, T.segs[snd])
            elif sysm.overflow_drop:
                ovf = True
            else:
                return None
        return T.chan_id(o), T.chan_id(i), ovf

    def _news(self, side, c, inch, msl):
        T = self.T
        res = np.zeros(len(c), bool)
        for j in range(T.cap):
            seg = T.slot.a[inch, j]
            sub = np.flatnonzero(seg >= 0)
            if len(sub):
                rows = T.arrival_rows(side, c[sub], seg[sub], msl[sub])
                res[sub] |= T.arr_changes.a[rows]
        return res

    def _inflight(self, outch, gate):
        T = self.T
        res = np.zeros(len(outch), bool)
        for j in range(T.cap):
            s = T.slot.a[outch, j]
            ok = s >= 0
            res |= ok & (T.seg_r.a[np.where(ok, s, 0)] == gate)
        return res & (gate >= 0)


CHANNEL_CONTENTS = frozenset({"ab", "ba"})  # the names all/any/count quantify over


class _Truth:
    """Safety properties evaluated once per distinct situation and memoised.

    Properties read endpoints, script positions, incarnations, counters and channel *sizes*,
    never channel contents (``explore_fast`` leaves those to the reference engine).  When no property reads a size, a state's truth depends on its
    control part (and whether it is terminal) and a step's on its move (a move belongs to one
    origin control) or, for loss and duplication, on (move, control): dense table lookups.
    Otherwise (rare) the channel sizes join the key of a sparse map.

    A property whose verdict is found (``decide``) is no longer evaluated: its bit in what is
    computed afterwards is 0, and the search reads no bit of a found property.
    """

    def __init__(self, T: Tables, state_props, step_props):
        self.T = T
        self.state_props = state_props
        self.step_props = step_props
        self.state_open = list(enumerate(p.test for p in state_props))
        self.step_open = list(enumerate(p.test for p in step_props))
        self.sizes = any(n in ("ab.size", "ba.size") for p in state_props + step_props
                         for n in p.reads)
        self.S = (T.cap + 1) ** 2
        self.state = SparseMap(self._state_bits)
        self.summ_ids = SparseMap(self._summ_id)
        self.summ: list = []
        self.step = SparseMap(self._step_bits)
        self.state_dense = Grow((2,), np.int64)
        self.move_bits = Grow((), np.int64)
        self.net = Table2D(self._net_bits)

    def summary(self, keys):
        c, ab, ba = split(keys)
        if not self.sizes:
            return c * self.S
        return (c * (self.T.cap + 1) + self.T.clen.a[ab]) * (self.T.cap + 1) + self.T.clen.a[ba]

    def _tuple(self, sk):
        c, r = divmod(sk, self.S)
        lab, lba = divmod(r, self.T.cap + 1)
        return self.T.state(c, (0,) * lab, (0,) * lba)

    def decide(self, found) -> None:
        """Stop evaluating the properties named in ``found``."""
        self.state_open = [(i, f) for i, f in self.state_open
                           if self.state_props[i].name not in found]
        self.step_open = [(i, f) for i, f in self.step_open
                          if self.step_props[i].name not in found]

    def _state_bits(self, key):
        env = (self._tuple(key >> 1), bool(key & 1), None, None)
        return sum(1 << i for i, test in self.state_open if test(env))

    def _summ_id(self, sk):
        self.summ.append(sk)
        return len(self.summ) - 1

    def _env_bits(self, a, b, act):
        env = (self._tuple(b), False, self._tuple(a), self.T.acts[act])
        return sum(1 << i for i, test in self.step_open if test(env))

    def _step_bits(self, key):
        return self._env_bits(self.summ[key >> 41], self.summ[(key >> 20) & 0x1FFFFF],
                              key & 0xFFFFF)

    def _net_bits(self, c, mv):
        T = self.T
        act = int(T.mv_act.a[mv])
        a = T.acts[act]
        newc = int(T.net_newc(a.kind, a.side, c))
        return self._env_bits(c * self.S, newc * self.S, act)

    def state_bits(self, keys, terminal):
        term = terminal.astype(np.int64)
        if self.sizes:
            return self.state.get((self.summary(keys) << 1) | term)
        c = (keys >> SHIFT_C).astype(np.int64)
        d = self.state_dense
        d.ensure(len(self.T.ctrls))
        bits = d.a[c, term]
        miss = np.flatnonzero(bits < 0)
        if len(miss):
            for key in np.unique(c[miss] * 2 + term[miss]).tolist():
                d.a[key >> 1, key & 1] = self._state_bits((key >> 1) * self.S * 2 + (key & 1))
            bits = d.a[c, term]
        return bits

    def step_bits(self, src_keys, dst_keys, mv):
        T = self.T
        if self.sizes:
            a = self.summ_ids.get(self.summary(src_keys))
            b = self.summ_ids.get(self.summary(dst_keys))
            if len(self.summ) >= 1 << 21 or len(T.acts) >= 1 << 20:
                raise OverflowError("too many distinct step summaries for the property cache")
            return self.step.get((a << 41) | (b << 20) | T.mv_act.a[mv])
        out = np.empty(len(mv), np.int64)
        origin = T.mv_from.a[mv]
        ep = np.flatnonzero(origin >= 0)
        if len(ep):
            mb = self.move_bits
            mb.ensure(T.n_moves)
            m = mv[ep]
            bits = mb.a[m]
            miss = bits < 0
            if miss.any():
                for x in np.unique(m[miss]).tolist():
                    mb.a[x] = self._env_bits(int(T.mv_from.a[x]) * self.S,
                                             int(T.mv_newc.a[x]) * self.S, int(T.mv_act.a[x]))
                bits = mb.a[m]
            out[ep] = bits
        net = np.flatnonzero(origin < 0)
        if len(net):
            c = (src_keys[net] >> SHIFT_C).astype(np.int64)
            out[net] = self.net.get(c, mv[net])
        return out


def explore_fast(system, props, *, max_states=None, timeout=None, progress=None,
                 record_edges=False, chunk=1 << 14, workers=1, edge_memory=None,
                 max_memory=None):
    """Breadth-first search with the semantics and results of ``explore_reference``.

    ``workers`` >= 2: a second thread expands the next chunk while this one de-duplicates and
    stores the current chunk (numpy releases the GIL in sorting and table lookups).  Only
    the expanding thread interns, so ids and results are the same as with one worker.
    With ``record_edges`` the labelled graph is recorded as arrays (``ex.graph``), streamed
    to disk past ``edge_memory`` bytes (``graph_arrays.EdgeLog``).
    """
    if any(p.reads & CHANNEL_CONTENTS for p in props):
        # truths are memoised per control state and channel sizes (_Truth): a property that
        # quantifies over the segments in flight needs each state's channels
        raise Unsupported("a property reads channel contents")
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(1) if workers > 1 else None

    t0 = time.monotonic()
    X = Expander(system)
    T = X.T
    init = list(dict.fromkeys(T.pack(s) for s in system.initial_states()))
    visited = Visited()
    parent = Chunked(np.int32)
    via = Chunked(np.uint8)
    parent.append(np.full(len(init), -1))
    via.append(np.full(len(init), 255))
    visited.add(np.array(init, np.uint64))
    state_props = [p for p in props if p.kind in ("always", "sometimes") and not p.on_steps]
    step_props = [p for p in props if p.kind in ("always", "sometimes") and p.on_steps]
    truth = _Truth(T, state_props, step_props)
    ex = Exploration(None, None, parent, via)
    ex.states = LazyStates(T, visited)
    ex.index = LazyIndex(T, visited)
    if edge_memory is None and max_memory is not None:
        edge_memory = max_memory // 4   # past a quarter of the limit the edges go to files
    edges = EdgeLog(edge_memory) if record_edges else None
    fired = np.zeros(2 * len(T.m[0].rules), bool)
    n = len(init)
    depth = transitions = 0
    level_start = 0
    try:
        while level_start < n:
            # the level is the ids [level_start, level_end): the visited keys are the queue;
            # chunks are copies, since storing the next level may move the keys array
            level_end = n
            start = 0
            queued = level_end - level_start
            lows = range(level_start, level_end, chunk)

            def part(lo):
                return visited.keys[lo:min(lo + chunk, level_end)].copy()

            keys = part(lows[0])
            ahead = pool.submit(X.expand, keys) if pool else None
            for ci, lo in enumerate(lows):
                if pool:
                    done = ahead.result()
                    nxt_keys = part(lows[ci + 1]) if ci + 1 < len(lows) else None
                    ahead = pool.submit(X.expand, nxt_keys) if nxt_keys is not None else None
                else:
                    done = X.expand(keys)
                r = _chunk(X, visited, keys, n, max_states, done)
                if r["stop"] is not None:   # max_states reached inside the chunk: redo it
                    if ahead is not None:
                        ahead.result()      # no expansion may run while this one does
                        ahead = None
                    keys = keys[:r["stop"] + 1]   # up to the state whose expansion crossed it
                    r = _chunk(X, visited, keys, n, None)
                    ex.stop_reason = "max-states"
                _commit(r, ex, T, truth, visited, parent, via, edges, fired, state_props,
                        step_props, level_start + start)
                n += r["new"]
                transitions += r["transitions"]
                start += len(keys)
                if progress:
                    progress.tick(n, queued - start + n - level_end, depth)
                if ex.stop_reason:
                    return ex
                if timeout is not None and time.monotonic() - t0 > timeout:
                    ex.stop_reason = "timeout"
                    return ex
                if max_memory is not None and in_use() > max_memory:
                    ex.stop_reason = "max-memory"
                    return ex
                if not pool and ci + 1 < len(lows):
                    keys = part(lows[ci + 1])
                elif pool:
                    keys = nxt_keys
            level_start = level_end
            if level_start < n:
                depth += 1
        ex.complete = True
        return ex
    except KeyboardInterrupt:
        ex.stop_reason = "interrupted"
        return ex
    except MemoryError:
        ex.stop_reason = "max-memory"
        return ex
    finally:
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)
        ex.transitions = transitions
        ex.depth = depth
        ex.seconds = time.monotonic() - t0
        nr = len(T.m[0].rules)
        ex.fired = {(int(i) // nr, int(i) % nr) for i in np.flatnonzero(fired)}
        ex.engine = "fast"
        ex.store_bytes = visited.nbytes() + parent.nbytes() + via.nbytes()
        if record_edges and ex.complete:
            visited.release_index()   # liveness reads the graph, not the index
        ex.tables = T
        if record_edges:
            ex.graph = _finish_graph(T, edges, len(init))


def _chunk(X, visited, keys, n_before, max_states, expanded=None):
    """Expand one chunk (unless ``expanded`` already holds it), find its new states; ``stop``
    is set when max_states is crossed."""
    (ck, pos, k, mv, ovf), kc, honest = expanded if expanded is not None else X.expand(keys)
    if len(k) and k.max() >= 255:
        raise OverflowError("more than 254 successors of one state")
    ordk = pos * KMAX + k           # the reference discovers successors in this order
    r = {"stop": None, "transitions": len(ck), "keys": keys, "kc": kc, "honest": honest, "ck": ck,
         "ordk": ordk,
         "mv": mv, "ovf": ovf, "new": 0}
    if not len(ck):
        r.update(u=np.empty(0, np.uint64), ids=np.empty(0, np.int64), newidx=np.empty(0, int),
                 first=np.empty(0, np.int64), order=None, flag=None, slots=None, table_size=-1)
        return r
    order = np.argsort(ck)
    cs = ck[order]
    flag = np.empty(len(cs), bool)
    flag[0] = True
    np.not_equal(cs[1:], cs[:-1], out=flag[1:])
    starts = np.flatnonzero(flag)
    u = cs[starts]
    first = np.minimum.reduceat(ordk[order], starts)   # each successor's first discovery
    ids, ends = visited.find(u, slots=True)
    new = np.flatnonzero(ids < 0)
    new = new[np.argsort(first[new], kind="stable")]   # ids in discovery order
    ids[new] = n_before + np.arange(len(new))
    if max_states is not None and n_before + len(new) >= max_states:
        i = max(max_states - n_before - 1, 0)
        r["stop"] = int(first[new[i]] // KMAX) if len(new) else 0
        return r
    r.update(u=u, ids=ids, new=len(new), newidx=new, first=first, order=order, flag=flag,
             slots=ends[new], table_size=len(visited.table))
    return r


def _commit(r, ex, T, truth, visited, parent, via, edges, fired, state_props, step_props,
            base_id):
    """Store a chunk's new states and account for its expansions (counts, rules, properties)."""
    ck, ordk, mv, u, ids, new, first = (r[x] for x in ("ck", "ordk", "mv", "u", "ids", "newidx",
                                                       "first"))
    keys, kc = r["keys"], r["kc"]
    found = ex.found
    # in discovery order: the ids n_before, n_before + 1, ...
    visited.add(u[new], r["slots"] if r["table_size"] == len(visited.table) else None)
    parent.append(base_id + first[new] // KMAX)
    via.append(first[new] % KMAX)
    term = r["honest"] == 0   # only the attacker could act: the run may stop here
    ex.terminal += int(term.sum())
    ex.overflow += int(r["ovf"].sum())
    endpoint = T.mv_fired.a[mv]
    fired[np.unique(endpoint[endpoint >= 0])] = True
    if any(p.name not in found for p in state_props):
        bits = truth.state_bits(keys, term)
        for i, p in enumerate(state_props):
            if p.name in found:
                continue
            hit = np.flatnonzero(((bits >> i) & 1).astype(bool) != (p.kind == "always"))
            if len(hit):
                found[p.name] = (base_id + int(hit[0]), None)
    if any(p.name not in found for p in step_props) and len(ck):
        bits = truth.step_bits(keys[ordk // KMAX], ck, mv)
        for i, p in enumerate(step_props):
            if p.name in found:
                continue
            hit = np.flatnonzero(((bits >> i) & 1).astype(bool) != (p.kind == "always"))
            if len(hit):   # the first step in (parent, k) order is the reference's
                o = int(ordk[hit].min())
                found[p.name] = (base_id + o // KMAX, o % KMAX)
    truth.decide(found)
    if edges is not None:
        # CSR by source: per expanded state its successor count, per edge (in (source, k)
        # order) the target and the kind of step (fairness label and request)
        if len(ck):
            inv = np.empty(len(ck), np.int64)
            inv[r["order"]] = np.cumsum(r["flag"]) - 1
            perm = np.argsort(ordk)
            edges.append(kc, ids[inv[perm]], T.mv_kind.a[mv[perm]])
        else:
            edges.append(kc, np.empty(0, np.int32), np.empty(0, np.int64))


def _finish_graph(T, edges, n_init):
    pairs = sorted(T.kinds, key=T.kinds.get)
    return edges.finish([a for a, _ in pairs], [b for _, b in pairs], T.labels,
                        np.arange(n_init))


class LazyStates(Sequence):
    """``Exploration.states`` of the fast engine: state tuples decoded on demand."""

    def __init__(self, T: Tables, visited: Visited):
        self.T = T
        self.visited = visited
        self._keys = None

    def _key(self, i: int) -> int:
        return int(self.visited.keys[i])

    def keys(self):
        if self._keys is None or len(self._keys) != self.visited.n:
            self._keys = self.visited.keys_by_id()
        return self._keys

    def __len__(self):
        return self.visited.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.T.unpack(self._key(i))

    def __iter__(self):
        unpack = self.T.unpack
        return (unpack(k) for k in self.keys().tolist())


class LazyIndex:
    """``Exploration.index`` of the fast engine: state tuple -> id."""

    def __init__(self, T: Tables, visited: Visited):
        self.T = T
        self.visited = visited

    def get(self, s, default=None):
        key = self.T.lookup(s)
        if key is None:
            return default
        i = int(self.visited.find(np.array([key], np.uint64))[0])
        return default if i < 0 else i

    def __contains__(self, s):
        return self.get(s) is not None

    def __getitem__(self, s):
        i = self.get(s)
        if i is None:
            raise KeyError(s)
        return i

    def __len__(self):
        return self.visited.n
