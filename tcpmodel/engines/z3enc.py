"""The composed system as Z3 constraints, compiled from the same rule and check data as the
explicit engine (``endpoint.py`` and ``system.py`` are the reference semantics).

A step is one action chosen by a few choice variables (:class:`Choice`: kind, side, event, slot,
ISS); the next state is a function of the state and the choice, stated once per component
(frame conditions included), and ``guard`` says whether the choice is an enabled action.
One reaction circuit per step serves every endpoint action: the acting side's local state,
the event and the arriving segment are multiplexed into it.

``terminal`` (no action enabled) enumerates the finitely many concrete action instances; with
concrete choices the same code folds to a small term (see the helpers in ``z3state``).
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from .. import expr as E
from ..check import script_scope
from ..endpoint import FLAG_BIT
from ..system import NET_EVENTS
from .z3expr import INT_BITS, Sorts, Z3Compiler, Z3Scope, bits_for
from .z3state import (
    SEG_KEYS,
    Chan,
    Layout,
    State,
    and_,
    as_bool,
    ite,
    mux,
    not_,
    or_,
    slot_key,
)

KINDS = ("call", "rcv", "timer", "loss", "dup", "crash")  # the order of props' step.kind enum
CALL, RCV, TIMER, LOSS, DUP, CRASH = range(len(KINDS))


class EncodingError(Exception):
    """The Z3 encoding and the explicit engine disagree: a bug, never a verdict."""


@dataclass
class Choice:
    kind: object
    side: object
    ev: object
    slot: object
    isn: object


@dataclass
class Reaction:
    state: object
    fields: dict          # storage form (range fields as offsets)
    send: object          # Bool: a segment is sent
    seg: dict             # seq, ack, flags, data of the sent segment
    rule: object          # rule index
    signal: object        # signal index (len(signals) = none)
    range_ok: object      # every range field assigned stays in range
    chooses: object       # the rule chose an ISS


@dataclass
class Step:
    guard: object
    next: State
    choice: Choice
    kind_is: list
    reaction: Reaction
    ev: object            # the endpoint event (classified for arrivals)
    stale: object
    seg: dict             # the arriving segment (for arrivals)


class Encoding:
    """Init, transition and property terms of one built model."""

    def __init__(self, model):
        self.model = model
        self.system = sys_ = model.system
        self.lay = Layout(sys_)
        self.machines = sys_.machines
        self.m = m = sys_.machines[0]
        self.sorts: Sorts = self.lay.sorts
        self.n_events = len(m.events)
        self.ev_bits = bits_for(self.n_events + len(NET_EVENTS))
        self.rule_bits = bits_for(len(m.rules) + 1)
        self.sig_bits = bits_for(len(m.signals) + 1)
        self.user = list(m.user_events)
        self.timers = list(m.timer_events)
        self.segment_events = [m.event_index[e] for e in m.spec.events.get("segment", ())]
        self._scopes: dict = {}
        self._flags = {r.id: sum(FLAG_BIT[f] for f in r.send.flags) for r in m.rules if r.send}

    # ---------------------------------------------------------- variables

    def state(self, prefix: str) -> State:
        return self.lay.fresh(prefix)

    def choice(self, prefix: str) -> Choice:
        bv = z3.BitVec
        return Choice(bv(f"{prefix}kind", 3), bv(f"{prefix}side", 1), bv(f"{prefix}ev", self.ev_bits),
                      bv(f"{prefix}slot", self.lay.slot_bits), bv(f"{prefix}isn", self.lay.k))

    def init(self, s: State):
        return self.lay.init(s)

    def wellformed(self, s: State):
        return self.lay.wellformed(s)

    def trans(self, s: State, c: Choice, t: State):
        st = self.step(s, c)
        return z3.And(as_bool(st.guard), self.lay.equal(st.next, t)), st

    # ---------------------------------------------------------- expressions

    def _scope(self, key, make) -> E.Scope:
        sc = self._scopes.get(key)
        if sc is None:
            sc = self._scopes[key] = make()
        return sc

    def compile(self, base: E.Scope, values: dict, node, want):
        def provide(name):
            if name not in values:
                raise EncodingError(f"the Z3 encoding has no value for '{name}'")
            return values[name]
        return Z3Compiler(Z3Scope(base, provide), self.sorts).to_term(node, want)

    def local_values(self, state, fields: dict) -> dict:
        """Expression values of an endpoint's state and TCB (expression form)."""
        out = {"state": state}
        out.update(fields)
        return out

    def seg_values(self, seg: dict) -> dict:
        flags = seg["flags"]
        bit = {f: z3.Extract(i, i, flags) == 1 for f, i in
               (("SYN", 0), ("ACK", 1), ("FIN", 2), ("RST", 3))}
        assert [FLAG_BIT[f] for f in ("SYN", "ACK", "FIN", "RST")] == [1, 2, 4, 8]
        data = z3.ZeroExt(INT_BITS - 1, seg["data"])
        one = z3.BitVecVal(1, INT_BITS)
        zero = z3.BitVecVal(0, INT_BITS)
        length = data + z3.If(bit["SYN"], one, zero) + z3.If(bit["FIN"], one, zero)
        out = {"seg.seq": seg["seq"], "seg.ack": seg["ack"], "seg.data": data, "seg.len": length}
        out.update({f"seg.{f}": b for f, b in bit.items()})
        return out

    def expr_fields(self, local: dict) -> dict:
        return {f.name: self.lay.field_value(local, f.name) for f in self.lay.fields}

    def storage(self, name: str, v):
        f = self.lay.fields[self.m.field_index[name]]
        if f.kind == "range":
            return z3.Extract(self.lay.field_bits[name] - 1, 0, v - f.lo)
        return v

    # ---------------------------------------------------------- one endpoint's reaction

    def state_in(self, st, names) -> object:
        idx = sorted({self.m.states.index(s) for s in names})
        if len(idx) == len(self.m.states):
            return True
        if isinstance(st, int):
            return st in idx
        return or_(*[st == i for i in idx])

    def ev_in(self, ev, events) -> object:
        idx = sorted({self.m.event_index[e] for e in events})
        if isinstance(ev, int):
            return ev in idx
        return or_(*[ev == i for i in idx])

    def react(self, pre: dict, ev, seg: dict, msl, isn) -> Reaction:
        """The first matching rule's outcome (rules in file order, like ``EndpointMachine``)."""
        m = self.m
        st = pre["state"]
        fields = self.expr_fields(pre)
        segv = self.seg_values(seg)
        base = self._scope(("pre",), m.scope)
        outs = []
        for idx, r in enumerate(m.rules):
            cond = and_(self.state_in(st, r.states), self.ev_in(ev, r.events))
            if cond is False:
                continue
            env = dict(self.local_values(st, fields), **segv, msl_expired=msl)
            when = self.compile(base, env, r.when.node, E.BOOL) if r.when else True
            when = self.guard_hook(r, when)
            cond = and_(cond, when)
            if cond is False:
                continue
            outs.append((cond, self._fire(r, idx, st, fields, segv, msl, isn)))
            if cond is True:
                break
        default = (st, {f.name: pre[f.name] for f in self.lay.fields}, False, self._no_send(),
                   len(m.rules), len(m.signals), True, False)
        acc = default
        for cond, out in reversed(outs):
            acc = self._merge(cond, out, acc)
        nst, nfields, send, sseg, rule, sig, rok, chooses = acc
        cleared = or_(*[nst == c for c in self.lay.clear])
        dflt = self.lay.default_local()
        nfields = {k: ite(cleared, dflt[k], v) for k, v in nfields.items()}
        return Reaction(nst, nfields, send, sseg, rule, sig, rok, chooses)

    def guard_hook(self, rule, when):
        """The compiled guard of ``rule`` (a seam for tests that seed an encoding bug)."""
        return when

    def _no_send(self) -> dict:
        return {"seq": z3.BitVecVal(0, self.lay.k), "ack": z3.BitVecVal(0, self.lay.k),
                "flags": z3.BitVecVal(0, 4), "data": z3.BitVecVal(0, 1)}

    def _fire(self, r, idx, st, fields, segv, msl, isn):
        m = self.m
        key = ("choose", r.choose)
        base = self._scope(key, lambda: m.scope(choose=r.choose))
        extra = dict(segv, msl_expired=msl, **{var: isn for var, _ in r.choose})
        env = dict(self.local_values(st, fields), **extra)
        new = dict(fields)
        range_ok = True
        for name, t in r.assign:
            v = self.compile(base, env, t.node, self.lay.field_type(name))
            new[name] = v
            f = self.lay.fields[m.field_index[name]]
            if f.kind == "range":
                range_ok = and_(range_ok, v >= f.lo, v < f.lo + f.size)
        nst = st
        if r.next:
            nst = self.compile(base, dict(self.local_values(st, new), **extra), r.next.node,
                              m.state_enum)
        seg = self._no_send()
        if r.send:
            post = dict(self.local_values(nst, new), **extra)  # send reads the state after next
            seg = {"seq": self.compile(base, post, r.send.seq.node, E.SEQ),
                   "ack": (self.compile(base, post, r.send.ack.node, E.SEQ) if r.send.ack
                           else z3.BitVecVal(0, self.lay.k)),  # no ACK flag: ack field 0
                   "flags": z3.BitVecVal(self._flags[r.id], 4),
                   "data": z3.BitVecVal(r.send.data, 1)}
        stored = {name: self.storage(name, v) for name, v in new.items()}
        sig = m.signals.index(r.signal) if r.signal else len(m.signals)
        return (nst, stored, r.send is not None, seg, idx, sig, range_ok, bool(r.choose))

    def _merge(self, cond, a, b):
        nst = ite(cond, a[0], b[0])
        fields = {k: ite(cond, a[1][k], b[1][k]) for k in a[1]}
        send = ite(cond, a[2], b[2])
        seg = {k: ite(cond, a[3][k], b[3][k]) for k in a[3]}
        rule = ite(cond, z3.BitVecVal(a[4], self.rule_bits), self._bv(b[4], self.rule_bits))
        sig = ite(cond, z3.BitVecVal(a[5], self.sig_bits), self._bv(b[5], self.sig_bits))
        return (nst, fields, send, seg, rule, sig, ite(cond, a[6], b[6]), ite(cond, a[7], b[7]))

    @staticmethod
    def _bv(v, w):
        return z3.BitVecVal(v, w) if isinstance(v, int) else v

    def classify(self, seg: dict):
        """The segment event of an arriving segment (first matching [classify] entry)."""
        m = self.m
        base = self._scope(("classify",), lambda: m.scope(what="[classify]"))
        # the explicit engine classifies with a zero local state
        zeros = {"state": z3.BitVecVal(0, self.lay.st_bits)}
        for f in self.lay.fields:
            zeros[f.name] = (z3.BoolVal(False) if f.kind == "bool" else
                             z3.BitVecVal(0, self.lay.k if f.kind == "seq" else INT_BITS))
        env = dict(zeros, **self.seg_values(seg), msl_expired=z3.BoolVal(False))
        out = z3.BitVecVal(self.n_events, self.ev_bits)  # unreachable: classify is complete
        for ev, t in reversed(m.spec.classify):
            out = z3.If(self.compile(base, env, t.node, E.BOOL),
                        z3.BitVecVal(m.event_index[ev], self.ev_bits), out)
        return out

    # ---------------------------------------------------------- the composed step

    def step(self, s: State, c: Choice, canonical: bool = True) -> Step:
        """One step from ``s`` under choice ``c``.  ``canonical`` pins the choices an action
        does not use to 0, so each explicit transition is one Z3 step (BMC then has fewer
        equivalent runs to refute); ``enabled`` leaves them free."""
        sys_, lay = self.system, self.lay
        is_ = [_is(c.kind, k) for k in range(len(KINDS))]
        ep = or_(is_[CALL], is_[RCV], is_[TIMER])
        side = c.side
        on = [_is(side, 0), _is(side, 1)]
        pre = {k: mux(side, [s.local[0][k], s.local[1][k]]) for k in s.local[0]}
        inc = mux(side, s.inc)
        st = pre["state"]
        at_initial = st == lay.initial
        chan_in = _mux_chan(side, [s.chan[1], s.chan[0]])
        chan_out = _mux_chan(side, s.chan)
        seg = {k: mux(c.slot, [sl[k] for sl in chan_in.slots]) for k in SEG_KEYS}
        ev = ite(is_[RCV], self.classify(seg), c.ev) if is_[RCV] is not False else c.ev
        msl = ite(is_[CALL], False, mux(side, [self.msl_expired(s, 0), self.msl_expired(s, 1)]))
        r = self.react(pre, ev, seg, msl, c.isn)

        changed = or_(r.state != st, *[_neq(r.fields[k], pre[k]) for k in r.fields])
        leaving = and_(at_initial, r.state != lay.initial)
        inc_ok = or_(not_(leaving), z3.ULT(inc, sys_.max_inc))
        inc_new = ite(leaving, inc + 1, inc)
        peer = [s.local[1], s.local[0]]
        peer_st = mux(side, [p["state"] for p in peer])
        peer_inc = mux(side, [s.inc[1], s.inc[0]])
        sent = dict(r.seg, stag=inc_new,
                    rtag=ite(peer_st == lay.initial, z3.BitVecVal(0, lay.tag_bits), peer_inc))

        # the channels: removal (arrival or loss), purge, the endpoint's send, duplication
        chans = []
        room = []
        for ci, ch in enumerate(s.chan):
            sender, receiver = ci, 1 - ci
            removing = or_(and_(is_[RCV], on[receiver]), and_(is_[LOSS], on[sender]))
            ch1 = _select(removing, _remove(ch, c.slot, lay), ch)
            if not sys_.old_segments:
                purging = and_(ep, leaving)
                # A's incarnation is the sender tag on A->B and the receiver tag on B->A
                a_tag, b_tag = ("stag", "rtag") if ci == 0 else ("rtag", "stag")

                def keep(sl, a_tag=a_tag, b_tag=b_tag):
                    return ite(on[0], z3.UGE(sl[a_tag], inc_new), z3.UGE(sl[b_tag], inc_new))
                ch1 = _select(purging, _compact(ch1, keep, lay), ch1)
            has_room = z3.ULT(ch1.length, lay.cap)
            room.append(has_room)
            sending = and_(ep, on[sender], r.send, has_room)
            add = _append(ch1, sent) if sys_.fifo else _insert_sorted(ch1, sent)
            ch2 = _select(sending, add, ch1)
            # a copy goes right behind the original: FIFO order, and a sorted bag stays sorted
            dup_slot = {k: mux(c.slot, [sl[k] for sl in ch.slots]) for k in SEG_KEYS}
            dup = _insert_after(ch, c.slot, dup_slot)
            chans.append(_select(and_(is_[DUP], on[sender]), dup, ch2))
        overflow = and_(r.send, not_(mux(side, room)))

        # enabledness
        call_ok = mux(side, [self._call_ok(s, x, c.ev, r, changed) for x in (0, 1)])
        quiet = and_(_is(chan_in.length, 0), not_(self.in_flight(chan_out, r.seg)))
        timer_ok = and_(self._ev_among(c.ev, self.timers), or_(changed, r.send),
                        or_(changed, sys_.spurious_rto, quiet))
        used = z3.ULT(c.slot, chan_in.length)
        # FIFO: the head; bag: the first copy of each distinct segment, like dict.fromkeys
        rcv_ok = and_(used, _is(c.slot, 0)) if sys_.fifo else and_(used, self._first(chan_in, c.slot))
        isn_ok = self._isn_ok(side, c.isn, is_, inc, at_initial)
        if canonical:
            isn_ok = ite(r.chooses, isn_ok, _is(c.isn, 0))
        ep_ok = and_(r.range_ok, inc_ok, isn_ok, or_(sys_.overflow_drop, not_(overflow)))
        out_used = and_(z3.ULT(c.slot, chan_out.length), self._first(chan_out, c.slot))
        loss_ok = out_used
        if sys_.loss_bound is not None:
            loss_ok = and_(loss_ok, z3.ULT(s.loss, sys_.loss_bound))
        dup_ok = and_(out_used, z3.ULT(s.dup, sys_.dup_bound), z3.ULT(chan_out.length, lay.cap))
        crash_ok = and_(z3.ULT(s.crash, sys_.crash_bound), not_(at_initial),
                        or_(*[on[x] for x in sys_.crash_sides]))
        guard = or_(and_(ep_ok, or_(and_(is_[CALL], call_ok), and_(is_[RCV], rcv_ok),
                                    and_(is_[TIMER], timer_ok))),
                    and_(is_[LOSS], loss_ok), and_(is_[DUP], dup_ok), and_(is_[CRASH], crash_ok))
        if canonical:
            net = or_(is_[LOSS], is_[DUP], is_[CRASH])
            guard = and_(guard, or_(is_[CALL], is_[TIMER], _is(c.ev, 0)),
                         or_(is_[RCV], is_[LOSS], is_[DUP], _is(c.slot, 0)),
                         or_(not_(net), _is(c.isn, 0)))

        # the next state
        nxt_local, pcs, incs = [], [], []
        dflt = lay.default_local()
        for x in (0, 1):
            mine = and_(ep, on[x])
            crashed = and_(is_[CRASH], on[x])
            nxt_local.append({k: ite(mine, r.state if k == "state" else r.fields[k],
                                     ite(crashed, dflt[k], s.local[x][k])) for k in s.local[x]})
            pc = s.pc[x]
            script = sys_.scripts[x]
            if script is not None:
                restart = 0 if sys_.crash_restart else len(script)
                pc = ite(and_(is_[CALL], on[x]), pc + 1, ite(crashed, _bv(restart, pc), pc))
            pcs.append(pc)
            incs.append(ite(and_(mine, leaving), s.inc[x] + 1, s.inc[x]))
        loss = ite(is_[LOSS], s.loss + 1, s.loss) if sys_.loss_bound is not None else s.loss
        nxt = State(nxt_local, pcs, incs, loss, ite(is_[DUP], s.dup + 1, s.dup),
                    ite(is_[CRASH], s.crash + 1, s.crash), chans)
        stale = and_(is_[RCV], z3.ULT(0, seg["rtag"]), z3.ULT(seg["rtag"], inc))
        return Step(guard, nxt, c, is_, r, ev, stale, seg)

    def msl_expired(self, s: State, side: int):
        """No segment of ``side``'s current incarnation is in flight (either direction)."""
        inc = s.inc[side]
        out, inn = s.chan[side], s.chan[1 - side]
        busy = [z3.And(z3.ULT(i, out.length), sl["stag"] == inc) for i, sl in enumerate(out.slots)]
        busy += [z3.And(z3.ULT(i, inn.length), sl["rtag"] == inc) for i, sl in enumerate(inn.slots)]
        return z3.Not(z3.Or(busy))

    def in_flight(self, ch: Chan, seg: dict):
        """The rule-visible segment ``seg`` is in channel ``ch``."""
        keys = ("seq", "ack", "flags", "data")
        return z3.Or([z3.And(z3.ULT(i, ch.length), *[sl[k] == seg[k] for k in keys])
                      for i, sl in enumerate(ch.slots)])

    def _first(self, ch: Chan, slot):
        """``slot`` holds the first copy of its segment: the explicit engine acts on distinct
        segments (``dict.fromkeys``) and FIFO loss and duplication on the first copy."""
        terms = []
        for j in range(len(ch.slots)):
            earlier = [z3.And(*[ch.slots[i][k] == ch.slots[j][k] for k in SEG_KEYS])
                       for i in range(j)]
            terms.append(and_(_is(slot, j), not_(or_(*earlier))))
        return or_(*terms)

    def _ev_among(self, ev, events):
        if isinstance(ev, int):
            return ev in events
        return or_(*[ev == e for e in events])

    def _call_ok(self, s: State, x: int, ev, r: Reaction, changed):
        script = self.system.scripts[x]
        if script is None:
            # under "any", a call that changes nothing is not a step
            return and_(self._ev_among(ev, self.user), or_(changed, r.send))
        m = self.machines[x]
        pc = s.pc[x]
        opts = []
        for i, step in enumerate(script):
            ok = and_(_is(pc, i), _is(ev, step.event))
            if step.when_node is not None and ok is not False:
                base = self._scope(("script", x), lambda: script_scope(m))
                env = self.local_values(s.local[x]["state"], self.expr_fields(s.local[x]))
                env["peer.state"] = s.local[1 - x]["state"]
                ok = and_(ok, self.compile(base, env, step.when_node, E.BOOL))
            opts.append(ok)
        return or_(*opts)

    def _isn_ok(self, side, isn, is_, inc, at_initial):
        """The chosen ISS is one the acting machine may pick for this incarnation."""
        opts = []
        for x in (0, 1):
            choices = self.machines[x].iss_choices
            if len(choices) == 1 and len(choices[0]) == self.lay.n:
                opts.append(self._isn_in(isn, choices[0]))
                continue
            # the list entry: min(inc, L) - 1 (Python's index -1 is the last), inc after a call
            inc_call = ite(at_initial, inc + 1, inc)
            opts.append(or_(and_(is_[CALL], self._isn_entry(isn, choices, inc_call)),
                            and_(is_[RCV], self._isn_entry(isn, choices, inc)),
                            and_(is_[TIMER], self._isn_in(isn, choices[0]))))
        return mux(side, opts)

    def _isn_entry(self, isn, choices, inc):
        """isn is in the list entry for incarnation ``inc``: min(inc, L) - 1, where Python's
        index -1 is the last entry (``EndpointMachine.react``)."""
        n = len(choices)
        return or_(*[and_(_is(inc, v), self._isn_in(isn, choices[(min(v, n) - 1) % n if n > 1 else 0]))
                     for v in range(self.system.max_inc + 2)])

    def _isn_in(self, isn, values):
        if len(values) == self.lay.n:
            return True if self.sorts.pow2 else z3.ULT(isn, self.lay.n)
        if isinstance(isn, int):
            return isn in values
        return or_(*[isn == v for v in values])

    # ---------------------------------------------------------- terminal states

    def instances(self):
        """Every concrete (kind, side, event, slot) an action can have."""
        lay = self.lay
        slots = [0] if self.system.fifo else list(range(lay.cap))
        for side in (0, 1):
            for ev in self.user:
                yield CALL, side, ev, 0
            for ev in self.timers:
                yield TIMER, side, ev, 0
            for j in slots:
                yield RCV, side, 0, j
            for j in range(lay.cap):
                yield LOSS, side, 0, j
                yield DUP, side, 0, j
            yield CRASH, side, 0, 0

    def enabled(self, s: State, prefix: str = "en"):
        """Some action is enabled in ``s``: the symbolic guard, instantiated with each concrete
        (kind, side, event, slot) and simplified, with the ISS choice existential."""
        c = self.choice(f"{prefix}_")
        g = as_bool(self.step(s, c, canonical=False).guard)
        out = []
        for kind, side, ev, slot in self.instances():
            gi = z3.simplify(z3.substitute(g, (c.kind, z3.BitVecVal(kind, c.kind.size())),
                                           (c.side, z3.BitVecVal(side, 1)),
                                           (c.ev, z3.BitVecVal(ev, c.ev.size())),
                                           (c.slot, z3.BitVecVal(slot, c.slot.size()))))
            if z3.is_false(gi):
                continue
            out.append(self._exists_isn(gi, c.isn, side))
        return or_(*out)

    def _exists_isn(self, g, isn, side):
        if not _mentions(g, isn):
            return g
        values = sorted({v for ch in self.machines[side].iss_choices for v in ch})
        if len(values) <= 16:
            return or_(*[z3.substitute(g, (isn, z3.BitVecVal(v, self.lay.k))) for v in values])
        return z3.Exists([isn], g)

    def terminal(self, s: State):
        return as_bool(not_(self.enabled(s)))


# ------------------------------------------------------------------ channel operations

def _is(x, v):
    if isinstance(x, int):
        return x == v
    return x == v


def _neq(a, b):
    return a != b


def _bv(v, like):
    return z3.BitVecVal(v, like.size())


def _mux_chan(sel, chans) -> Chan:
    return Chan(mux(sel, [c.length for c in chans]),
                [{k: mux(sel, [c.slots[i][k] for c in chans]) for k in SEG_KEYS}
                 for i in range(len(chans[0].slots))])


def _select(cond, a: Chan, b: Chan) -> Chan:
    if cond is True:
        return a
    if cond is False:
        return b
    return Chan(z3.If(cond, a.length, b.length),
                [{k: z3.If(cond, x[k], y[k]) for k in SEG_KEYS} for x, y in zip(a.slots, b.slots)])


def _remove(ch: Chan, j, lay) -> Chan:
    """Drop slot j and shift the rest down (keeps FIFO order; a bag does not mind)."""
    zero = lay.zero_seg()
    old = ch.slots + [zero]
    slots = [{k: ite(_lt(i, j), old[i][k], old[i + 1][k]) for k in SEG_KEYS}
             for i in range(len(ch.slots))]
    return Chan(ch.length - 1, slots)


def _lt(i: int, j):
    if isinstance(j, int):
        return i < j
    return z3.ULT(i, j) if i < (1 << j.size()) else False


def _insert_sorted(ch: Chan, seg: dict) -> Chan:
    """Insert into a sorted bag (``tuple(sorted(ch + (x,)))``)."""
    kx = slot_key(seg)
    below = [z3.And(z3.ULT(i, ch.length), z3.ULE(slot_key(sl), kx)) for i, sl in enumerate(ch.slots)]
    slots = []
    for i, sl in enumerate(ch.slots):
        here = True if i == 0 else below[i - 1]
        prev = ch.slots[i - 1] if i > 0 else sl
        slots.append({k: ite(below[i], sl[k], ite(here, seg[k], prev[k])) for k in SEG_KEYS})
    return Chan(ch.length + 1, slots)


def _append(ch: Chan, seg: dict) -> Chan:
    slots = [{k: ite(ch.length == i, seg[k], sl[k]) for k in SEG_KEYS} for i, sl in enumerate(ch.slots)]
    return Chan(ch.length + 1, slots)


def _insert_after(ch: Chan, j, seg: dict) -> Chan:
    old = ch.slots
    slots = []
    for i in range(len(old)):
        prev = old[i - 1] if i > 0 else old[0]
        slots.append({k: ite(_lt(i, j + 1) if isinstance(j, int) else z3.ULE(i, j),
                             old[i][k],
                             ite(_is(j, i - 1) if i > 0 else False, seg[k], prev[k]))
                      for k in SEG_KEYS})
    return Chan(ch.length + 1, slots)


def _compact(ch: Chan, keep, lay) -> Chan:
    """Keep the slots satisfying ``keep``, in order, packed to the front."""
    w = lay.len_bits
    kept = [z3.And(z3.ULT(i, ch.length), keep(sl)) for i, sl in enumerate(ch.slots)]
    pos = []
    count = z3.BitVecVal(0, w)
    for kp in kept:
        pos.append(count)
        count = count + z3.If(kp, z3.BitVecVal(1, w), z3.BitVecVal(0, w))
    zero = lay.zero_seg()
    slots = []
    for out_i in range(len(ch.slots)):
        acc = zero
        for i in range(len(ch.slots) - 1, -1, -1):
            hit = z3.And(kept[i], pos[i] == out_i)
            acc = {k: z3.If(hit, ch.slots[i][k], acc[k]) for k in SEG_KEYS}
        slots.append(acc)
    return Chan(count, slots)


def _mentions(term, var) -> bool:
    seen = set()
    todo = [term]
    while todo:
        t = todo.pop()
        if t.get_id() in seen:
            continue
        seen.add(t.get_id())
        if z3.is_const(t) and t.eq(var):
            return True
        todo.extend(t.children())
    return False
