"""The expression language translated to Promela expressions.

Same typing as :class:`tcpmodel.expr.Compiler` (it reads the same :class:`~tcpmodel.expr.Scope`
for types, constants, groups and definitions), but the output is text: names become the
Promela variables given by ``names`` (dotted name -> text), sequence arithmetic is reduced
modulo the space with a non-negative remainder (C's ``%`` keeps the sign), ``if then else``
becomes ``(c -> x : y)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import expr as E
from ..expr import BOOL, INT, SEQ, ExprError


@dataclass
class P:
    type: Any
    text: str
    is_const: bool = False
    value: Any = None


def _lit(t, v) -> P:
    return P(t, str(int(v)), True, v)


class PromelaCompiler:
    def __init__(self, scope: E.Scope, names: dict):
        self.scope = scope
        self.names = names
        self.n = scope.seq_space
        self._expanding: list = []

    def mod(self, text: str) -> str:
        return f"((({text}) % {self.n} + {self.n}) % {self.n})"

    @E.deep
    def compile(self, node, want=None) -> P:
        if isinstance(node, E.Cond) and want is not None:
            t = self.compile(node.test, BOOL)
            x = self.compile(node.then, want)
            y = self.compile(node.other, want)
            if t.is_const:
                return x if t.value else y
            return P(want, f"({t.text} -> {x.text} : {y.text})")
        c = self._c(node)
        return self.coerce(c, want, node) if want is not None else c

    def coerce(self, c: P, want, node) -> P:
        if c.type == want:
            return c
        if want == SEQ and c.type == INT:
            if c.is_const:
                return _lit(SEQ, c.value % self.n)
            return P(SEQ, self.mod(c.text))
        if isinstance(want, E.Enum) and c.type == "str":
            return _lit(want, want.index(c.value, node.pos))
        raise ExprError(f"expected {want} but this is {c.type}", node.pos)

    def _c(self, node) -> P:
        if isinstance(node, E.Lit):
            return _lit(BOOL if isinstance(node.value, bool) else INT, node.value)
        if isinstance(node, E.Str):
            return P("str", repr(node.value), True, node.value)
        if isinstance(node, E.Name):
            return self._name(node)
        if isinstance(node, E.Call):
            return self._call(node)
        if isinstance(node, E.Unary):
            a = self._c(node.arg)
            if node.op == "not":
                a = self.coerce(a, BOOL, node.arg)
                return _lit(BOOL, not a.value) if a.is_const else P(BOOL, f"(!{a.text})")
            return _lit(INT, -a.value) if a.is_const else P(INT, f"(-{a.text})")
        if isinstance(node, E.Cond):
            t = self.coerce(self._c(node.test), BOOL, node.test)
            x, y = self._unify(self._c(node.then), self._c(node.other), node.then, node.other)
            if t.is_const:
                return x if t.value else y
            return P(x.type, f"({t.text} -> {x.text} : {y.text})")
        if isinstance(node, E.Binary):
            return self._binary(node)
        raise ExprError("cannot translate this expression to Promela", node.pos)

    def _name(self, node) -> P:
        key = node.dotted
        if key in self.scope.macros and key not in self.scope.names:
            return E.expand_definition(node, self.scope.macros, self._expanding, self._c)
        b = self.scope.lookup(node)
        if b.is_const:
            v = b.const
            return _lit(b.type, v) if isinstance(v, (int, bool)) else P(b.type, repr(v), True, v)
        if key not in self.names:
            raise ExprError(f"'{key}' has no Promela counterpart", node.pos)
        return P(b.type, self.names[key])

    def _unify(self, x: P, y: P, nx, ny):
        if x.type == y.type:
            return x, y
        if x.type == "str" and isinstance(y.type, E.Enum):
            return self.coerce(x, y.type, nx), y
        if y.type == "str" and isinstance(x.type, E.Enum):
            return x, self.coerce(y, x.type, ny)
        if {x.type, y.type} == {INT, SEQ}:
            return self.coerce(x, SEQ, nx), self.coerce(y, SEQ, ny)
        raise ExprError(f"cannot combine {x.type} with {y.type}", nx.pos)

    def _binary(self, node) -> P:
        op = node.op
        if op in ("and", "or", "implies"):
            a = self.coerce(self._c(node.left), BOOL, node.left)
            b = self.coerce(self._c(node.right), BOOL, node.right)
            fn = {"and": lambda x, y: x and y, "or": lambda x, y: x or y,
                  "implies": lambda x, y: (not x) or y}[op]
            if a.is_const and b.is_const:
                return _lit(BOOL, fn(a.value, b.value))
            if a.is_const:
                if op == "and":
                    return b if a.value else _lit(BOOL, False)
                if op == "or":
                    return _lit(BOOL, True) if a.value else b
                return b if a.value else _lit(BOOL, True)
            if b.is_const:
                if op == "and":
                    return a if b.value else _lit(BOOL, False)
                if op == "or":
                    return _lit(BOOL, True) if b.value else a
                return _lit(BOOL, True) if b.value else P(BOOL, f"(!{a.text})")
            sym = {"and": "&&", "or": "||"}.get(op)
            if sym:
                return P(BOOL, f"({a.text} {sym} {b.text})")
            return P(BOOL, f"((!{a.text}) || {b.text})")
        if op == "in":
            return self._in(node)
        a, b = self._c(node.left), self._c(node.right)
        if op in ("==", "!="):
            a, b = self._unify(a, b, node.left, node.right)
            return self._fold(BOOL, a, b, op, lambda x, y: x == y if op == "==" else x != y)
        if op in ("<", "<=", ">", ">="):
            import operator
            fn = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]
            return self._fold(BOOL, a, b, op, fn)
        n = self.n
        if SEQ in (a.type, b.type):
            if op == "+":
                return self._fold(SEQ, a, b, "+", lambda x, y: (x + y) % n, wrap=True)
            rt = INT if b.type == SEQ else SEQ   # seq - seq is the forward distance
            return self._fold(rt, a, b, "-", lambda x, y: (x - y) % n, wrap=True)
        if op in ("+", "-", "*"):
            fn = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}[op]
            return self._fold(INT, a, b, op, fn)
        if a.is_const and b.is_const:
            return _lit(INT, (a.value // b.value if op == "/" else a.value % b.value)
                        if b.value else 0)
        # Python's floor division and modulo (C truncates towards zero)
        q = (f"(({a.text}) / ({b.text}) - ((({a.text}) % ({b.text}) != 0 && "
             f"((({a.text}) < 0) != (({b.text}) < 0))) -> 1 : 0))")
        if op == "/":
            return P(INT, f"(({b.text}) == 0 -> 0 : {q})")
        return P(INT, f"(({b.text}) == 0 -> 0 : ({a.text}) - ({b.text}) * {q})")

    def _fold(self, t, a: P, b: P, sym, fn, wrap=False) -> P:
        if a.is_const and b.is_const:
            return _lit(t, fn(a.value, b.value))
        text = f"({a.text} {sym} {b.text})"
        return P(t, self.mod(text) if wrap else text)

    def _in(self, node) -> P:
        a = self._c(node.left)
        right = node.right
        if isinstance(right, E.Name):
            key = right.dotted
            macro = self.scope.macros.get(key) if key not in self.scope.names else None
            if isinstance(macro, E.ListLit):
                right = macro
            else:
                b = self.scope.lookup(right)
                elem = b.type[1]
                a = self.coerce(a, elem, node.left)
                values = sorted({elem.index(v, right.pos) for v in b.const})
                return self._member(a, values)
        items = []
        for it in right.items:
            c = self._c(it)
            a, c = self._unify(a, c, node.left, it)
            items.append(int(c.value))
        return self._member(a, sorted(set(items)))

    @staticmethod
    def _member(a: P, values) -> P:
        if a.is_const:
            return _lit(BOOL, a.value in values)
        if not values:
            return _lit(BOOL, False)
        return P(BOOL, "(" + " || ".join(f"{a.text} == {v}" for v in values) + ")")

    def _call(self, node) -> P:
        spec = E._FUNCS.get(node.func)
        if spec is None:
            raise ExprError(f"unknown function '{node.func}'", node.pos)
        argtypes, rtype = spec
        args = [self.compile(a, t) for a, t in zip(node.args, argtypes)]
        if all(a.is_const for a in args):
            impl = E._SEQ_OPS[node.func](self.n) if node.func in E._SEQ_OPS else \
                {"min": min, "max": max}[node.func]
            return _lit(rtype, impl(*[a.value for a in args]))
        t = [a.text for a in args]
        n = self.n
        if node.func == "seq_in":
            return P(BOOL, f"({self.mod(f'{t[0]} - {t[1]}')} < {self.mod(f'{t[2]} - {t[1]}')})")
        if node.func in ("seq_lt", "seq_le"):
            d = self.mod(f"{t[1]} - {t[0]}")
            lt = f"({d} > 0 && 2 * {d} < {n})"
            return P(BOOL, lt if node.func == "seq_lt" else f"({t[0]} == {t[1]} || {lt})")
        op = "<" if node.func == "min" else ">"
        return P(INT, f"({t[0]} {op} {t[1]} -> {t[0]} : {t[1]})")
