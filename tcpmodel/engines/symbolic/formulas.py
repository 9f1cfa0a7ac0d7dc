"""Property formulas as Z3 predicates: the names of ``props.system_scope`` bound to terms of a
state (and, for step properties, of the previous state and the step between them)."""

from __future__ import annotations

import z3

from ... import expr as E
from ...props import parse_formula, system_scope
from .encoding import CALL, CRASH, DUP, LOSS, RCV, TIMER, EncodingError, Step
from .exprs import INT_BITS, Z3Compiler, Z3Scope
from .state import State, and_, as_bool, ite, mux, or_

ROOTS = ("prev.actor", "prev.peer", "prev.a", "prev.b", "actor", "peer", "a", "b")


class PropertyTerms:
    def __init__(self, enc):
        self.enc = enc
        model = enc.model
        from ...check import load_library
        # --property may name any library property, not only the check's own
        self.defs = dict(load_library()[1])
        self.defs.update({d.name: d for d in model.check.property_defs})
        macros = {k: t.node for k, t in model.check.defines.items()}
        self.base = system_scope(enc.system, macros, model.check.params)
        self._terminal: dict = {}

    def formula(self, prop):
        return parse_formula(self.defs[prop.name])

    def predicate(self, node, post: State, prev: State | None = None, step: Step | None = None):
        """The Bool term of expression ``node`` (a formula body) in this state or step."""
        def provide(name):
            v = self._value(name, post, prev, step)
            if v is None:
                raise EncodingError(f"the Z3 encoding has no value for '{name}' here")
            return v
        return Z3Compiler(Z3Scope(self.base, provide), self.enc.sorts).to_term(node, E.BOOL)

    def strengthening(self, text_node, post: State):
        return self.predicate(text_node, post)

    def terminal(self, s: State):
        key = id(s)
        if key not in self._terminal:
            self._terminal[key] = (s, self.enc.terminal(s))
        return self._terminal[key][1]

    # ---------------------------------------------------------- names

    def _value(self, name, post, prev, step):
        for root in ROOTS:
            if name.startswith(root + "."):
                attr = name[len(root) + 1:]
                st = prev if root.startswith("prev.") else post
                base = root.split(".")[-1]
                if st is None or (base in ("actor", "peer") and step is None):
                    return None
                side = {"a": 0, "b": 1}.get(base)
                if side is None:
                    side = step.choice.side if base == "actor" else 1 - step.choice.side
                return self._endpoint(st, side, attr)
        if name in ("ab.size", "ba.size"):
            return _int(post.chan[0 if name == "ab.size" else 1].length)
        if name in ("ab", "ba"):
            ch = post.chan[0 if name == "ab" else 1]
            return [(z3.ULT(i, ch.length), self._element(slot)) for i, slot in enumerate(ch.slots)]
        if name == "terminal":
            return self.terminal(post)
        if name in ("losses", "dups", "crashes"):
            return _int({"losses": post.loss, "dups": post.dup, "crashes": post.crash}[name])
        if name.startswith("step.") and step is not None:
            return self._step(name[5:], step)
        return None

    def _element(self, slot: dict) -> dict:
        """The seg.* names of a quantifier body (props.SEG_ELEMENT) for one slot."""
        v = self.enc.seg_values(slot)
        v["seg.sender_inc"] = _int(slot["stag"])
        v["seg.receiver_inc"] = _int(slot["rtag"])
        return v

    def _endpoint(self, st: State, side, attr):
        lay = self.enc.lay
        if attr == "state":
            return mux(side, [st.local[0]["state"], st.local[1]["state"]])
        if attr in lay.machines[0].field_index:
            return mux(side, [lay.field_value(st.local[x], attr) for x in (0, 1)])
        if attr == "inc":
            return _int(mux(side, st.inc))
        if attr == "pc":
            return _int(mux(side, st.pc))
        if attr == "done":
            scripts = lay.system.scripts
            return as_bool(mux(side, [z3.UGE(st.pc[x], len(scripts[x])) if scripts[x] is not None
                                      else z3.BoolVal(False) for x in (0, 1)]))
        return None

    def _step(self, attr, step: Step):
        enc = self.enc
        k = step.kind_is
        ep = or_(k[CALL], k[RCV], k[TIMER])
        r = step.reaction
        if attr == "kind":
            return step.choice.kind
        if attr == "actor":
            return ite(or_(k[LOSS], k[DUP]), z3.BitVecVal(2, 2), z3.ZeroExt(1, step.choice.side))
        if attr == "event":
            w = enc.ev_bits
            e = enc.n_events
            return ite(k[LOSS], z3.BitVecVal(e, w), ite(k[DUP], z3.BitVecVal(e + 1, w),
                                                        ite(k[CRASH], z3.BitVecVal(e + 2, w), step.ev)))
        if attr == "rule":
            return ite(ep, r.rule, z3.BitVecVal(len(enc.m.rules), enc.rule_bits))
        if attr == "signal":
            return ite(ep, r.signal, z3.BitVecVal(len(enc.m.signals), enc.sig_bits))
        if attr == "stale":
            return as_bool(and_(step.stale))
        sends = and_(ep, r.send)
        if attr == "sends":
            return as_bool(sends)
        for prefix, seg, present in (("seg.", step.seg, k[RCV]), ("sent.", r.seg, sends)):
            if attr.startswith(prefix):
                v = enc.seg_values(seg).get("seg." + attr[len(prefix):])
                if v is None:
                    return None
                none = z3.BoolVal(False) if z3.is_bool(v) else z3.BitVecVal(0, v.size())
                return ite(present, v, none)
        return None


def _int(bv):
    return z3.ZeroExt(INT_BITS - bv.size(), bv)
