"""The composed system's state as a vector of Z3 bit-vectors, and its link to explicit states.

One :class:`State` holds, like the explicit tuple (see ``system.py``): per endpoint its TCP
state, TCB fields, script position and incarnation; the fault counters; and per channel a
length and ``capacity`` slots.  A slot is a segment (seq, ack, flags, data) plus its ghost tag
(sender's and receiver's incarnation when sent).  Slots at or past the length are all zero and
a bag channel's slots are kept sorted like the explicit engine's tuple, so each explicit state
has exactly one vector: BMC does not re-explore the same multiset in another order, and
:meth:`Layout.decode` and :meth:`Layout.equals` are plain slot-by-slot maps.

Small helpers at the top fold Python booleans, so the same code builds a symbolic step (every
choice a variable) and, for ``terminal``, each concrete action instance (choices as ints).
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from ... import expr as E
from ...endpoint import FLAG_BIT
from .exprs import Sorts, bits_for

SEG_KEYS = ("seq", "ack", "flags", "data", "stag", "rtag")
ACK_BIT = FLAG_BIT["ACK"]


# ------------------------------------------------------------------ folding helpers

def _fold(xs, unit: bool, make):
    """Conjunction (unit True) or disjunction (unit False) with Python booleans folded away."""
    out = []
    for x in xs:
        if x is unit:
            continue
        if x is (not unit):
            return not unit
        out.append(x)
    if not out:
        return unit
    return out[0] if len(out) == 1 else make(out)


def and_(*xs):
    return _fold(xs, True, z3.And)


def or_(*xs):
    return _fold(xs, False, z3.Or)


def not_(x):
    return (not x) if isinstance(x, bool) else z3.Not(x)


def ite(c, a, b):
    if c is True:
        return a
    if c is False:
        return b
    if isinstance(a, bool):
        a = z3.BoolVal(a)
    if isinstance(b, bool):
        b = z3.BoolVal(b)
    return z3.If(c, a, b)


def mux(sel, items):
    """items[sel] for an int or a term selector (the last item is the default)."""
    if isinstance(sel, int):
        return items[sel]
    out = items[-1]
    for i in range(len(items) - 2, -1, -1):
        out = ite(sel == i, items[i], out)
    return out


def slot_key(seg: dict):
    """Sort key of a slot: lexicographic in SEG_KEYS order = the explicit engine's code order."""
    return z3.Concat(*[seg[k] for k in SEG_KEYS])


def below(x, bound: int):
    """x < bound for a bit-vector x (a bound past its range would wrap, so it is folded)."""
    return z3.BoolVal(True) if bound >= 1 << x.size() else z3.ULT(x, bound)


def as_bool(x):
    return z3.BoolVal(x) if isinstance(x, bool) else x


# ------------------------------------------------------------------ the state vector

@dataclass
class Chan:
    length: object
    slots: list          # list of dicts with SEG_KEYS

    def terms(self) -> list:
        return [self.length] + [s[k] for s in self.slots for k in SEG_KEYS]


@dataclass
class State:
    local: list          # per side: {"state": term, field: term}; range fields hold value - lo
    pc: list
    inc: list
    loss: object
    dup: object
    crash: object
    chan: list           # [A->B, B->A]

    def terms(self) -> list:
        out = []
        for side in (0, 1):
            out += list(self.local[side].values()) + [self.pc[side], self.inc[side]]
        out += [self.loss, self.dup, self.crash]
        for c in self.chan:
            out += c.terms()
        return out


def _count(bound: int | None) -> int:
    return 1 if not bound else bound + 1


class Layout:
    """Bit widths of every state component, from the system's parameters."""

    def __init__(self, system):
        if system.attacker is not None:
            from ...errors import InputError
            raise InputError("the z3 engine does not model the attacker", where="--engine",
                             fix="use the explicit engine (tcpmodel check, scenario or attack) "
                                 "for a check with an attacker")
        self.system = system
        self.machines = system.machines
        m = system.machines[0]
        self.sorts = Sorts(m.n)
        self.n = m.n
        self.k = self.sorts.seq_bits
        self.state_enum = m.state_enum
        self.st_bits = self.sorts.width(m.state_enum)
        self.fields = m.fields
        self.field_bits = {f.name: bits_for(f.size) for f in m.fields if f.kind == "range"}
        self.cap = system.cap
        self.len_bits = bits_for(self.cap + 1)
        self.slot_bits = self.len_bits  # slot indices compare with lengths
        self.tag_bits = bits_for(system.max_inc + 1)
        self.inc_bits = self.tag_bits
        self.pc_len = [len(sc) if sc is not None else 0 for sc in system.scripts]
        self.pc_bits = [bits_for(n + 1) for n in self.pc_len]
        self.loss_bits = bits_for(_count(system.loss_bound))
        self.dup_bits = bits_for(_count(system.dup_bound))
        self.crash_bits = bits_for(_count(system.crash_bound))
        self.seg_bits = {"seq": self.k, "ack": self.k, "flags": 4, "data": 1,
                         "stag": self.tag_bits, "rtag": self.tag_bits}
        self.initial = m.initial
        self.clear = sorted(m.clear)

    # ---------------------------------------------------------- building states

    def fresh(self, prefix: str) -> State:
        bv = z3.BitVec

        def local(side):
            d = {"state": bv(f"{prefix}{side}_state", self.st_bits)}
            for f in self.fields:
                name = f"{prefix}{side}_{f.name}"
                d[f.name] = (z3.Bool(name) if f.kind == "bool" else
                             bv(name, self.k if f.kind == "seq" else self.field_bits[f.name]))
            return d

        def chan(c):
            return Chan(bv(f"{prefix}ch{c}_len", self.len_bits),
                        [{key: bv(f"{prefix}ch{c}_{i}_{key}", w) for key, w in self.seg_bits.items()}
                         for i in range(self.cap)])

        return State([local(0), local(1)],
                     [bv(f"{prefix}{s}_pc", self.pc_bits[s]) for s in (0, 1)],
                     [bv(f"{prefix}{s}_inc", self.inc_bits) for s in (0, 1)],
                     bv(f"{prefix}loss", self.loss_bits), bv(f"{prefix}dup", self.dup_bits),
                     bv(f"{prefix}crash", self.crash_bits), [chan(0), chan(1)])

    def default_local(self) -> dict:
        d = {"state": z3.BitVecVal(self.initial, self.st_bits)}
        for f in self.fields:
            d[f.name] = (z3.BoolVal(False) if f.kind == "bool" else
                         z3.BitVecVal(0, self.k if f.kind == "seq" else self.field_bits[f.name]))
        return d

    def zero_seg(self) -> dict:
        return {key: z3.BitVecVal(0, w) for key, w in self.seg_bits.items()}

    def equal(self, s: State, t: State):
        return z3.And([a == b for a, b in zip(s.terms(), t.terms())])

    def init(self, s: State):
        init = State([self.default_local(), self.default_local()],
                     [z3.BitVecVal(0, self.pc_bits[x]) for x in (0, 1)],
                     [z3.BitVecVal(0, self.inc_bits)] * 2,
                     z3.BitVecVal(0, self.loss_bits), z3.BitVecVal(0, self.dup_bits),
                     z3.BitVecVal(0, self.crash_bits),
                     [Chan(z3.BitVecVal(0, self.len_bits), [self.zero_seg()] * self.cap)] * 2)
        return self.equal(s, init)

    # ---------------------------------------------------------- reading fields

    def field_value(self, local: dict, name: str):
        """A TCB field as an expression value (range fields as INT)."""
        f = self.fields[self.machines[0].field_index[name]]
        v = local[name]
        if f.kind == "range":
            return z3.ZeroExt(self.sorts.int_bits - self.field_bits[name], v) + f.lo
        return v

    def field_type(self, name: str):
        f = self.fields[self.machines[0].field_index[name]]
        return E.SEQ if f.kind == "seq" else E.BOOL if f.kind == "bool" else E.INT

    # ---------------------------------------------------------- well-formedness

    def wellformed(self, s: State):
        """Facts every reachable state has by construction (checked inductive by the prover):
        values in range, unused slots zero, a deleted TCB in CLOSED/LISTEN, and only segments
        the rules can send."""
        sys_ = self.system
        out = []
        shapes = sorted({(sum(FLAG_BIT[f] for f in r.send.flags), r.send.data)
                         for r in self.machines[0].rules if r.send})
        for side in (0, 1):
            loc = s.local[side]
            out.append(z3.ULT(loc["state"], len(self.state_enum.values)))
            for f in self.fields:
                if f.kind == "range":
                    out.append(below(loc[f.name], f.size))
                elif f.kind == "seq" and not self.sorts.pow2:
                    out.append(z3.ULT(loc[f.name], self.n))
            cleared = z3.Or([loc["state"] == c for c in self.clear] + [z3.BoolVal(False)])
            dflt = self.default_local()
            out.append(z3.Implies(cleared, z3.And([loc[f.name] == dflt[f.name]
                                                    for f in self.fields] + [z3.BoolVal(True)])))
            out.append(z3.ULE(s.pc[side], self.pc_len[side]))
            out.append(z3.ULE(s.inc[side], sys_.max_inc))
        out.append(z3.ULE(s.loss, sys_.loss_bound or 0))
        out.append(z3.ULE(s.dup, sys_.dup_bound))
        out.append(z3.ULE(s.crash, sys_.crash_bound))
        zero = self.zero_seg()
        for ch in s.chan:
            out.append(z3.ULE(ch.length, self.cap))
            if not sys_.fifo:
                out += [z3.Implies(z3.ULT(i + 1, ch.length), z3.ULE(slot_key(a), slot_key(b)))
                        for i, (a, b) in enumerate(zip(ch.slots, ch.slots[1:]))]
            for i, slot in enumerate(ch.slots):
                used = z3.ULT(i, ch.length)
                ok = [z3.Or([z3.And(slot["flags"] == fl, slot["data"] == dt) for fl, dt in shapes]),
                      z3.ULE(slot["stag"], sys_.max_inc), z3.ULE(slot["rtag"], sys_.max_inc),
                      z3.Implies(slot["flags"] & ACK_BIT == 0, slot["ack"] == 0)]
                if not self.sorts.pow2:
                    ok += [z3.ULT(slot["seq"], self.n), z3.ULT(slot["ack"], self.n)]
                out.append(z3.If(used, z3.And(ok), z3.And([slot[k] == zero[k] for k in SEG_KEYS])))
        return z3.And(out)

    # ---------------------------------------------------------- explicit states

    def full_code(self, vals: dict) -> int:
        """The explicit engine's code for a segment with its ghost tag."""
        sys_ = self.system
        segr = self.machines[0].seg.pack(vals["seq"], vals["ack"], vals["flags"], vals["data"])
        return (segr * sys_.g1 + vals["stag"]) * sys_.g1 + vals["rtag"]

    def decode(self, model: z3.ModelRef, s: State) -> tuple:
        """The explicit state tuple a model assigns to ``s``."""
        def num(t):
            v = model.eval(t, model_completion=True)
            return z3.is_true(v) if z3.is_bool(v) else v.as_long()

        locs = []
        for side in (0, 1):
            loc = s.local[side]
            vals = [num(loc["state"])]
            for f in self.fields:
                v = num(loc[f.name])
                vals.append(v + f.lo if f.kind == "range" else v)
            locs.append(self.machines[side].encode(tuple(vals)))
        chans = []
        for ch in s.chan:
            n = num(ch.length)
            codes = [self.full_code({k: num(slot[k]) for k in SEG_KEYS}) for slot in ch.slots[:n]]
            chans.append(tuple(codes))  # a bag's slots are kept sorted, like the explicit tuple
        # the last element, the attacker budget used, is 0: the encoding refuses attackers
        return (locs[0], locs[1], num(s.pc[0]), num(s.pc[1]), num(s.inc[0]), num(s.inc[1]),
                num(s.loss), num(s.dup), num(s.crash), chans[0], chans[1], 0)

    def split_code(self, full: int) -> dict:
        segr, sinc, rinc = self.system.split(full)
        seq, ack, flags, data = self.machines[0].seg.unpack(segr)
        return {"seq": seq, "ack": ack, "flags": flags, "data": data, "stag": sinc, "rtag": rinc}

    def equals(self, s: State, x: tuple):
        """``s`` is the explicit state ``x`` (bag channels compared as multisets)."""
        out = []
        for side in (0, 1):
            d = self.machines[side].decode(x[side])
            loc = s.local[side]
            out.append(loc["state"] == d[0])
            for f, v in zip(self.fields, d[1:]):
                if f.kind == "bool":
                    out.append(loc[f.name] == z3.BoolVal(v))
                else:
                    out.append(loc[f.name] == (v - f.lo if f.kind == "range" else v))
            out += [s.pc[side] == x[2 + side], s.inc[side] == x[4 + side]]
        out += [s.loss == x[6], s.dup == x[7], s.crash == x[8]]
        for ch, codes in zip(s.chan, (x[9], x[10])):
            out.append(ch.length == len(codes))
            for slot, code in zip(ch.slots, codes):
                seg = self.split_code(code)
                out += [slot[k] == seg[k] for k in SEG_KEYS]
        return z3.And(out)
