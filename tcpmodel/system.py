"""The composed system: endpoints A and B, one channel per direction, faults and applications.

A global state is a flat tuple (see the ``EA``.. ``ATTACK`` indices)::

    (A local, B local, A script pc, B script pc, A incarnation, B incarnation,
     losses used, duplications used, crashes used, channel A->B, channel B->A,
     attacker budgets used)

The attacker (``attacker.py``: what it may do per direction, within which budgets) drops
or replays segments in flight, and forges segments that reach their receiver at once: a forged
segment is one step of its receiver, with one representative per class of SEQ/ACK values the
receiver's rules tell apart (``forge.py``).  Its steps are never forced, so a state where only
the attacker could act is *terminal* (a run may stop there).

Channels hold segment codes: the rule-visible part (seq, ack, flags, data) times
``ghost_radix`` plus a ghost tag (sender's and receiver's incarnation when it was
sent).  Rules never see the tag; properties (``step.stale``) and the MSL model do.
A bag channel is a sorted tuple (a multiset: any segment may arrive next); a FIFO
channel keeps sending order.

The interface every engine consumes is :meth:`System.initial_states` and
:meth:`System.successors` (the action and the next state), plus ``describe``
helpers used by traces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .attacker import Attacker
from .attacker import resolve as resolve_attacker
from .endpoint import FLAG_BIT, NO_SEG, EndpointMachine, Outcome
from .forge import Forger, patterns
from .params import UNBOUNDED

EA, EB, PCA, PCB, INCA, INCB, LOSS, DUP, CRASH, AB, BA, ATTACK = range(12)
SIDES = ("A", "B")
OUT = (AB, BA)   # channel a side sends on
IN = (BA, AB)    # channel a side receives from
NET_EVENTS = ("loss", "dup", "crash", "drop", "inject", "replay")
ATTACKER_KINDS = ("drop", "inject", "replay")
_DEFAULT = object()


class Action(NamedTuple):
    kind: str            # call, rcv, timer, loss, dup, crash; the attacker's drop, inject, replay
    side: int            # acting endpoint (inject: the receiver); loss/dup/drop/replay: the sender
    event: int           # machine event index (inject: the receiver's segment event), or -1
    seg: int             # segment involved (received, forged, lost, copied), full code, or -1
    out: Outcome | None  # rule outcome for endpoint steps
    sent: int            # full code of the segment sent, or -1
    overflow: bool       # the sent segment did not fit in the channel and was dropped
    stale: bool          # the received segment was sent to an earlier incarnation


@dataclass
class ScriptStep:
    event: int
    call: str
    when: object          # compiled predicate over the local state, or None
    when_text: str | None
    when_node: object = None  # its AST (the Z3 encoder compiles it again)


class System:
    """Two endpoints over two faulty channels; see the module docstring for the state layout."""

    def __init__(self, spec, params: dict, scripts: tuple, attacker: Attacker | None = _DEFAULT,
                 reuse: "System | None" = None):
        """``attacker``: the attacker's interface (default: from the ``attacker`` parameter);
        ``reuse``: a system of the same variant and parameters (differing in a few rules)
        whose compiled rules are taken over (see ``EndpointMachine``)."""
        self.spec = spec
        self.params = params
        a = EndpointMachine(spec, params, "A", reuse=reuse.machines[0] if reuse else None)
        self.machines = (a, EndpointMachine(spec, params, "B", reuse=a))
        self.scripts = scripts  # (list[ScriptStep] | None, ...); None = any user call at any time
        self.cap = params["capacity"]
        self.fifo = params["channel"] == "fifo"
        self.max_inc = params["incarnations"]
        self.g1 = self.max_inc + 1
        self.ghost_radix = self.g1 * self.g1
        loss = params["loss"]
        self.loss_bound = None if loss == UNBOUNDED else loss
        self.dup_bound = params["dup"]
        self.crash_bound = params["crashes"]
        sides = params["crash_sides"]
        self.crash_sides = {"a": (0,), "b": (1,), "both": (0, 1)}[sides]
        self.crash_restart = params["crash_restart"]
        self.old_segments = params["old_segments"]
        self.spurious_rto = params["spurious_rto"]
        self.overflow_drop = params["overflow"] == "drop"
        self.events = self.machines[0].events + NET_EVENTS
        if attacker is _DEFAULT:
            attacker = resolve_attacker(None, params)
        self.attacker = attacker
        self.recovery = bool(attacker and attacker.recovery)
        self.forgers = None
        if attacker and any(p.allows("inject") for p in attacker.powers):
            self.forgers = tuple(Forger(m, attacker.flags, attacker.data, attacker.values)
                                 for m in self.machines)

    # ------------------------------------------------------------ interface

    def initial_states(self) -> list:
        a, b = self.machines
        return [(a.initial_code, b.initial_code, 0, 0, 0, 0, 0, 0, 0, (), (), 0)]

    def successors(self, s: tuple) -> list:
        """Every enabled action with its next state, in a fixed order."""
        out: list = []
        self._endpoint(s, 0, out)
        self._endpoint(s, 1, out)
        self._network(s, out)
        return out

    # ------------------------------------------------------------ endpoint steps

    def _endpoint(self, s: tuple, side: int, out: list) -> None:
        m = self.machines[side]
        code = s[side]
        st = m.state_of(code)
        script = self.scripts[side]
        # the incarnation after a user call: leaving the initial state opens the next one
        inc_after = s[INCA + side] + (st == m.initial)
        if script is None:
            for ev in m.user_events:
                for o in m.react(code, ev, NO_SEG, False, inc_after):
                    if o.code != code or o.send != NO_SEG:
                        self._apply(s, side, "call", ev, o, out)
        else:
            pc = s[PCA + side]
            if pc < len(script):
                step = script[pc]
                other = self.machines[1 - side].state_of(s[1 - side])
                if step.when is None or step.when(m.decode(code) + (other,)):
                    for o in m.react(code, step.event, NO_SEG, False, inc_after):
                        self._apply(s, side, "call", step.event, o, out, pc=pc + 1)
        for ev in m.timer_events:
            msl = (st, ev) in m.uses_msl and self.msl_expired(s, side)
            for o in m.react(code, ev, NO_SEG, msl):
                if o.code == code and o.send == NO_SEG:
                    continue
                if not self.spurious_rto and m.waits_round_trip(code, ev, o) and (
                        (self._in_flight(s[OUT[side]], o.send) if o.send != NO_SEG
                         else self._own_in_flight(s, side))
                        or self._news_in_flight(s, side, code)):
                    # the timer outlasts a round trip: it waits while the original (or, when
                    # it sends nothing, as giving up, any SYN, FIN or data this endpoint sent),
                    # or a segment from the peer that would change this endpoint, is in flight
                    continue
                self._apply(s, side, "timer", ev, o, out)
        chan = s[IN[side]]
        if chan:
            inc = s[INCA + side]
            candidates = chan[:1] if self.fifo else dict.fromkeys(chan)
            for full in candidates:
                segr, ghost = divmod(full, self.ghost_radix)
                rinc = ghost % self.g1
                stale = 0 < rinc < inc
                ev = m.classify(segr)
                msl = (st, ev) in m.uses_msl and self.msl_expired(s, side)
                rest = _remove(chan, full)
                for o in m.react(code, ev, segr, msl, inc):
                    self._apply(s, side, "rcv", ev, o, out, seg=full, chan_in=rest, stale=stale)
        if (self.crash_bound and s[CRASH] < self.crash_bound and side in self.crash_sides
                and st != m.initial):
            n = list(s)
            n[side] = m.initial_code
            n[CRASH] += 1
            if self.scripts[side] is not None:
                n[PCA + side] = 0 if self.crash_restart else len(self.scripts[side])
            out.append((Action("crash", side, -1, -1, None, -1, False, False), tuple(n)))

    def _apply(self, s, side, kind, ev, o: Outcome, out, *, pc=None, seg=-1, chan_in=None,
               stale=False) -> None:
        m = self.machines[side]
        n = list(s)
        n[side] = o.code
        if pc is not None:
            n[PCA + side] = pc
        if chan_in is not None:
            n[IN[side]] = chan_in
        if m.state_of(s[side]) == m.initial and m.state_of(o.code) != m.initial:
            # leaving the initial state opens a new incarnation (bounded)
            if s[INCA + side] >= self.max_inc:
                return
            n[INCA + side] += 1
            if not self.old_segments:
                self._purge(n, side)
        sent = -1
        overflow = False
        if o.send != NO_SEG:
            # ghost tag: sender's incarnation, and the receiver's (0 if it is not open)
            other = 1 - side
            om = self.machines[other]
            rinc = 0 if om.state_of(n[other]) == om.initial else n[INCA + other]
            sent = (o.send * self.g1 + n[INCA + side]) * self.g1 + rinc
            ch = n[OUT[side]]
            if len(ch) < self.cap:
                n[OUT[side]] = self._add(ch, sent)
            elif self.overflow_drop:
                overflow = True  # tail drop, like a full router queue
            else:
                return  # overflow = "block": the step waits until the channel has room
        out.append((Action(kind, side, ev, seg, o, sent, overflow, stale), tuple(n)))

    def _purge(self, n: list, side: int) -> None:
        """Drop every segment of an earlier incarnation of ``side`` (old_segments = false)."""
        inc = n[INCA + side]
        g1 = self.g1
        for ch_i, pos in ((OUT[side], 1), (IN[side], 0)):
            # in OUT the side is the sender (first tag digit), in IN the receiver (second)
            keep = []
            for full in n[ch_i]:
                tag = full % self.ghost_radix
                mine = tag // g1 if pos == 1 else tag % g1
                if mine >= inc:
                    keep.append(full)
            n[ch_i] = tuple(keep)

    def _news_in_flight(self, s: tuple, side: int, code: int) -> bool:
        """Some segment on its way to ``side`` would change its local state on arrival."""
        m = self.machines[side]
        st = m.state_of(code)
        inc = s[INCA + side]
        for full in s[IN[side]]:
            segr = full // self.ghost_radix
            ev = m.classify(segr)
            msl = (st, ev) in m.uses_msl and self.msl_expired(s, side)
            if any(o.code != code for o in m.react(code, ev, segr, msl, inc)):
                return True
        return False

    def _own_in_flight(self, s: tuple, side: int) -> bool:
        """A segment that occupies sequence space (SYN, FIN or data: what is retransmitted),
        sent by the current incarnation of ``side``, is in flight."""
        inc, g1, gr = s[INCA + side], self.g1, self.ghost_radix
        seg = self.machines[side].seg
        return any((full % gr) // g1 == inc and seg.fields(full // gr)[7] > 0
                   for full in s[OUT[side]])

    def _in_flight(self, ch: tuple, segr: int) -> bool:
        gr = self.ghost_radix
        return any(full // gr == segr for full in ch)

    def msl_expired(self, s: tuple, side: int) -> bool:
        """No segment of this incarnation of ``side`` (either direction) is still in flight."""
        inc = s[INCA + side]
        g1, gr = self.g1, self.ghost_radix
        for full in s[OUT[side]]:
            if (full % gr) // g1 == inc:
                return False
        for full in s[IN[side]]:
            if full % g1 == inc:
                return False
        return True

    # ------------------------------------------------------------ network steps

    def _network(self, s: tuple, out: list) -> None:
        if self.loss_bound is None or s[LOSS] < self.loss_bound:
            for side in (0, 1):
                ch = s[OUT[side]]
                for full in dict.fromkeys(ch):
                    n = list(s)
                    n[OUT[side]] = _remove(ch, full)
                    if self.loss_bound is not None:
                        n[LOSS] += 1
                    out.append((Action("loss", side, -1, full, None, -1, False, False), tuple(n)))
        if s[DUP] < self.dup_bound:
            for side in (0, 1):
                ch = s[OUT[side]]
                if len(ch) >= self.cap:
                    continue
                for full in dict.fromkeys(ch):
                    n = list(s)
                    if self.fifo:
                        i = ch.index(full)
                        n[OUT[side]] = ch[:i + 1] + (full,) + ch[i + 1:]
                    else:
                        n[OUT[side]] = self._add(ch, full)
                    n[DUP] += 1
                    out.append((Action("dup", side, -1, full, None, -1, False, False), tuple(n)))

        if self.attacker is not None:
            self._attacker(s, out)

    @property
    def attack_budget(self) -> int | None:
        """The attacker's total budget (None: unbounded; 0: no attacker)."""
        return 0 if self.attacker is None else self.attacker.budget

    @property
    def injectable(self) -> list:
        """Rule-visible codes of every segment the attacker may forge: each of its flag
        patterns (DATA in a pattern, or the interface's ``data``, adds one octet) with every SEQ
        (and every ACK when the pattern has ACK)."""
        if self.forgers is None:
            return []
        seg = self.machines[0].seg
        n = self.params["seq_space"]
        out = []
        for bits, data in patterns(self.attacker.flags, self.attacker.data):
            acks = range(n) if bits & FLAG_BIT["ACK"] else (0,)
            out += [seg.pack(q, a, bits, data) for q in range(n) for a in acks]
        return list(dict.fromkeys(out))

    def _attacker(self, s: tuple, out: list) -> None:
        """Drop or replay a segment in flight, or forge one that reaches its receiver, as the
        attacker's interface and budgets allow."""
        att = self.attacker
        used = s[ATTACK]
        for side in (0, 1):   # direction side: segments from side to 1 - side
            ch = s[OUT[side]]
            if not ch:
                continue
            nd = att.spend(used, side, "drop")
            if nd is not None:
                for full in dict.fromkeys(ch):
                    n = list(s)
                    n[OUT[side]] = _remove(ch, full)
                    n[ATTACK] = nd
                    out.append((Action("drop", side, -1, full, None, -1, False, False), tuple(n)))
            nr = att.spend(used, side, "replay")
            if nr is not None and len(ch) < self.cap:
                for full in dict.fromkeys(ch):
                    n = list(s)
                    n[OUT[side]] = self._add(ch, full)   # a replay is a later send: FIFO tail
                    n[ATTACK] = nr
                    out.append((Action("replay", side, -1, full, None, -1, False, False),
                                tuple(n)))
        if self.forgers is None:
            return
        for target in (0, 1):
            ni = att.spend(used, 1 - target, "inject")
            if ni is None:
                continue
            m = self.machines[target]
            code = s[target]
            st = m.state_of(code)
            inc = s[INCA + target]
            rinc = 0 if st == m.initial else inc
            spent = s[:ATTACK] + (ni,)
            expired = None

            def msl_of(ev, st=st, m=m, target=target):
                nonlocal expired
                if (st, ev) not in m.uses_msl:
                    return False
                if expired is None:
                    expired = self.msl_expired(s, target)
                return expired

            for ch in self.forgers[target].choices(code, msl_of, inc):
                full = ch.segr * self.ghost_radix + rinc   # sender incarnation 0: nobody's
                for o in ch.outcomes:
                    self._apply(spent, target, "inject", ch.event, o, out, seg=full)

    def forged_class(self, pre: tuple, act: Action):
        """The class (``forge.Choice``) of the segment an inject step forged in state ``pre``:
        the values with the same effect (also when the model enumerates every value)."""
        target = act.side
        m = self.machines[target]
        st = m.state_of(pre[target])
        segr = act.seg // self.ghost_radix
        forgers = self.forgers
        if self.attacker.values != "classes":
            if getattr(self, "_class_forgers", None) is None:
                att = self.attacker
                self._class_forgers = tuple(Forger(x, att.flags, att.data) for x in self.machines)
            forgers = self._class_forgers
        return forgers[target].class_of(
            pre[target], lambda ev: (st, ev) in m.uses_msl and self.msl_expired(pre, target),
            pre[INCA + target], segr)

    def _add(self, ch: tuple, full: int) -> tuple:
        if self.fifo:
            return ch + (full,)
        return tuple(sorted(ch + (full,)))

    # ------------------------------------------------------------ descriptions

    def split(self, full: int) -> tuple:
        """(rule-visible segment code, sender incarnation, receiver incarnation)."""
        segr, tag = divmod(full, self.ghost_radix)
        sinc, rinc = divmod(tag, self.g1)
        return segr, sinc, rinc

    def seg_text(self, full: int) -> str:
        return self.machines[0].seg.text(self.split(full)[0])

    def event_name(self, a: Action) -> str:
        if a.kind in NET_EVENTS and a.kind != "inject":
            return a.kind
        return self.machines[a.side].events[a.event]

    def fair_label(self, a: Action):
        """The fairness label of a step: per-segment delivery on a channel, a timer, a script
        step of one side; faults (loss, duplication, crash) are never forced, so None; the
        attacker's steps are never forced either, and labelled so liveness can tell them
        apart (``("attacker", kind)``)."""
        if a.kind in ATTACKER_KINDS:
            if a.kind == "drop" and self.attacker.powers[a.side].observe:
                # an attacker that reads the channel intercepts the segment: for fairness that
                # stands for its delivery (Korg's attacker owns the channel), unlike a blind loss
                return ("attacker", "drop", ("deliver_ab" if a.side == 0 else "deliver_ba",
                                             a.seg // self.ghost_radix))
            return ("attacker", a.kind)
        if a.kind == "rcv":
            return ("deliver_ba" if a.side == 0 else "deliver_ab", a.seg // self.ghost_radix)
        if a.kind == "timer":
            return ("timer_" + "ab"[a.side], self.machines[a.side].events[a.event])
        if a.kind == "call":
            return ("user_" + "ab"[a.side], None)
        return None

    def fair_request(self, a: Action):
        """The delivery a step asks for by sending a segment (even one dropped at a full
        channel): strong fairness then means a segment sent forever is delivered forever."""
        if a.sent < 0:
            return None
        return ("deliver_ab" if a.side == 0 else "deliver_ba", a.sent // self.ghost_radix)

    def rule_id(self, a: Action) -> str | None:
        return self.machines[a.side].rules[a.out.rule].id if a.out else None


def _remove(ch: tuple, full: int) -> tuple:
    i = ch.index(full)
    return ch[:i] + ch[i + 1:]
