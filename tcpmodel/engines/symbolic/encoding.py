"""The composed system as Z3 constraints, compiled from the same rule and check data as the
explicit engine (``endpoint.py`` and ``system.py`` are the reference semantics).

A step is one action chosen by a few choice variables (:class:`Choice`: kind, side, event, slot,
ISS); the next state is a function of the state and the choice, stated once per component
(frame conditions included), and ``guard`` says whether the choice is an enabled action.
One reaction circuit per step serves every endpoint action: the acting side's local state,
the event and the arriving segment are multiplexed into it.

``terminal`` (no action enabled) enumerates the finitely many concrete action instances; with
concrete choices the same code folds to a small term (see the helpers in ``state``).
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from ... import expr as E
from ...check import script_scope
from . import channels as C
from .exprs import Sorts
from .reactions import EncodingError, Reaction, Reactor
from .state import SEG_KEYS, Chan, Layout, State, and_, as_bool, ite, mux, not_, or_

__all__ = ["Choice", "Encoding", "EncodingError", "Step"]

KINDS = ("call", "rcv", "timer", "loss", "dup", "crash")  # the order of props' step.kind enum
CALL, RCV, TIMER, LOSS, DUP, CRASH = range(len(KINDS))


@dataclass
class Choice:
    kind: object
    side: object
    ev: object
    slot: object
    isn: object


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
        self.rx = rx = Reactor(self.lay)
        self.n_events, self.ev_bits = rx.n_events, rx.ev_bits
        self.rule_bits, self.sig_bits = rx.rule_bits, rx.sig_bits
        self.user = list(m.user_events)
        self.timers = list(m.timer_events)
        self.round_trip = sorted(m.round_trip)

    def seg_values(self, seg: dict) -> dict:
        return self.rx.seg_values(seg)

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
        chan_in = C.mux_chan(side, [s.chan[1], s.chan[0]])
        chan_out = C.mux_chan(side, s.chan)
        seg = {k: mux(c.slot, [sl[k] for sl in chan_in.slots]) for k in SEG_KEYS}
        ev = ite(is_[RCV], self.rx.classify(seg), c.ev) if is_[RCV] is not False else c.ev
        msl = ite(is_[CALL], False, mux(side, [self.msl_expired(s, 0), self.msl_expired(s, 1)]))
        r = self.rx.react(pre, ev, seg, msl, c.isn)

        changed = or_(r.state != st, *[r.fields[k] != pre[k] for k in r.fields])
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
            ch1 = C.select(removing, C.remove(ch, c.slot, lay), ch)
            if not sys_.old_segments:
                purging = and_(ep, leaving)
                # A's incarnation is the sender tag on A->B and the receiver tag on B->A
                a_tag, b_tag = ("stag", "rtag") if ci == 0 else ("rtag", "stag")

                def keep(sl, a_tag=a_tag, b_tag=b_tag):
                    return ite(on[0], z3.UGE(sl[a_tag], inc_new), z3.UGE(sl[b_tag], inc_new))
                ch1 = C.select(purging, C.compact(ch1, keep, lay), ch1)
            has_room = z3.ULT(ch1.length, lay.cap)
            room.append(has_room)
            sending = and_(ep, on[sender], r.send, has_room)
            add = C.append(ch1, sent) if sys_.fifo else C.insert_sorted(ch1, sent)
            ch2 = C.select(sending, add, ch1)
            # a copy goes right behind the original: FIFO order, and a sorted bag stays sorted
            dup_slot = {k: mux(c.slot, [sl[k] for sl in ch.slots]) for k in SEG_KEYS}
            dup = C.insert_after(ch, c.slot, dup_slot)
            chans.append(C.select(and_(is_[DUP], on[sender]), dup, ch2))
        overflow = and_(r.send, not_(mux(side, room)))

        # enabledness
        call_ok = mux(side, [self._call_ok(s, x, c.ev, r, changed) for x in (0, 1)])
        # the resend is not in flight (a firing that sends nothing, as giving up, waits for
        # every SYN, FIN or data this endpoint sent), nor news for this endpoint
        own = or_(*[and_(z3.ULT(i, chan_out.length), sl["stag"] == inc,
                         z3.Or(z3.Extract(0, 0, sl["flags"]) == 1,
                               z3.Extract(2, 2, sl["flags"]) == 1, sl["data"] == 1))
                    for i, sl in enumerate(chan_out.slots)])
        quiet = and_(not_(ite(r.send, self.in_flight(chan_out, r.seg), own)),
                     not_(self.news_in_flight(pre, chan_in, msl)))
        # a timer waits a round trip when its firing changes nothing but a resend, or when it
        # is a round-trip timer ([events] round_trip: the retransmission timer counting retries)
        waits = not_(and_(changed, not_(self._ev_among(c.ev, self.round_trip))))
        timer_ok = and_(self._ev_among(c.ev, self.timers), or_(changed, r.send),
                        or_(not_(waits), sys_.spurious_rto, quiet))
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

    def news_in_flight(self, pre: dict, chan_in: Chan, msl):
        """Some segment on its way in would change the endpoint on arrival (``System.
        _news_in_flight``): the reaction circuit, once per inbound slot."""
        st = pre["state"]
        out = []
        for j, sl in enumerate(chan_in.slots):
            seg = {k: sl[k] for k in SEG_KEYS}
            r = self.rx.react(pre, self.rx.classify(seg), seg, msl, z3.BitVecVal(0, self.lay.k))
            changed = or_(r.state != st, *[r.fields[k] != pre[k] for k in r.fields])
            out.append(and_(z3.ULT(j, chan_in.length), changed))
        return or_(*out)

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
                rx = self.rx
                base = rx.scope(("script", x), lambda: script_scope(m))
                env = rx.local_values(s.local[x]["state"], rx.expr_fields(s.local[x]))
                env["peer.state"] = s.local[1 - x]["state"]
                ok = and_(ok, rx.compile(base, env, step.when_node, E.BOOL))
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


def _bv(v, like):
    return z3.BitVecVal(v, like.size())


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
