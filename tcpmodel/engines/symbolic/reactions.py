"""One endpoint's reaction to an event, compiled from the rule file into Z3 terms.

The same rules, in the same order, as ``EndpointMachine``: for the (state, event) of the step
the first rule whose ``when`` holds fires; ``set`` reads the state before the rule (all at once),
``next`` and ``send`` read the state after it, entering a ``clear_on_entry`` state deletes the
TCB.  State and event may be terms (one circuit serves every action of a step) or ints (an
action instance: rules for other events are left out while building).
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from ... import expr as E
from ...endpoint import FLAG_BIT
from ...system import NET_EVENTS
from .exprs import Z3Compiler, Z3Scope, bits_for
from .state import Layout, and_, ite, or_


class EncodingError(Exception):
    """The Z3 encoding and the explicit engine disagree: a bug, never a verdict."""


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


class Reactor:
    """Rules of one variant as a reaction circuit (both endpoints run the same rules)."""

    def __init__(self, lay: Layout):
        self.lay = lay
        self.m = m = lay.machines[0]
        self.sorts = lay.sorts
        self.n_events = len(m.events)
        self.ev_bits = bits_for(self.n_events + len(NET_EVENTS))
        self.rule_bits = bits_for(len(m.rules) + 1)
        self.sig_bits = bits_for(len(m.signals) + 1)
        self._scopes: dict = {}
        self._flags = {r.id: sum(FLAG_BIT[f] for f in r.send.flags) for r in m.rules if r.send}

    def scope(self, key, make) -> E.Scope:
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
        w = self.sorts.int_bits
        data = z3.ZeroExt(w - 1, seg["data"])
        one = z3.BitVecVal(1, w)
        zero = z3.BitVecVal(0, w)
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
        base = self.scope(("pre",), m.scope)
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
        base = self.scope(key, lambda: m.scope(choose=r.choose))
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
        base = self.scope(("classify",), lambda: m.scope(what="[classify]"))
        # the explicit engine classifies with a zero local state
        zeros = {"state": z3.BitVecVal(0, self.lay.st_bits)}
        for f in self.lay.fields:
            zeros[f.name] = (z3.BoolVal(False) if f.kind == "bool" else
                             z3.BitVecVal(0, self.lay.k if f.kind == "seq" else self.sorts.int_bits))
        env = dict(zeros, **self.seg_values(seg), msl_expired=z3.BoolVal(False))
        out = z3.BitVecVal(self.n_events, self.ev_bits)  # unreachable: classify is complete
        for ev, t in reversed(m.spec.classify):
            out = z3.If(self.compile(base, env, t.node, E.BOOL),
                        z3.BitVecVal(m.event_index[ev], self.ev_bits), out)
        return out
