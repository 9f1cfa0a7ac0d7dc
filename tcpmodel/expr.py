"""The safe expression language of guards, effects and properties.

Text is tokenised and parsed into a small AST (never ``eval``'d), type-checked
against a :class:`Scope`, and compiled to Python closures.  The same AST is the
input of the Z3 encoder, so the language stays deliberately small:

    literals     0  7  true  false  'SYN-SENT'  ['CLOSED', 'LISTEN']
    names        snd_nxt  seg.ack  a.state  param.data   (dotted paths)
    arithmetic   + - * / %        (integer; on sequence numbers modulo the space)
    comparison   == != < <= > >=  in  not in
    logic        not  and  or  implies
    conditional  if C then X else Y
    calls        seq_in(x, lo, hi)  seq_lt(a, b)  seq_le(a, b)  min(a, b)  max(a, b)
    channels     all(ab, P)  any(ab, P)  count(ab, P)   (properties only: P reads seg.*)

Types: bool, int, seq (a sequence number: ``seq +/- int`` wraps modulo the
space, ``seq - seq`` is the forward distance, ordering needs ``seq_lt``/``seq_in``),
and enumerations (states, events, ...) written as string literals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import InputError, did_you_mean

# ---------------------------------------------------------------- tokens

KEYWORDS = {"and", "or", "not", "implies", "in", "if", "then", "else", "true", "false"}
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op>==|!=|<=|>=|&&|\|\||->|[-+*/%<>()\[\],.!=])
""", re.VERBOSE)

_BAD_OPS = {"&&": "and", "||": "or", "!": "not", "->": "implies", "=": "=="}


@dataclass(frozen=True)
class Token:
    kind: str  # num, name, kw, str, op, end
    text: str
    pos: int


class ExprError(Exception):
    """An error at a character offset of an expression; callers add the file/location."""

    def __init__(self, msg: str, pos: int, fix: str | None = None):
        super().__init__(msg + (f" (fix: {fix})" if fix else ""))
        self.msg = msg
        self.pos = pos
        self.fix = fix


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise ExprError(f"unexpected character {text[i]!r}", i)
        kind = m.lastgroup
        tok = m.group()
        if kind == "op" and tok in _BAD_OPS:
            raise ExprError(f"'{tok}' is not an operator here", i, f"write '{_BAD_OPS[tok]}'")
        if kind == "name" and tok in KEYWORDS:
            kind = "kw"
        if kind != "ws":
            out.append(Token(kind, tok, i))
        i = m.end()
    out.append(Token("end", "", len(text)))
    return out


# ---------------------------------------------------------------- AST

@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Lit(Node):
    value: Any  # int or bool


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple


@dataclass(frozen=True)
class Name(Node):
    path: tuple  # ('seg', 'ack')

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple


@dataclass(frozen=True)
class Unary(Node):
    op: str  # 'not', '-'
    arg: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Cond(Node):
    test: Node
    then: Node
    other: Node


def children(node: Node) -> tuple:
    """The direct subexpressions of ``node``, left to right."""
    if isinstance(node, ListLit):
        return node.items
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Unary):
        return (node.arg,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Cond):
        return (node.test, node.then, node.other)
    return ()


def walk(node: Node):
    """Yield every node of the tree, parents first (iteratively: deep trees are fine)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def depth(node: Node) -> int:
    """Levels of the tree (a leaf is 1), computed without recursion."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in children(n))
    return deepest


# ---------------------------------------------------------------- limits

MAX_NESTING = 64      # brackets, calls, if, not and unary minus inside each other
MAX_DEPTH = 100       # levels of a parsed tree (long and/or/+/* chains are built balanced)
MAX_DEFINITIONS = 32  # [define] names used inside definitions inside definitions ...
MAX_LENGTH = 100_000  # characters of one expression
BALANCE = 8           # a chain of more terms of one associative operator is built balanced
_FRAMES = 20_000      # recursion allowed while parsing and compiling (the limits above bound it)


def deep(fn):
    """Run ``fn`` with room for the recursion the limits above allow; should it still run out
    (definitions expanded inside definitions), that is an input error, not a crash."""
    import functools
    import sys

    @functools.wraps(fn)
    def run(*args, **kwargs):
        old = sys.getrecursionlimit()
        if old >= _FRAMES:
            return fn(*args, **kwargs)
        sys.setrecursionlimit(_FRAMES)
        try:
            return fn(*args, **kwargs)
        except RecursionError:
            node = next((a for a in args if isinstance(a, Node)), None)
            raise ExprError("the expression nests too deeply (with its definitions expanded)",
                            node.pos if node is not None else 0,
                            "split it into shorter [define] names") from None
        finally:
            sys.setrecursionlimit(old)
    return run


# ---------------------------------------------------------------- parser

_CMP = {"==", "!=", "<", "<=", ">", ">="}


class Parser:
    """Recursive-descent parser; ``stop`` keywords end an expression (used by formulas)."""

    def __init__(self, text: str, stop: frozenset = frozenset()):
        self.text = text
        if len(text) > MAX_LENGTH:
            raise ExprError(f"the expression is {len(text):,} characters long (limit "
                            f"{MAX_LENGTH:,})", 0, "split it into [define] names")
        self.toks = tokenize(text)
        self.i = 0
        self.stop = stop
        self.nesting = 0

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def take(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, *texts: str) -> bool:
        t = self.tok
        return t.kind in ("op", "kw") and t.text in texts

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise ExprError(f"expected '{text}' but found {self.describe(self.tok)}", self.tok.pos)
        return self.take()

    @staticmethod
    def describe(t: Token) -> str:
        return "the end of the expression" if t.kind == "end" else f"'{t.text}'"

    def at_stop(self) -> bool:
        t = self.tok
        return t.kind == "end" or (t.kind == "name" and t.text in self.stop)

    @deep
    def parse_all(self) -> Node:
        node = self.expr()
        if self.tok.kind != "end":
            raise ExprError(f"unexpected {self.describe(self.tok)} after a complete expression",
                            self.tok.pos)
        d = depth(node)
        if d > MAX_DEPTH:
            raise ExprError(f"the expression is {d} levels deep (limit {MAX_DEPTH})", node.pos,
                            "split it into [define] names; long chains of '-', '/', '%' or "
                            "'implies' nest one level per term")
        return node

    def nest(self, pos: int) -> None:
        """Enter one more level of brackets, calls, if, not or unary minus."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ExprError(f"the expression nests more than {MAX_NESTING} levels deep", pos,
                            "split it into [define] names")

    def chain(self, first: Node, ops: tuple, operand) -> Node:
        """``first (op operand)*`` for the operators ``ops`` of one precedence level."""
        items, toks = [first], []
        while self.at(*ops):
            toks.append(self.take())
            items.append(operand())
        if len(items) > BALANCE and toks[0].text in _ASSOCIATIVE and \
                all(t.text == toks[0].text for t in toks):
            return _balanced(items, toks, 0, len(items))
        left = items[0]
        for t, right in zip(toks, items[1:]):
            left = Binary(t.pos, t.text, left, right)
        return left

    def expr(self) -> Node:
        return self.implies()

    def implies(self) -> Node:
        left = self.or_()
        if self.at("implies"):
            t = self.take()
            self.nest(t.pos)
            right = self.implies()
            self.nesting -= 1
            return Binary(t.pos, "implies", left, right)
        return left

    def or_(self) -> Node:
        return self.chain(self.and_(), ("or",), self.and_)

    def and_(self) -> Node:
        return self.chain(self.not_(), ("and",), self.not_)

    def not_(self) -> Node:
        if self.at("not"):
            t = self.take()
            self.nest(t.pos)
            arg = self.not_()
            self.nesting -= 1
            return Unary(t.pos, "not", arg)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        if self.at(*_CMP):
            t = self.take()
            right = self.additive()
            if self.at(*_CMP):
                raise ExprError("comparisons do not chain", self.tok.pos,
                                "join them with 'and', or use seq_in(x, lo, hi)")
            return Binary(t.pos, t.text, left, right)
        if self.at("in"):
            t = self.take()
            return Binary(t.pos, "in", left, self.additive())
        if self.at("not") and self.toks[self.i + 1].text == "in":
            t = self.take()
            self.take()
            return Unary(t.pos, "not", Binary(t.pos, "in", left, self.additive()))
        return left

    def additive(self) -> Node:
        return self.chain(self.term(), ("+", "-"), self.term)

    def term(self) -> Node:
        return self.chain(self.unary(), ("*", "/", "%"), self.unary)

    def unary(self) -> Node:
        if self.at("-"):
            t = self.take()
            self.nest(t.pos)
            arg = self.unary()
            self.nesting -= 1
            return Unary(t.pos, "-", arg)
        return self.atom()

    def atom(self) -> Node:
        t = self.tok
        if t.kind in ("op", "kw") and t.text in ("if", "(", "["):
            self.nest(t.pos)
            node = self.nested(t)
            self.nesting -= 1
            return node
        return self.simple(t)

    def nested(self, t: Token) -> Node:
        """An if, a parenthesised expression or a list."""
        if t.text == "if":
            self.take()
            test = self.expr()
            self.expect("then")
            then = self.expr()
            self.expect("else")
            return Cond(t.pos, test, then, self.expr())
        if t.text == "(":
            self.take()
            node = self.expr()
            self.expect(")")
            return node
        self.take()
        items = []
        while not self.at("]"):
            items.append(self.expr())
            if not self.at("]"):
                self.expect(",")
        self.expect("]")
        return ListLit(t.pos, tuple(items))

    def simple(self, t: Token) -> Node:
        """A literal, a name or a call."""
        if t.kind == "num":
            self.take()
            if len(t.text.lstrip("0")) > 9:
                raise ExprError(f"the number {t.text[:12]}{'...' if len(t.text) > 12 else ''} is "
                                "too large (at most 999,999,999)", t.pos,
                                "model integers are small: counts, lengths, offsets")
            return Lit(t.pos, int(t.text))
        if t.kind == "str":
            self.take()
            return Str(t.pos, t.text[1:-1])
        if t.kind == "kw" and t.text in ("true", "false"):
            self.take()
            return Lit(t.pos, t.text == "true")
        if t.kind == "name":
            if t.text in self.stop:
                raise ExprError(f"'{t.text}' needs an expression before it", t.pos)
            self.take()
            path = [t.text]
            while self.at("."):
                self.take()
                n = self.tok
                if n.kind not in ("name", "kw"):
                    raise ExprError(f"expected a name after '.', found {self.describe(n)}", n.pos)
                path.append(self.take().text)
            if self.at("("):
                if len(path) > 1:
                    raise ExprError(f"'{'.'.join(path)}' is not a function", t.pos)
                self.nest(self.take().pos)
                args = []
                while not self.at(")"):
                    args.append(self.expr())
                    if not self.at(")"):
                        self.expect(",")
                self.expect(")")
                self.nesting -= 1
                return Call(t.pos, path[0], tuple(args))
            return Name(t.pos, tuple(path))
        raise ExprError(f"expected a value but found {self.describe(t)}", t.pos)


_ASSOCIATIVE = ("and", "or", "+", "*")


def _balanced(items: list, toks: list, lo: int, hi: int) -> Node:
    """items[lo:hi] joined by one associative operator: short runs left to right as written,
    longer ones split in the middle, so a chain of thousands of terms is only a few levels
    deep (evaluation order, and so short-circuiting, is unchanged)."""
    if hi - lo <= BALANCE:
        left = items[lo]
        for k in range(lo + 1, hi):
            left = Binary(toks[k - 1].pos, toks[k - 1].text, left, items[k])
        return left
    mid = (lo + hi) // 2
    t = toks[mid - 1]
    return Binary(t.pos, t.text, _balanced(items, toks, lo, mid), _balanced(items, toks, mid, hi))


def parse(text: str) -> Node:
    """Parse one expression; raises ExprError with a character offset."""
    if not isinstance(text, str):
        raise ExprError(f"expected an expression string, got {type(text).__name__}", 0)
    if not text.strip():
        raise ExprError("empty expression", 0)
    return Parser(text).parse_all()


# ---------------------------------------------------------------- types

BOOL = "bool"
INT = "int"
SEQ = "seq"
CHAN = "channel"   # a channel (properties' ab, ba): only the first argument of all/any/count


@dataclass(frozen=True)
class Enum:
    """An enumeration (states, events, ...): values are stored as their index."""
    name: str
    values: tuple

    def __str__(self) -> str:
        return self.name

    def index(self, value: str, pos: int) -> int:
        if value not in self.values:
            raise ExprError(f"unknown {self.name} '{value}'", pos,
                            did_you_mean(value, self.values))
        return self.values.index(value)


def type_name(t) -> str:
    return str(t)


@dataclass
class Binding:
    """What a name means in a scope: a constant, or a getter on the environment."""
    type: Any
    const: Any = None
    getter: Callable | None = None
    is_const: bool = False


@dataclass
class Scope:
    """Names visible to an expression.

    ``names`` maps dotted paths to bindings; ``macros`` maps names to parsed
    expressions expanded in place (defined in specs as ``[define]``).
    ``dynamic`` resolves names not in ``names`` (may return None).
    ``element(channel name)`` is the scope of a quantifier's body (``all(ab, P)``): the same
    names plus ``seg.*`` of one segment in the channel; None where quantifiers are not allowed.
    """
    seq_space: int
    names: dict = field(default_factory=dict)
    macros: dict = field(default_factory=dict)
    dynamic: Callable | None = None
    what: str = "expression"
    element: Callable | None = None

    def const(self, name: str, typ, value) -> None:
        self.names[name] = Binding(typ, const=value, is_const=True)

    def slot(self, name: str, typ, getter: Callable) -> None:
        self.names[name] = Binding(typ, getter=getter)

    def lookup(self, node: Name) -> Binding:
        key = node.dotted
        b = self.names.get(key)
        if b is None and self.dynamic is not None:
            b = self.dynamic(node.path)
        if b is None:
            known = list(self.names) + list(self.macros)
            raise ExprError(f"unknown name '{key}' in {self.what}", node.pos,
                            did_you_mean(key, known))
        return b


@dataclass
class Compiled:
    """A type-checked expression: ``fn(env)`` evaluates it; constants are folded.

    With another backend (the Z3 encoder) ``fn`` is that backend's term instead of a closure.
    """
    type: Any
    fn: Callable
    is_const: bool = False
    value: Any = None


def _const(t, v) -> Compiled:
    return Compiled(t, lambda env, v=v: v, True, v)


def _floordiv(x, y):
    return x // y   # the divisor is a constant other than 0 (Compiler._binary)


def _mod(x, y):
    return x % y


def value_op(op: str, n: int, extra=None) -> Callable:
    """The Python meaning of operation ``op`` (``n`` = sequence space): used to fold constants and
    by the closure backend; another backend must give each name the same meaning."""
    if op == "in":
        return lambda x: x in extra
    fn = _VALUE_OPS.get(op)
    if fn is not None:
        return fn
    return _SEQ_OPS[op](n)


_VALUE_OPS = {
    "not": lambda x: not x,
    "neg": lambda x: -x,
    "and": lambda x, y: x and y,
    "or": lambda x, y: x or y,
    "implies": lambda x, y: (not x) or y,
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": _floordiv,
    "%": _mod,
    "min": min,
    "max": max,
}


def _seq_in(n):
    # x lies in the half-open modular interval [lo, hi)
    return lambda x, lo, hi: (x - lo) % n < (hi - lo) % n


def _seq_lt(n):
    # RFC 1982 serial-number order: a < b when b is less than half the space ahead
    return lambda a, b: 0 < (b - a) % n < n / 2


def _seq_le(n):
    return lambda a, b: a == b or 0 < (b - a) % n < n / 2


# operations whose meaning depends on the sequence space; "seq+"/"seq-" take one seq operand
# ("seq-" of two seqs is the forward distance, an int)
_SEQ_OPS = {
    "to_seq": lambda n: lambda x: x % n,
    "seq+": lambda n: lambda x, y: (x + y) % n,
    "seq-": lambda n: lambda x, y: (x - y) % n,
    "seq_in": _seq_in,
    "seq_lt": _seq_lt,
    "seq_le": _seq_le,
}


def expand_definition(node: Name, macros: dict, expanding: list, compile_one):
    """Translate a name bound by ``[define]``: its definition, compiled in place, with
    self-reference refused and errors located at the use (shared by every backend)."""
    key = node.dotted
    if key in expanding:
        raise ExprError(f"definition '{key}' refers to itself", node.pos)
    if len(expanding) >= MAX_DEFINITIONS:
        raise ExprError(f"definitions use definitions more than {MAX_DEFINITIONS} levels deep "
                        f"({' -> '.join(expanding[:3])} -> ... -> {key})", node.pos,
                        "use fewer levels of [define] names")
    expanding.append(key)
    try:
        return compile_one(macros[key])
    except ExprError as e:
        raise ExprError(f"in definition '{key}': {e.msg}", node.pos, e.fix) from None
    finally:
        expanding.pop()


class Compiler:
    """Type-checks an AST against a scope and turns it into closures.

    Type rules and constant folding live here; the leaves are built by ``_lift`` (an operation
    on non-constant operands) and ``_ite`` (a conditional), which a subclass can replace to
    compile the same AST to another representation (see ``engines/symbolic/encoding.py``).
    """

    def __init__(self, scope: Scope):
        self.scope = scope
        self.n = scope.seq_space
        self._expanding: list[str] = []

    # ------------------------------------------------------------ backend: closures

    def _lift(self, t, op: str, args: list, extra=None) -> Compiled:
        """``op`` applied to ``args`` (at least one not constant), as a closure."""
        if op in ("and", "or", "implies"):
            fa, fb = args[0].fn, args[1].fn  # short-circuit, as Python evaluates them
            if op == "and":
                return Compiled(t, lambda env: fa(env) and fb(env))
            if op == "or":
                return Compiled(t, lambda env: fa(env) or fb(env))
            return Compiled(t, lambda env: (not fa(env)) or fb(env))
        fn = value_op(op, self.n, extra)
        if len(args) == 1:
            f = args[0].fn
            return Compiled(t, lambda env: fn(f(env)))
        if len(args) == 2:
            a, b = args
            fa, fb = a.fn, b.fn
            if b.is_const:
                bv = b.value
                return Compiled(t, lambda env: fn(fa(env), bv))
            if a.is_const:
                av = a.value
                return Compiled(t, lambda env: fn(av, fb(env)))
            return Compiled(t, lambda env: fn(fa(env), fb(env)))
        f0, f1, f2 = (a.fn for a in args)
        return Compiled(t, lambda env: fn(f0(env), f1(env), f2(env)))

    def _ite(self, t, test: Compiled, x: Compiled, y: Compiled) -> Compiled:
        tf, xf, yf = test.fn, x.fn, y.fn
        return Compiled(t, lambda env: xf(env) if tf(env) else yf(env))

    def _quant(self, func: str, chan: Binding, inner: Scope, body: Node) -> Compiled:
        """all/any/count over a channel: the body sees (env, segment) through ``inner``."""
        f = Compiler(inner).compile(body, BOOL).fn
        items = chan.getter  # env -> the channel's segments, each a tuple for ``inner``
        if func == "all":
            return Compiled(BOOL, lambda env: all(f((env, x)) for x in items(env)))
        if func == "any":
            return Compiled(BOOL, lambda env: any(f((env, x)) for x in items(env)))
        return Compiled(INT, lambda env: sum(1 for x in items(env) if f((env, x))))

    # ------------------------------------------------------------ type rules and folding

    def _op(self, t, op: str, args: list, extra=None) -> Compiled:
        if all(a.is_const for a in args):
            return _const(t, value_op(op, self.n, extra)(*[a.value for a in args]))
        return self._lift(t, op, args, extra)

    @deep
    def compile(self, node: Node, want=None) -> Compiled:
        if isinstance(node, Cond) and want is not None:
            t = self.compile(node.test, BOOL)
            x = self.compile(node.then, want)
            y = self.compile(node.other, want)
            if t.is_const:
                return x if t.value else y
            return self._ite(want, t, x, y)
        c = self._c(node)
        if want is not None:
            c = self.coerce(c, want, node)
        return c

    # coercions: an int where a seq is wanted becomes a sequence number
    def coerce(self, c: Compiled, want, node: Node) -> Compiled:
        if c.type == want:
            return c
        if want == SEQ and c.type == INT:
            return self._op(SEQ, "to_seq", [c])
        if isinstance(want, Enum) and c.type == "str":
            return _const(want, want.index(c.value, node.pos))
        raise ExprError(f"expected {type_name(want)} but this is {type_name(c.type)}", node.pos)

    def _c(self, node: Node) -> Compiled:
        if isinstance(node, Lit):
            return _const(BOOL if isinstance(node.value, bool) else INT, node.value)
        if isinstance(node, Str):
            return _const("str", node.value)
        if isinstance(node, ListLit):
            raise ExprError("a list is only allowed on the right of 'in'", node.pos)
        if isinstance(node, Name):
            return self._name(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, Unary):
            a = self._c(node.arg)
            if node.op == "not":
                return self._op(BOOL, "not", [self.coerce(a, BOOL, node.arg)])
            if a.type != INT:
                raise ExprError(f"unary '-' needs an int, not {type_name(a.type)}", node.pos)
            return self._op(INT, "neg", [a])
        if isinstance(node, Cond):
            t = self.coerce(self._c(node.test), BOOL, node.test)
            x = self._c(node.then)
            y = self._c(node.other)
            x, y = self._unify(x, y, node.then, node.other)
            if t.is_const:
                return x if t.value else y
            return self._ite(x.type, t, x, y)
        if isinstance(node, Binary):
            return self._binary(node)
        raise ExprError("unsupported expression", node.pos)  # pragma: no cover

    def _name(self, node: Name) -> Compiled:
        key = node.dotted
        if key in self.scope.macros and key not in self.scope.names:
            return expand_definition(node, self.scope.macros, self._expanding, self._c)
        b = self.scope.lookup(node)
        if isinstance(b.type, tuple):
            raise ExprError(f"'{key}' is a list; use it on the right of 'in'", node.pos)
        if b.type == CHAN:
            raise ExprError(f"'{key}' is a channel", node.pos,
                            f"use it in all({key}, ...), any({key}, ...) or count({key}, ...)")
        if b.is_const:
            return _const(b.type, b.const)
        return Compiled(b.type, b.getter)

    def _unify(self, x: Compiled, y: Compiled, nx: Node, ny: Node):
        if x.type == y.type:
            if x.type == "str":
                raise ExprError("cannot tell the type of two bare strings", nx.pos)
            return x, y
        if x.type == "str" and isinstance(y.type, Enum):
            return self.coerce(x, y.type, nx), y
        if y.type == "str" and isinstance(x.type, Enum):
            return x, self.coerce(y, x.type, ny)
        if {x.type, y.type} == {INT, SEQ}:
            return self.coerce(x, SEQ, nx), self.coerce(y, SEQ, ny)
        raise ExprError(f"cannot combine {type_name(x.type)} with {type_name(y.type)}", nx.pos)

    def _binary(self, node: Binary) -> Compiled:
        op = node.op
        if op in ("and", "or", "implies"):
            a = self.coerce(self._c(node.left), BOOL, node.left)
            b = self.coerce(self._c(node.right), BOOL, node.right)
            if a.is_const:
                if op == "and":
                    return b if a.value else _const(BOOL, False)
                if op == "or":
                    return _const(BOOL, True) if a.value else b
                return b if a.value else _const(BOOL, True)
            if b.is_const:
                bv = b.value
                if op == "and":
                    return a if bv else _const(BOOL, False)
                if op == "or":
                    return _const(BOOL, True) if bv else a
                return _const(BOOL, True) if bv else self._op(BOOL, "not", [a])
            return self._op(BOOL, op, [a, b])
        if op == "in":
            return self._in(node)
        a = self._c(node.left)
        b = self._c(node.right)
        if op in ("==", "!="):
            a, b = self._unify(a, b, node.left, node.right)
            return self._op(BOOL, op, [a, b])
        if op in ("<", "<=", ">", ">="):
            if SEQ in (a.type, b.type):
                raise ExprError(f"'{op}' on sequence numbers is ambiguous (they wrap around)",
                                node.pos, "use seq_lt(a, b), seq_le(a, b) or seq_in(x, lo, hi)")
            for c, n in ((a, node.left), (b, node.right)):
                if c.type != INT:
                    raise ExprError(f"'{op}' needs ints, not {type_name(c.type)}", n.pos)
            return self._op(BOOL, op, [a, b])
        # arithmetic
        for c, nd in ((a, node.left), (b, node.right)):
            if c.type not in (INT, SEQ):
                raise ExprError(f"'{op}' needs numbers, not {type_name(c.type)}", nd.pos)
        if a.type == SEQ or b.type == SEQ:
            if op == "+" and a.type == SEQ and b.type == SEQ:
                raise ExprError("adding two sequence numbers means nothing", node.pos,
                                "add an int offset, e.g. snd_nxt + 1")
            if op == "+":
                return self._op(SEQ, "seq+", [a, b])
            if op == "-" and a.type == SEQ:
                # seq - int wraps; seq - seq is the forward distance (an int)
                return self._op(INT if b.type == SEQ else SEQ, "seq-", [a, b])
            raise ExprError(f"'{op}' is not defined on sequence numbers", node.pos,
                            "only seq + int, seq - int and seq - seq are")
        if op in ("/", "%"):
            # a divisor that may be 0 would need a value for x / 0: the language has none
            if not b.is_const:
                raise ExprError(f"'{op}' needs a constant divisor (a number, a parameter or a "
                                "[constants] name)", node.right.pos,
                                "e.g. x / 2; for a variable divisor write the cases out with "
                                "if ... then ... else")
            if b.value == 0:
                raise ExprError(f"'{op}' by zero", node.right.pos)
        return self._op(INT, op, [a, b])

    def _in(self, node: Binary) -> Compiled:
        a = self._c(node.left)
        right = node.right
        if isinstance(right, Name):
            key = right.dotted
            macro = self.scope.macros.get(key) if key not in self.scope.names else None
            if isinstance(macro, ListLit):
                right = macro
            else:
                b = self.scope.lookup(right)
                if not (isinstance(b.type, tuple) and b.type[0] == "list"):
                    raise ExprError(f"'{key}' is not a list", right.pos,
                                    "write a list such as ['CLOSED', 'LISTEN'] or a group name")
                elem = b.type[1]
                a = self.coerce(a, elem, node.left)
                values = frozenset(elem.index(v, right.pos) for v in b.const)
                return self._op(BOOL, "in", [a], values)
        if not isinstance(right, ListLit):
            raise ExprError("'in' needs a list on its right, e.g. ['CLOSED', 'LISTEN']",
                            right.pos)
        items = []
        for it in right.items:
            c = self._c(it)
            a2, c = self._unify(a, c, node.left, it)
            a = a2
            if not c.is_const:
                raise ExprError("list items must be constants", it.pos)
            items.append(c.value)
        return self._op(BOOL, "in", [a], frozenset(items))

    def _call(self, node: Call) -> Compiled:
        if node.func in QUANTIFIERS:
            return self._quantifier(node)
        spec = _FUNCS.get(node.func)
        if spec is None:
            raise ExprError(f"unknown function '{node.func}'", node.pos,
                            did_you_mean(node.func, list(_FUNCS) + list(QUANTIFIERS)))
        argtypes, rtype = spec
        if len(node.args) != len(argtypes):
            raise ExprError(f"{node.func}() takes {len(argtypes)} arguments, got {len(node.args)}",
                            node.pos)
        args = [self.compile(a, t) for a, t in zip(node.args, argtypes)]
        return self._op(rtype, node.func, args)


    def _quantifier(self, node: Call) -> Compiled:
        usage = f"{node.func}(ab, condition on seg.*)"
        if len(node.args) != 2 or not isinstance(node.args[0], Name):
            raise ExprError(f"{node.func}() takes a channel and a condition", node.pos, usage)
        chan = node.args[0]
        b = self.scope.lookup(chan)
        if b.type != CHAN:
            raise ExprError(f"'{chan.dotted}' is not a channel", chan.pos, "use ab or ba")
        if self.scope.element is None:
            raise ExprError(f"{node.func}() is not available here (they do not nest)", node.pos)
        return self._quant(node.func, b, self.scope.element(chan.dotted), node.args[1])


QUANTIFIERS = ("all", "any", "count")

_FUNCS = {
    "seq_in": ((SEQ, SEQ, SEQ), BOOL),
    "seq_lt": ((SEQ, SEQ), BOOL),
    "seq_le": ((SEQ, SEQ), BOOL),
    "min": ((INT, INT), INT),
    "max": ((INT, INT), INT),
}
FUNCTIONS = tuple(_FUNCS)


def names_used(node: Node, scope_macros: dict | None = None) -> set[str]:
    """Dotted names an expression reads, with definitions expanded."""
    out: set[str] = set()
    seen: set[str] = set()
    todo = [node]
    while todo:
        for x in walk(todo.pop()):
            if isinstance(x, Name):
                key = x.dotted
                if scope_macros and key in scope_macros:
                    if key not in seen:
                        seen.add(key)
                        todo.append(scope_macros[key])
                else:
                    out.add(key)
    return out


def definitions_used(node: Node, macros: dict) -> list[str]:
    """The ``macros`` names an expression reads, directly or through other definitions, in
    the order a reader meets them (depth first, each once)."""
    seen: list[str] = []
    stack = [walk(node)]
    while stack:
        x = next(stack[-1], None)
        if x is None:
            stack.pop()
            continue
        key = getattr(x, "dotted", None)
        if key in macros and key not in seen:
            seen.append(key)
            stack.append(walk(macros[key]))
    return seen


def located(err: ExprError, text: str, *, file: str | None, where: str) -> InputError:
    """An ExprError as a one-line InputError: line and column in the expression, and the
    offending line with a ``>>>`` caret where parsing or type checking failed."""
    pos = max(0, min(err.pos, len(text)))
    line_no = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start:end if end >= 0 else len(text)]
    col = pos - start + 1
    marked = (line[:col - 1] + ">>>" + line[col - 1:]).strip()
    if len(marked) > 70:
        i = marked.index(">>>")
        lo = max(0, i - 35)
        marked = ("..." if lo else "") + marked[lo:lo + 70] + "..."
    at = f"line {line_no}, column {col}" if "\n" in text.strip() else f"column {col}"
    return InputError(f"{err.msg} [{at}: {marked}]", file=file, where=where, fix=err.fix)


@deep
def to_text(node: Node) -> str:
    """The expression written back as text (nested operations in parentheses), for labels."""
    def sub(n: Node) -> str:
        t = to_text(n)
        return f"({t})" if isinstance(n, (Binary, Cond)) else t

    if isinstance(node, Lit):
        return ("true" if node.value else "false") if isinstance(node.value, bool) else str(node.value)
    if isinstance(node, Str):
        return f"'{node.value}'"
    if isinstance(node, ListLit):
        return "[" + ", ".join(to_text(x) for x in node.items) + "]"
    if isinstance(node, Name):
        return node.dotted
    if isinstance(node, Call):
        return f"{node.func}(" + ", ".join(to_text(x) for x in node.args) + ")"
    if isinstance(node, Unary):
        return f"not {sub(node.arg)}" if node.op == "not" else f"-{sub(node.arg)}"
    if isinstance(node, Binary):
        return f"{sub(node.left)} {node.op} {sub(node.right)}"
    if isinstance(node, Cond):
        return f"if {to_text(node.test)} then {to_text(node.then)} else {to_text(node.other)}"
    raise TypeError(node)
