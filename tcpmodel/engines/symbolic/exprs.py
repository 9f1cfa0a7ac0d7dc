"""The Z3 backend of the expression language: the same AST, type rules and constant folding as
the closure compiler (``tcpmodel.expr.Compiler``), with Z3 bit-vector terms at the leaves.

Representation (chosen so that every operation means exactly what ``expr.value_op`` says):

- ``bool`` is a Z3 Bool;
- ``seq`` is a bit-vector of ``seq_bits`` bits holding 0..n-1 (n = seq_space); when n is a power
  of two the hardware wrap-around *is* arithmetic modulo n, otherwise results are reduced;
- ``int`` is a signed bit-vector of ``Sorts.int_bits`` bits: at least 16, and two more than a
  sequence number, so a forward distance (0..n-1) and data counts below n/2 fit exactly, also
  at seq_space = 2^32 (an expression that leaves that range would wrap here);
- an enumeration (states, events, ...) is a bit-vector holding the value's index.

Names are bound lazily: a Z3 scope answers a name with a term only when an expression reads it,
so a property over states never asks for the terms of a step.
"""

from __future__ import annotations

import z3

from ... import expr as E

MIN_INT_BITS = 16


def bits_for(count: int) -> int:
    """Bits to hold the values 0..count-1 (at least one)."""
    return max(1, (count - 1).bit_length())


class Sorts:
    """Bit widths of each expression type for one sequence space."""

    def __init__(self, n: int):
        self.n = n
        self.seq_bits = bits_for(n)
        self.pow2 = n == 1 << self.seq_bits
        self.int_bits = max(MIN_INT_BITS, self.seq_bits + 2)

    def width(self, t) -> int:
        if t == E.SEQ:
            return self.seq_bits
        if t == E.INT:
            return self.int_bits
        if isinstance(t, E.Enum):
            return bits_for(len(t.values))
        raise TypeError(f"no bit-vector width for type {t}")

    def val(self, t, v):
        """A constant of type ``t`` as a Z3 term."""
        if t == E.BOOL:
            return z3.BoolVal(bool(v))
        w = self.width(t)
        if t == E.INT and not -(1 << (w - 1)) <= v < 1 << (w - 1):
            raise OverflowError(f"integer {v} does not fit the {w}-bit encoding")
        return z3.BitVecVal(v, w)

    def var(self, t, name: str):
        return z3.Bool(name) if t == E.BOOL else z3.BitVec(name, self.width(t))

    # ---------------------------------------------------------- sequence arithmetic

    def seq_of_int(self, x):
        """An int term modulo n, as a seq term (Python's % n: never negative)."""
        k = self.seq_bits
        if self.pow2:
            return z3.Extract(k - 1, 0, x)
        # % on bit-vectors is bvsmod: the result takes the divisor's sign, like Python's %
        return z3.Extract(k - 1, 0, x % z3.BitVecVal(self.n, self.int_bits))

    def int_of_seq(self, s):
        return z3.ZeroExt(self.int_bits - self.seq_bits, s)

    def dist(self, a, b):
        """(a - b) mod n as a seq-width term."""
        if self.pow2:
            return a - b
        return z3.If(z3.UGE(a, b), a - b, a - b + self.n)


class Z3Scope(E.Scope):
    """A scope with the names and types of ``base`` whose values come from ``provide(name)``."""

    def __init__(self, base: E.Scope, provide):
        super().__init__(base.seq_space, what=base.what)
        self.macros = base.macros
        self.element = base.element  # names and types of a quantifier body (values: _quant)
        for k, b in base.names.items():
            if b.is_const:
                self.names[k] = b
        self._base = base
        self._provide = provide
        self.dynamic = self._lookup

    def _lookup(self, path):
        key = ".".join(path)
        b = self._base.names.get(key)
        if b is None and self._base.dynamic is not None:
            b = self._base.dynamic(path)
        if b is None:
            return None
        return E.Binding(b.type, getter=self._provide(key))


class Z3Compiler(E.Compiler):
    """Compiles an expression to a Z3 term (``.fn`` of the result; use :meth:`term`)."""

    def __init__(self, scope: E.Scope, sorts: Sorts):
        super().__init__(scope)
        self.sorts = sorts

    def term(self, c: E.Compiled):
        return self.sorts.val(c.type, c.value) if c.is_const else c.fn

    def to_term(self, node: E.Node, want):
        return self.term(self.compile(node, want))

    def _ite(self, t, test, x, y):
        return E.Compiled(t, z3.If(self.term(test), self.term(x), self.term(y)))

    def _lift(self, t, op, args, extra=None):
        return E.Compiled(t, self._apply(op, args, extra))

    def _quant(self, func, chan, inner, body):
        """all/any/count over the slots of a channel: the channel's value here is a list of
        (slot in use, {seg.* name: term}) pairs."""
        outer = self.scope._provide
        terms = []
        for used, values in chan.getter:
            sc = Z3Scope(inner, lambda name, v=values: v[name] if name in v else outer(name))
            terms.append((used, Z3Compiler(sc, self.sorts).to_term(body, E.BOOL)))
        if func == "all":
            return E.Compiled(E.BOOL, z3.And([z3.Implies(u, t) for u, t in terms] + [True]))
        if func == "any":
            return E.Compiled(E.BOOL, z3.Or([z3.And(u, t) for u, t in terms] + [False]))
        w = self.sorts.int_bits
        one, zero = z3.BitVecVal(1, w), z3.BitVecVal(0, w)
        return E.Compiled(E.INT, sum((z3.If(z3.And(u, t), one, zero) for u, t in terms), zero))

    def _apply(self, op, args, extra):
        s = self.sorts
        v = [self.term(a) for a in args]
        if op == "not":
            return z3.Not(v[0])
        if op == "neg":
            return -v[0]
        if op == "and":
            return z3.And(v[0], v[1])
        if op == "or":
            return z3.Or(v[0], v[1])
        if op == "implies":
            return z3.Implies(v[0], v[1])
        if op == "==":
            return v[0] == v[1]
        if op == "!=":
            return v[0] != v[1]
        if op in ("<", "<=", ">", ">=", "+", "-", "*", "min", "max"):
            return _INT_OPS[op](v[0], v[1])  # ints are signed bit-vectors
        if op == "/":
            x, y = v
            # floor division (Python's //): x - x mod y is an exact multiple of y
            return z3.If(y == 0, 0, (x - x % y) / y)
        if op == "%":
            x, y = v
            return z3.If(y == 0, 0, x % y)  # bvsmod takes the divisor's sign, like Python
        if op == "in":
            t = args[0].type
            return z3.Or([v[0] == s.val(t, x) for x in sorted(extra)]) if extra else z3.BoolVal(False)
        if op == "to_seq":
            return s.seq_of_int(v[0])
        if op == "seq+":
            if args[0].type == E.SEQ:
                return self._seq_plus(v[0], v[1])
            return self._seq_plus(v[1], v[0])
        if op == "seq-":
            if args[1].type == E.SEQ:
                return s.int_of_seq(s.dist(v[0], v[1]))  # the forward distance, an int
            return self._seq_plus(v[0], -v[1])
        if op == "seq_in":
            x, lo, hi = v
            return z3.ULT(s.dist(x, lo), s.dist(hi, lo))
        if op == "seq_lt":
            return self._seq_lt(v[0], v[1])
        if op == "seq_le":
            return z3.Or(v[0] == v[1], self._seq_lt(v[0], v[1]))
        raise NotImplementedError(op)  # pragma: no cover

    def _seq_plus(self, seq, i):
        s = self.sorts
        if s.pow2:
            return seq + z3.Extract(s.seq_bits - 1, 0, i)
        return s.seq_of_int(s.int_of_seq(seq) + i)

    def _seq_lt(self, a, b):
        # 0 < (b - a) mod n < n / 2, i.e. the distance d satisfies 2d < n
        d = self.sorts.dist(b, a)
        return z3.And(d != 0, z3.ULT(d, (self.sorts.n + 1) // 2))


_INT_OPS = {
    "<": lambda x, y: x < y, "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y, ">=": lambda x, y: x >= y,
    "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
    "min": lambda x, y: z3.If(x <= y, x, y), "max": lambda x, y: z3.If(x >= y, x, y),
}
