"""Forged segments: which SEQ/ACK values an attacker needs to try, one per class the receiver's
rules tell apart.

A forged segment reaches its receiver at once (``System._attacker``), so its effect is the
outcome of the receiver's first matching rule.  Two values have the same outcome when

- every *atom* of the candidate rules' guards (a comparison or call, ``[define]`` names
  expanded) that reads ``seg.seq`` or ``seg.ack`` has the same truth value for both: then
  the same rule fires; and
- that rule's effects (``set``, ``next``, ``send``) do not read the value (``irs = seg.seq``
  or ``<SEQ=SEG.ACK><CTL=RST>`` copy it: each such value is its own class).

So for each local state of the receiver and each flag pattern the value space is partitioned
by the atoms' truth vectors (evaluated on the concrete TCB: "below the window", "at
RCV.NXT", "inside", "beyond", "SND.UNA < SEG.ACK =< SND.NXT", ...), split where an effect
copies a value, and classes with identical outcomes are merged.  Nothing is hand-listed: the
atoms come from the rule files, so an overlay (rfc5961's ``seg.seq != rcv_nxt``) brings its
own boundaries.  Every class is represented by its smallest value; the successor states are
exactly those of the full enumeration (``values = "all"``), with fewer transitions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import expr as E
from .endpoint import FLAG_BIT

SEG_VALUES = ("seg.seq", "seg.ack")


@dataclass(frozen=True)
class Choice:
    """One class of forged segments for a receiver state: its representative (rule-visible
    code), how many (SEQ, ACK) pairs of the pattern's space it stands for, of how many, and the
    receiver's outcomes (as ``EndpointMachine.react`` returns them)."""
    segr: int
    size: int
    space: int
    event: int
    outcomes: tuple


def patterns(flag_patterns, data: bool) -> list[tuple]:
    """(flag bits, data octets) of every segment shape the attacker may forge: DATA in a
    pattern is one octet ("ACK,DATA"; "DATA" alone: an octet without flags); ``data`` adds a
    one-octet copy of every pattern."""
    out = []
    for pat in flag_patterns:
        names = {f.strip() for f in pat.split(",")}
        bits = sum(FLAG_BIT[f] for f in names - {"DATA"})
        octets = (1,) if "DATA" in names else (0, 1) if data else (0,)
        out += [(bits, d) for d in octets]
    return list(dict.fromkeys(out))


def expand(node, macros: dict, seen=()):
    """``node`` with every ``[define]`` name replaced by its definition."""
    if isinstance(node, E.Name):
        key = node.dotted
        if key in macros and key not in seen:
            return expand(macros[key], macros, seen + (key,))
        return node
    if isinstance(node, E.Unary):
        return replace(node, arg=expand(node.arg, macros, seen))
    if isinstance(node, E.Binary):
        return replace(node, left=expand(node.left, macros, seen),
                       right=expand(node.right, macros, seen))
    if isinstance(node, E.Cond):
        return replace(node, test=expand(node.test, macros, seen),
                       then=expand(node.then, macros, seen), other=expand(node.other, macros, seen))
    if isinstance(node, E.Call):
        return replace(node, args=tuple(expand(a, macros, seen) for a in node.args))
    if isinstance(node, E.ListLit):
        return replace(node, items=tuple(expand(a, macros, seen) for a in node.items))
    return node


def atoms(node) -> list:
    """The atoms of a boolean guard: its parts below not/and/or/implies and boolean if-then-else."""
    if isinstance(node, E.Unary) and node.op == "not":
        return atoms(node.arg)
    if isinstance(node, E.Binary) and node.op in ("and", "or", "implies"):
        return atoms(node.left) + atoms(node.right)
    if isinstance(node, E.Cond):
        return [node.test] + atoms(node.then) + atoms(node.other)
    if isinstance(node, E.Lit):
        return []
    return [node]


def _reads(node) -> frozenset:
    return frozenset(x.dotted for x in E.walk(node) if isinstance(x, E.Name)) & set(SEG_VALUES)


class Forger:
    """The classes of forged segments one endpoint machine distinguishes (memoised)."""

    def __init__(self, machine, flag_patterns, data: bool, mode: str = "classes"):
        self.m = machine
        self.n = machine.n
        self.mode = mode
        self.shapes = patterns(flag_patterns, data)
        macros = {k: t.node for k, t in machine.spec.defines.items()}
        scope = machine.scope(what="forged-value class")
        comp = E.Compiler(scope)
        # per rule: guard atoms that read a forged value (compiled), and what its effects read
        self.guard_atoms = []
        self.effect_reads = []
        for r in machine.rules:
            found = []
            if r.when is not None:
                for a in atoms(expand(r.when.node, macros)):
                    reads = _reads(a)
                    if reads:
                        found.append((comp.compile(a, E.BOOL).fn, reads))
            self.guard_atoms.append(found)
            eff = [t for t in (r.next,) if t] + [t for _, t in r.assign]
            if r.send:
                eff += [t for t in (r.send.seq, r.send.ack) if t]
            reads = frozenset()
            for t in eff:
                reads |= _reads(expand(t.node, macros))
            self.effect_reads.append(reads)
        # the classification must not read the values, or the classes would be meaningless
        self.classify_reads = frozenset()
        for _, t in machine.spec.classify:
            self.classify_reads |= _reads(expand(t.node, macros))
        self._memo: dict = {}

    def choices(self, code: int, msl_of, inc: int) -> list[Choice]:
        """Every class of forged segment for the receiver in local state ``code``, after
        ``msl_of(event)`` (the 2 MSL test for that event) and in incarnation ``inc``."""
        m = self.m
        st = m.state_of(code)
        out = []
        for bits, data in self.shapes:
            ev = m.classify(m.seg.pack(0, 0, bits, data))
            msl = bool(msl_of(ev))
            key = (code, bits, data, msl, inc)
            got = self._memo.get(key)
            if got is None:
                got = self._memo[key] = self._classes(code, st, bits, data, ev, msl, inc)
            out += got
        return out

    def _space(self, bits: int):
        acks = range(self.n) if bits & FLAG_BIT["ACK"] else (0,)
        return [(q, a) for q in range(self.n) for a in acks]

    def _classes(self, code, st, bits, data, ev, msl, inc) -> list[Choice]:
        m = self.m
        pairs = self._space(bits)
        space = len(pairs)

        def react(q, a):
            segr = m.seg.pack(q, a, bits, data)
            return segr, m.react(code, ev, segr, msl, inc)

        if self.mode == "all" or self.classify_reads:
            return [Choice(segr, 1, space, ev, outs) for segr, outs in (react(q, a) for q, a in pairs)]
        local = m.decode(code)
        cands = m._cands[st, ev]
        # the atoms that decide which candidate fires (up to the first unguarded rule)
        tests = []
        for k in cands:
            tests += self.guard_atoms[k]
            if m.rules[k].when is None:
                break
        groups: dict = {}
        for q, a in pairs:
            env = local + m.seg.fields(m.seg.pack(q, a, bits, data)) + (msl,)
            sig = tuple(fn(env) for fn, _ in tests)
            groups.setdefault(sig, []).append((q, a))
        merged: dict = {}   # outcomes -> [representative, size]
        for members in groups.values():
            segr, outs = react(*members[0])
            reads = self.effect_reads[outs[0].rule] if outs else frozenset()
            if reads and self.mode != "guards":
                # the firing rule copies the value: split the class by what it reads
                sub: dict = {}
                for q, a in members:
                    sub.setdefault((q if "seg.seq" in reads else None,
                                    a if "seg.ack" in reads else None), []).append((q, a))
                parts = [(react(*ms[0]), len(ms)) for ms in sub.values()]
            else:
                parts = [((segr, outs), len(members))]
            for (r, o), size in parts:
                got = merged.get(o)
                if got is None:
                    merged[o] = [r, size]
                else:
                    got[0] = min(got[0], r)
                    got[1] += size
        return [Choice(r, size, space, ev, o) for o, (r, size) in merged.items()]

    def class_of(self, code: int, msl_of, inc: int, segr: int) -> Choice | None:
        """The class (in this receiver state) a forged segment belongs to."""
        bits, data = self.m.seg.unpack(segr)[2:]
        for ch in self.choices(code, msl_of, inc):
            if ch.segr == segr:
                return ch
        ev = self.m.classify(segr)
        outs = self.m.react(code, ev, segr, bool(msl_of(ev)), inc)
        for ch in self.choices(code, msl_of, inc):
            if ch.outcomes == outs and self.m.seg.unpack(ch.segr)[2:] == (bits, data):
                return ch
        return None
