"""The composed system as lookup tables, for the vectorised engine (``vectorised.py``).

A global state of :class:`~tcpmodel.system.System` splits into three parts that are
interned separately: the *control* part (both endpoints' local codes, script positions,
incarnations and the fault and attacker budgets used) and the two channels.  Reachable models have few
distinct parts (hundreds of controls, thousands of channel contents) however many states
they have, so a state packs exactly into 64 bits: ``ctrl << 42 | ab << 21 | ba``.

Everything the successor function decides is tabulated per part, lazily, by the same
rules and in the same order as ``System.successors`` (which stays the reference; the tests
compare both engines state by state):

- per control and side: the user-call moves, the timer moves (for msl_expired false/true),
  the crash move, the attacker's forged-segment moves (msl false/true); per control: the
  loss and duplication budgets, and the attacker's drop and replay budgets per direction;
- per channel: its length, its segments, the channel left after removing or duplicating
  one, and which incarnations it holds segments of (for the MSL model);
- per (control, segment, msl): the arrival moves, and whether the arrival would change the
  endpoint (the conservative retransmission timer waits while such news is in flight);
- per (channel, segment): the channel after sending it.

A *move* is a row of a global table: the control after the step, the segment sent, the
action (for properties, fairness labels and rule coverage).  What depends on the channels
(capacity, overflow, the timer gating) is computed by the engine on whole arrays.
"""

from __future__ import annotations

import numpy as np

from ...endpoint import NO_SEG
from ...system import ATTACK, CRASH, DUP, INCA, LOSS, PCA, Action
from .store import Grow, Table2D

CH_BITS = 21
CTRL_BITS = 22
CH_MASK = (1 << CH_BITS) - 1
SEG_BITS = 20
OWN = -2          # mv_gate of a gated timer that sends nothing


class TooLarge(Exception):
    """More distinct controls or channel contents than the 64-bit packing holds."""


class Unsupported(TooLarge):
    """A model feature the tables do not cover: the reference engine runs it."""


def control(s: tuple) -> tuple:
    """The control part of a state: everything but the channels (attacker budgets last)."""
    return s[:9] + (s[ATTACK],)


class Tables:
    def __init__(self, system):
        self.sys = system
        self.att = system.attacker
        self.m = system.machines
        self.cap = system.cap
        self.K = max(len(c) for m in self.m for c in m.iss_choices)
        self.scripted = [s is not None for s in system.scripts]
        # control parts, channels and segments, interned
        self.ctrls: list = []
        self.ctrl_ids: dict = {}
        self.chans: list = []
        self.chan_ids: dict = {}
        self.segs: list = []
        self.seg_ids: dict = {}
        # moves: one row per (origin, step); see the module docstring
        self.mv_newc = Grow((), np.int64)
        self.mv_send = Grow((), np.int64)       # segment id sent, or -1
        self.mv_purge = Grow((), np.bool_, False)
        self.mv_gated = Grow((), np.bool_, False)
        self.mv_gate = Grow((), np.int64)       # rule-visible code of the resend (timer gating), or OWN
        self.mv_act = Grow((), np.int64)        # action class id (properties)
        self.mv_label = Grow((), np.int64)      # fairness label id, -1 = none
        self.mv_req = Grow((), np.int64)        # fairness request id, -1 = none
        self.mv_kind = Grow((), np.int64)       # id of the (label, request) pair (edge kind)
        self.kinds: dict = {}                   # (label id, request id) -> edge kind
        self.mv_fired = Grow((), np.int64)      # side * rules + rule, -1 for network steps
        self.mv_from = Grow((), np.int64)       # origin control, -1 for network steps
        self.n_moves = 0
        self.acts: list = []                    # act id -> Action (overflow blank)
        self.act_ids: dict = {}
        self.labels: list = []
        self.label_ids: dict = {}
        # per control
        ue = len(self.m[0].user_events)
        self.wc = [self.K if self.scripted[x] else ue * self.K for x in (0, 1)]
        self.wt = len(self.m[0].timer_events) * self.K
        self.ctrl_ready = Grow((), np.bool_, False)
        self.inc = [Grow((), np.int64, 0), Grow((), np.int64, 0)]
        self.call_mv = [Grow((self.wc[x],), np.int64) for x in (0, 1)]
        self.timer_mv = [Grow((2, self.wt), np.int64) for x in (0, 1)]
        self.crash_mv = [Grow((), np.int64), Grow((), np.int64)]
        self.loss_c = Grow((), np.int64)
        self.dup_c = Grow((), np.int64)
        # per channel
        cap = self.cap
        self.chan_ready = Grow((), np.bool_, False)
        self.clen = Grow((), np.int64, 0)       # set when interned
        self.slot = Grow((cap,), np.int64)       # segment id in each slot, -1 past the end
        self.first = Grow((cap,), np.int64)      # segment id if its first occurrence, else -1
        self.rem = Grow((cap,), np.int64)        # channel after removing that first occurrence
        self.dupch = Grow((cap,), np.int64)      # channel after duplicating it
        self.smask = Grow((), np.int64, 0)       # bit i: a segment sent by incarnation i
        self.lmask = Grow((), np.int64, 0)       # ... one with SEG.LEN > 0 (SYN, FIN, data)
        self.rmask = Grow((), np.int64, 0)       # bit i: a segment sent to incarnation i
        # per segment
        self.seg_r = Grow((), np.int64)          # rule-visible code
        # sparse: (ctrl, segment, msl) -> arrival row; (channel, segment) -> channel
        self.arr_mv = Grow((self.K,), np.int64)
        self.arr_changes = Grow((), np.bool_, False)
        self.n_arr = 0
        self.arr = Table2D(self._arrival_row)
        self.add = Table2D(self._add)
        self.net_moves = {}
        # the attacker: per control and direction, the control after a drop / a replay
        self.drop_c = [Grow((), np.int64), Grow((), np.int64)]
        self.replay_c = [Grow((), np.int64), Grow((), np.int64)]
        self.inj_mv: dict = {}   # (ctrl, target, msl) -> forged-segment move ids, in order

    # ------------------------------------------------------------ interning

    def ctrl_id(self, t: tuple) -> int:
        i = self.ctrl_ids.get(t)
        if i is None:
            i = self.ctrl_ids[t] = len(self.ctrls)
            if i >> CTRL_BITS:
                raise TooLarge("control parts")
            self.ctrls.append(t)
        return i

    def chan_id(self, t: tuple) -> int:
        i = self.chan_ids.get(t)
        if i is None:
            i = self.chan_ids[t] = len(self.chans)
            if i >> CH_BITS:
                raise TooLarge("channel contents")
            self.chans.append(t)
            self.clen.ensure(i + 1)
            self.clen.a[i] = len(t)
        return i

    def seg_id(self, full: int) -> int:
        i = self.seg_ids.get(full)
        if i is None:
            i = self.seg_ids[full] = len(self.segs)
            if i >> SEG_BITS:
                raise TooLarge("segments")
            self.segs.append(full)
            self.seg_r.ensure(i + 1)
            self.seg_r.a[i] = full // self.sys.ghost_radix
        return i

    def pack(self, s: tuple) -> int:
        return (self.ctrl_id(control(s)) << (2 * CH_BITS)) | (self.chan_id(s[9]) << CH_BITS) \
            | self.chan_id(s[10])

    def state(self, c: int, ab: tuple, ba: tuple) -> tuple:
        """The state tuple of control ``c`` with these channel contents."""
        ctrl = self.ctrls[c]
        return ctrl[:9] + (ab, ba, ctrl[9])

    def unpack(self, key: int) -> tuple:
        key = int(key)
        return self.state(key >> (2 * CH_BITS), self.chans[(key >> CH_BITS) & CH_MASK],
                          self.chans[key & CH_MASK])

    def lookup(self, s: tuple) -> int | None:
        """The packed key of a state tuple, or None if one of its parts was never seen."""
        try:
            c, a, b = self.ctrl_ids[control(tuple(s))], self.chan_ids[s[9]], self.chan_ids[s[10]]
        except (KeyError, TypeError):
            return None
        return (c << (2 * CH_BITS)) | (a << CH_BITS) | b

    def _act(self, a: Action) -> int:
        # the segments received and sent are part of the class: step.seg.* and step.sent.*
        key = (a.kind, a.side, a.event, a.out.rule if a.out else -1, a.stale, a.seg, a.sent)
        i = self.act_ids.get(key)
        if i is None:
            i = self.act_ids[key] = len(self.acts)
            self.acts.append(a._replace(overflow=False))
        return i

    def _label(self, lab) -> int:
        if lab is None:
            return -1
        i = self.label_ids.get(lab)
        if i is None:
            i = self.label_ids[lab] = len(self.labels)
            self.labels.append(lab)
        return i

    def _move(self, newc, send_full, purge, gated, gate, act: Action, origin=-1) -> int:
        i = self.n_moves
        self.n_moves += 1
        if i >= len(self.mv_newc.a):   # the columns are made alike and grow together
            for g in (self.mv_newc, self.mv_send, self.mv_purge, self.mv_gated, self.mv_gate,
                      self.mv_act, self.mv_label, self.mv_req, self.mv_kind, self.mv_fired,
                      self.mv_from):
                g.ensure(i + 1)
        self.mv_from.a[i] = origin
        self.mv_newc.a[i] = newc
        self.mv_send.a[i] = self.seg_id(send_full) if send_full >= 0 else -1
        self.mv_purge.a[i] = purge
        self.mv_gated.a[i] = gated
        self.mv_gate.a[i] = gate
        self.mv_act.a[i] = self._act(act)
        pair = (self._label(self.sys.fair_label(act)), self._label(self.sys.fair_request(act)))
        self.mv_label.a[i], self.mv_req.a[i] = pair
        self.mv_kind.a[i] = self.kinds.setdefault(pair, len(self.kinds))
        self.mv_fired.a[i] = (act.side * len(self.m[0].rules) + act.out.rule) if act.out else -1
        return i

    def net_move(self, kind: str, side: int, sid: int = -1) -> int:
        """The move of a network or attacker step on channel ``side``; ``sid``: the segment,
        where its fairness label depends on it (an observing attacker's interception)."""
        i = self.net_moves.get((kind, side, sid))
        if i is None:
            seg = self.segs[sid] if sid >= 0 else -1
            i = self.net_moves[kind, side, sid] = self._move(
                -1, -1, False, False, -1, Action(kind, side, -1, seg, None, -1, False, False))
        return i

    def intercepts(self, side: int) -> bool:
        """The attacker's drops on channel ``side`` are interceptions (labelled per segment)."""
        return self.att is not None and self.att.powers[side].observe

    # ------------------------------------------------------------ endpoint steps (System._apply)

    def _endpoint_move(self, ctrl, side, kind, ev, o, *, pc=None, seg=-1, stale=False,
                       gated=False, origin=None):
        """The control part of ``System._apply``; None when the step is not possible.
        ``origin``: the control the step starts from, if not ``ctrl`` (a forged segment's
        step starts before the attacker's budget is spent)."""
        sysm = self.sys
        m = self.m[side]
        n = list(ctrl)
        n[side] = o.code
        if pc is not None:
            n[PCA + side] = pc
        purge = False
        if m.state_of(ctrl[side]) == m.initial and m.state_of(o.code) != m.initial:
            if ctrl[INCA + side] >= sysm.max_inc:
                return None
            n[INCA + side] += 1
            purge = not sysm.old_segments
        sent = -1
        if o.send != NO_SEG:
            other = 1 - side
            om = self.m[other]
            rinc = 0 if om.state_of(n[other]) == om.initial else n[INCA + other]
            sent = (o.send * sysm.g1 + n[INCA + side]) * sysm.g1 + rinc
        act = Action(kind, side, ev, seg, o, sent, False, stale)
        # the resend a gated timer waits for; OWN: it sends nothing (gives up) and waits for
        # every SYN, FIN or data this endpoint sent
        gate = (o.send if o.send != NO_SEG else OWN) if gated else -1
        return self._move(self.ctrl_id(tuple(n)), sent, purge, gated, gate, act,
                          self.ctrl_ids[ctrl] if origin is None else origin)

    def ensure_ctrls(self, cs: np.ndarray) -> None:
        self.ctrl_ready.ensure(len(self.ctrls))
        todo = cs[~self.ctrl_ready.a[cs]]
        for c in np.unique(todo).tolist():
            self._ctrl_rows(c)

    def _ctrl_rows(self, c: int) -> None:
        sysm = self.sys
        ctrl = self.ctrls[c]
        for g in ([self.ctrl_ready, self.loss_c, self.dup_c] + self.inc + self.call_mv
                  + self.timer_mv + self.crash_mv):
            g.ensure(c + 1)
        for side in (0, 1):
            m = self.m[side]
            code = ctrl[side]
            st = m.state_of(code)
            self.inc[side].a[c] = ctrl[INCA + side]
            script = sysm.scripts[side]
            inc_after = ctrl[INCA + side] + (st == m.initial)
            calls = []
            if script is None:
                for ev in m.user_events:
                    col = [self._endpoint_move(ctrl, side, "call", ev, o)
                           for o in m.react(code, ev, NO_SEG, False, inc_after)
                           if o.code != code or o.send != NO_SEG]
                    calls += (col + [None] * self.K)[:self.K]
            else:
                pc = ctrl[PCA + side]
                col = []
                if pc < len(script):
                    step = script[pc]
                    other = self.m[1 - side].state_of(ctrl[1 - side])
                    if step.when is None or step.when(m.decode(code) + (other,)):
                        col = [self._endpoint_move(ctrl, side, "call", step.event, o, pc=pc + 1)
                               for o in m.react(code, step.event, NO_SEG, False, inc_after)]
                calls = (col + [None] * self.K)[:self.K]
            self.call_mv[side].a[c] = [-1 if x is None else x for x in calls]
            for msl_state in (0, 1):
                cols = []
                for ev in m.timer_events:
                    msl = bool(msl_state) and (st, ev) in m.uses_msl
                    col = []
                    for o in m.react(code, ev, NO_SEG, msl):
                        if o.code == code and o.send == NO_SEG:
                            continue
                        gated = m.waits_round_trip(code, ev, o) and not sysm.spurious_rto
                        col.append(self._endpoint_move(ctrl, side, "timer", ev, o, gated=gated))
                    cols += (col + [None] * self.K)[:self.K]
                self.timer_mv[side].a[c, msl_state] = [-1 if x is None else x for x in cols]
            crash = -1
            if (sysm.crash_bound and ctrl[CRASH] < sysm.crash_bound and side in sysm.crash_sides
                    and st != m.initial):
                n = list(ctrl)
                n[side] = m.initial_code
                n[CRASH] += 1
                if script is not None:
                    n[PCA + side] = 0 if sysm.crash_restart else len(script)
                crash = self._move(self.ctrl_id(tuple(n)), -1, False, False, -1,
                                   Action("crash", side, -1, -1, None, -1, False, False), c)
            self.crash_mv[side].a[c] = crash
        lc = -1
        if sysm.loss_bound is None:
            lc = c
        elif ctrl[LOSS] < sysm.loss_bound:
            lc = self.ctrl_id(ctrl[:LOSS] + (ctrl[LOSS] + 1,) + ctrl[LOSS + 1:])
        dc = -1
        if ctrl[DUP] < sysm.dup_bound:
            dc = self.ctrl_id(ctrl[:DUP] + (ctrl[DUP] + 1,) + ctrl[DUP + 1:])
        self.loss_c.ensure(len(self.ctrls))
        self.dup_c.ensure(len(self.ctrls))
        self.loss_c.a[c] = lc
        self.dup_c.a[c] = dc
        if self.att is not None:
            self._attacker_rows(c, ctrl)
        self.ctrl_ready.ensure(len(self.ctrls))
        self.ctrl_ready.a[c] = True

    # ------------------------------------------------------------ the attacker (System._attacker)

    def _attacker_rows(self, c: int, ctrl: tuple) -> None:
        att, used = self.att, ctrl[9]
        for d in (0, 1):
            for tab, action in ((self.drop_c[d], "drop"), (self.replay_c[d], "replay")):
                nu = att.spend(used, d, action)
                nc = -1 if nu is None else self.ctrl_id(ctrl[:9] + (nu,))
                tab.ensure(len(self.ctrls))
                tab.a[c] = nc

    def inject_moves(self, c: int, target: int, msl_state: int) -> list:
        """Move ids of every forged segment towards ``target`` in control ``c`` (the order of
        ``System._attacker``); msl_state: whether that endpoint's 2 MSL have expired."""
        key = (c, target, msl_state)
        got = self.inj_mv.get(key)
        if got is not None:
            return got
        sysm = self.sys
        ctrl = self.ctrls[c]
        out = []
        nu = self.att.spend(ctrl[9], 1 - target, "inject") if sysm.forgers else None
        if nu is not None:
            spent = ctrl[:9] + (nu,)
            m = self.m[target]
            code = ctrl[target]
            st = m.state_of(code)
            inc = ctrl[INCA + target]
            rinc = 0 if st == m.initial else inc
            for ch in sysm.forgers[target].choices(
                    code, lambda ev: msl_state and (st, ev) in m.uses_msl, inc):
                full = ch.segr * sysm.ghost_radix + rinc
                for o in ch.outcomes:
                    mv = self._endpoint_move(spent, target, "inject", ch.event, o, seg=full,
                                             origin=c)
                    if mv is not None:
                        out.append(mv)
        self.inj_mv[key] = out
        return out

    def net_newc(self, kind: str, side: int, c):
        """The control after a network or attacker move on channel ``side`` (arrays work)."""
        if kind == "loss":
            return self.loss_c.a[c]
        if kind == "dup":
            return self.dup_c.a[c]
        return (self.drop_c if kind == "drop" else self.replay_c)[side].a[c]

    # ------------------------------------------------------------ arrivals

    def _arrival_row(self, r: int, sid: int) -> int:
        """Row of arrival moves for table row r = (ctrl * 2 + side) * 2 + msl, segment sid."""
        c, side, msl_state = r >> 2, (r >> 1) & 1, r & 1
        sysm = self.sys
        ctrl = self.ctrls[c]
        m = self.m[side]
        code = ctrl[side]
        st = m.state_of(code)
        full = self.segs[sid]
        segr, ghost = divmod(full, sysm.ghost_radix)
        inc = ctrl[INCA + side]
        stale = 0 < ghost % sysm.g1 < inc
        ev = m.classify(segr)
        msl = bool(msl_state) and (st, ev) in m.uses_msl
        outs = m.react(code, ev, segr, msl, inc)
        row = [self._endpoint_move(ctrl, side, "rcv", ev, o, seg=full, stale=stale) for o in outs]
        r = self.n_arr
        self.n_arr += 1
        self.arr_mv.ensure(r + 1)
        self.arr_changes.ensure(r + 1)
        self.arr_mv.a[r] = [-1 if x is None else x for x in (row + [None] * self.K)[:self.K]]
        self.arr_changes.a[r] = any(o.code != code for o in outs)
        return r

    def arrival_rows(self, side: int, c: np.ndarray, seg: np.ndarray, msl: np.ndarray):
        """Arrival rows of segments ``seg`` reaching endpoint ``side`` in controls ``c``."""
        return self.arr.get((c * 2 + side) * 2 + msl, seg)

    # ------------------------------------------------------------ channels

    def ensure_chans(self, chs: np.ndarray) -> None:
        self.chan_ready.ensure(len(self.chans))
        todo = chs[~self.chan_ready.a[chs]]
        for x in np.unique(todo).tolist():
            self._chan_rows(x)

    def _chan_rows(self, x: int) -> None:
        sysm = self.sys
        ch = self.chans[x]
        for g in (self.chan_ready, self.slot, self.first, self.rem, self.dupch, self.smask,
                  self.lmask, self.rmask):
            g.ensure(x + 1)
        g1, gr = sysm.g1, sysm.ghost_radix
        sm = lm = rm = 0
        seen = set()
        codec = self.m[0].seg
        for j, full in enumerate(ch):
            sid = self.seg_id(full)
            self.slot.a[x, j] = sid
            tag = full % gr
            sm |= 1 << (tag // g1)
            if codec.fields(full // gr)[7] > 0:
                lm |= 1 << (tag // g1)
            rm |= 1 << (tag % g1)
            if full in seen:
                continue
            seen.add(full)
            self.first.a[x, j] = sid
            self.rem.a[x, j] = self.chan_id(ch[:j] + ch[j + 1:])
            if sysm.dup_bound and len(ch) < self.cap:
                if sysm.fifo:
                    d = ch[:j + 1] + (full,) + ch[j + 1:]
                else:
                    d = tuple(sorted(ch + (full,)))
                self.dupch.a[x, j] = self.chan_id(d)
        self.smask.a[x] = sm
        self.lmask.a[x] = lm
        self.rmask.a[x] = rm
        self.chan_ready.ensure(len(self.chans))
        self.chan_ready.a[x] = True

    def _add(self, x: int, sid: int) -> int:
        return self.chan_id(self.sys._add(self.chans[x], self.segs[sid]))

    def add_seg(self, x: np.ndarray, sid: np.ndarray) -> np.ndarray:
        return self.add.get(x, sid)

