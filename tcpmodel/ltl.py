"""Full LTL for properties: the syntax, negation normal form, and a translation to Büchi automata.

A formula mixes the expression language with temporal operators::

    always P    eventually P    next P    P until Q    P leads_to Q (= always (P implies eventually Q))

combined with ``not``, ``and``, ``or``, ``implies`` and parentheses, e.g.
``(always eventually p) implies eventually q``.  A prefix operator (always, eventually, next)
extends as far right as it can, as ``always P`` always has: ``always p and q`` is
``always (p and q)``.  The maximal parts without temporal operators are *atoms*: state
expressions compiled like any other formula.

Formulas are tuples: ``("ap", i)``, ``("nap", i)`` (a negated atom), ``("true",)``,
``("false",)``, ``("not", f)``, ``("and", f, g)``, ``("or", f, g)``, ``("implies", f, g)``,
``("X", f)``, ``("U", f, g)``, ``("R", f, g)``, ``("G", f)``, ``("F", f)``.  :func:`to_gba`
translates a formula to a generalised Büchi automaton with the on-the-fly tableau of Gerth,
Peled, Vardi and Wolper ("Simple on-the-fly automatic verification of linear temporal logic",
1995); the explicit engine checks a property by searching the product of the reachable graph
with the automaton of its negation for a fair accepting cycle (``engines/explicit/ltl_check.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import expr as E

PREFIX = ("always", "eventually", "next")
INFIX = ("until", "leads_to")
TEMPORAL_WORDS = frozenset(PREFIX + INFIX)


@dataclass(frozen=True)
class Temporal(E.Node):
    """A temporal operator in a parsed formula: always, eventually, next, until, leads_to."""
    op: str
    args: tuple


class LTLParser(E.Parser):
    """The expression parser with temporal operators (lowest first: leads_to, implies, until,
    or, and; prefix operators at the level of values, extending as far right as they can)."""

    def __init__(self, text: str):
        super().__init__(text, stop=frozenset(INFIX))

    def _at_word(self, words) -> bool:
        t = self.tok
        nxt = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
        return (t.kind == "name" and t.text in words
                and not (nxt is not None and nxt.kind == "op" and nxt.text == "."))

    def expr(self) -> E.Node:
        left = self.implies()
        if self._at_word(("leads_to",)):
            t = self.take()
            right = self.implies()
            if self._at_word(("leads_to",)):
                raise E.ExprError("only one 'leads_to' per formula: 'leads_to' does not chain",
                                  self.tok.pos, "put one side in parentheses")
            return Temporal(t.pos, "leads_to", (left, right))
        return left

    def implies(self) -> E.Node:
        left = self.until()
        if self.at("implies"):
            t = self.take()
            return E.Binary(t.pos, "implies", left, self.implies())
        return left

    def until(self) -> E.Node:
        left = self.or_()
        if self._at_word(("until",)):
            t = self.take()
            return Temporal(t.pos, "until", (left, self.until()))
        return left

    def atom(self) -> E.Node:
        if self._at_word(PREFIX):
            t = self.take()
            if self.at_stop() or self.at(")", ",", "]"):
                raise E.ExprError(f"'{t.text}' needs a formula after it", self.tok.pos)
            return Temporal(t.pos, t.text, (self.expr(),))
        return super().atom()


def has_temporal(node) -> bool:
    """The node is, or contains, a temporal operator (``E.walk`` yields it without descending)."""
    return any(isinstance(x, Temporal) for x in E.walk(node))


def parse(text: str, pad: int = 0):
    """(formula tuple, atom nodes): the formula with atoms numbered in order of appearance."""
    node = LTLParser(" " * pad + text).parse_all()
    atoms: list = []
    return convert(node, atoms), atoms


def convert(node, atoms: list):
    """The formula tuple of a parsed node; temporal-free parts become atoms (appended)."""
    if not has_temporal(node):
        if node not in atoms:
            atoms.append(node)
        return ("ap", atoms.index(node))
    if isinstance(node, Temporal):
        args = [convert(a, atoms) for a in node.args]
        if node.op == "always":
            return ("G", args[0])
        if node.op == "eventually":
            return ("F", args[0])
        if node.op == "next":
            return ("X", args[0])
        if node.op == "until":
            return ("U", args[0], args[1])
        return ("G", ("implies", args[0], ("F", args[1])))   # leads_to
    if isinstance(node, E.Binary) and node.op in ("and", "or", "implies"):
        return (node.op, convert(node.left, atoms), convert(node.right, atoms))
    if isinstance(node, E.Unary) and node.op == "not":
        return ("not", convert(node.arg, atoms))
    raise E.ExprError("a temporal operator can only be combined with not, and, or, implies "
                      "(and other temporal operators)", node.pos,
                      "move the comparison inside: eventually (x == y)")


# ---------------------------------------------------------------- normal form

def nnf(f, neg: bool = False):
    """Negation normal form with only ap/nap/true/false/and/or/X/U/R (of ``not f`` if ``neg``)."""
    op = f[0]
    if op == "ap":
        return ("nap", f[1]) if neg else f
    if op == "nap":
        return ("ap", f[1]) if neg else f
    if op == "true":
        return ("false",) if neg else f
    if op == "false":
        return ("true",) if neg else f
    if op == "not":
        return nnf(f[1], not neg)
    if op == "and":
        return (("or" if neg else "and"), nnf(f[1], neg), nnf(f[2], neg))
    if op == "or":
        return (("and" if neg else "or"), nnf(f[1], neg), nnf(f[2], neg))
    if op == "implies":
        return nnf(("or", ("not", f[1]), f[2]), neg)
    if op == "X":
        return ("X", nnf(f[1], neg))
    if op == "U":
        return (("R" if neg else "U"), nnf(f[1], neg), nnf(f[2], neg))
    if op == "R":
        return (("U" if neg else "R"), nnf(f[1], neg), nnf(f[2], neg))
    if op == "G":
        return nnf(("R", ("false",), f[1]), neg)
    if op == "F":
        return nnf(("U", ("true",), f[1]), neg)
    raise ValueError(f"not an LTL formula: {f!r}")


def fold(f):
    """``f`` (in negation normal form) with the constants true and false folded away."""
    op = f[0]
    if op in ("ap", "nap", "true", "false"):
        return f
    args = [fold(x) for x in f[1:]]
    T, F = ("true",), ("false",)
    if op == "X":
        return args[0] if args[0] in (T, F) else ("X", args[0])
    a, b = args
    if op == "and":
        if F in (a, b):
            return F
        return b if a == T else a if b == T else ("and", a, b)
    if op == "or":
        if T in (a, b):
            return T
        return b if a == F else a if b == F else ("or", a, b)
    if b in (T, F):          # a U true, a U false, a R true, a R false
        return b
    return (op, a, b)


def classic_kind(f) -> tuple | None:
    """(kind, atom, goal atom) when ``f`` is one of the classic forms, else None."""
    if f[0] == "G" and f[1][0] == "ap":
        return "always", f[1][1], None
    if f[0] == "F" and f[1][0] == "ap":
        return "eventually", f[1][1], None
    if f[0] == "G" and f[1][0] == "F" and f[1][1][0] == "ap":
        return "always_eventually", f[1][1][1], None
    if (f[0] == "G" and f[1][0] == "implies" and f[1][1][0] == "ap" and f[1][2][0] == "F"
            and f[1][2][1][0] == "ap"):
        return "leads_to", f[1][1][1], f[1][2][1][1]
    return None


def text(f, names=None) -> str:
    """A formula tuple written out (atoms as p0, p1, ... or ``names[i]``)."""
    op = f[0]
    if op in ("ap", "nap"):
        a = names[f[1]] if names else f"p{f[1]}"
        return f"not {a}" if op == "nap" else a
    if op in ("true", "false"):
        return op
    if op == "not":
        return f"not ({text(f[1], names)})"
    if op in ("and", "or", "implies"):
        return f"({text(f[1], names)} {op} {text(f[2], names)})"
    if op in ("X", "G", "F"):
        word = {"X": "next", "G": "always", "F": "eventually"}[op]
        return f"{word} ({text(f[1], names)})"
    word = {"U": "until", "R": "release"}[op]
    return f"({text(f[1], names)} {word} {text(f[2], names)})"


# ---------------------------------------------------------------- automaton

@dataclass
class GBA:
    """A generalised Büchi automaton whose states carry their letter: node ``i`` may be entered
    only on a state where every atom in ``pos[i]`` holds and none in ``neg[i]`` does.

    ``succ[i]`` lists successor nodes, ``initial`` the nodes a run may start in, ``accept`` one
    set of nodes per until-subformula: an accepting run visits each set infinitely often."""
    pos: list
    neg: list
    succ: list
    initial: list
    accept: list

    def __len__(self) -> int:
        return len(self.pos)

    def admits(self, i: int, value) -> bool:
        """Node i's letter holds where ``value(atom)`` gives each atom's truth."""
        return all(value(a) for a in self.pos[i]) and not any(value(a) for a in self.neg[i])


def to_gba(f) -> GBA:
    """The generalised Büchi automaton accepting exactly the runs satisfying ``f`` (any form:
    it is put in negation normal form first)."""
    f = fold(nnf(f))
    untils = sorted({g for g in _subformulas(f) if g[0] == "U"}, key=repr)
    init = -1
    incoming: list = []
    olds: list = []
    index: dict = {}
    stack = [(frozenset([init]), (f,), frozenset(), frozenset())]
    while stack:
        inc, new, old, nxt = stack.pop()
        if not new:
            # nodes with the same letter, obligations and acceptance are the same node
            # (merging them keeps GPVW's automaton small for disjunctions of eventualities)
            key = (frozenset(g for g in old if g[0] in ("ap", "nap")), nxt,
                   tuple(u not in old or u[2] in old for u in untils))
            j = index.get(key)
            if j is not None:
                incoming[j] |= inc
                continue
            j = index[key] = len(olds)
            olds.append(old)
            incoming.append(set(inc))
            stack.append((frozenset([j]), tuple(nxt), frozenset(), frozenset()))
            continue
        eta, rest = new[0], new[1:]
        if eta in old:
            stack.append((inc, rest, old, nxt))
            continue
        op = eta[0]
        old2 = old | {eta}
        if op in ("ap", "nap", "true", "false"):
            if op == "false" or _neg_literal(eta) in old:
                continue  # contradictory: no run passes here
            stack.append((inc, rest, old2, nxt))
        elif op == "and":
            stack.append((inc, rest + (eta[1], eta[2]), old2, nxt))
        elif op == "or":
            stack.append((inc, rest + (eta[1],), old2, nxt))
            stack.append((inc, rest + (eta[2],), old2, nxt))
        elif op == "X":
            stack.append((inc, rest, old2, nxt | {eta[1]}))
        elif op == "U":   # a U b = b or (a and X(a U b))
            stack.append((inc, rest + (eta[1],), old2, nxt | {eta}))
            stack.append((inc, rest + (eta[2],), old2, nxt))
        elif op == "R":   # a R b = (a and b) or (b and X(a R b))
            stack.append((inc, rest + (eta[2],), old2, nxt | {eta}))
            stack.append((inc, rest + (eta[1], eta[2]), old2, nxt))
        else:
            raise ValueError(f"not in negation normal form: {eta!r}")
    n = len(olds)
    succ: list = [[] for _ in range(n)]
    for j in range(n):
        for i in incoming[j]:
            if i != init:
                succ[i].append(j)
    accept = [{j for j in range(n) if u not in olds[j] or u[2] in olds[j]} for u in untils]
    pos = [frozenset(g[1] for g in old if g[0] == "ap") for old in olds]
    neg = [frozenset(g[1] for g in old if g[0] == "nap") for old in olds]
    initial = [j for j in range(n) if init in incoming[j]]
    return GBA(pos, neg, [sorted(s) for s in succ], initial, accept)


def _subformulas(f):
    yield f
    for x in f[1:]:
        if isinstance(x, tuple):
            yield from _subformulas(x)


def _neg_literal(lit):
    op = lit[0]
    if op in ("ap", "nap"):
        return ("nap" if op == "ap" else "ap", lit[1])
    return ("false",) if op == "true" else ("true",)


def accepts_forever(g: GBA, value) -> set:
    """Nodes from which the automaton accepts one state repeated forever (a run that stops in a
    dead end), where ``value(atom)`` is that state's valuation."""
    from .engines.explicit.scc import strongly_connected_components

    ok = {i for i in range(len(g)) if g.admits(i, value)}
    good = set()
    for comp in strongly_connected_components(ok, lambda i: g.succ[i]):
        cs = set(comp)
        if len(comp) == 1 and comp[0] not in g.succ[comp[0]]:
            continue
        if all(cs & acc for acc in g.accept):
            good |= cs
    # and every node of ``ok`` that reaches such a cycle inside ``ok``
    changed = True
    while changed:
        changed = False
        for i in ok - good:
            if any(j in good for j in g.succ[i]):
                good.add(i)
                changed = True
    return good


# ---------------------------------------------------------------- reference semantics (tests)

def holds_on_lasso(f, word: list, loop: int) -> bool:
    """Whether ``f`` holds on the infinite word ``word[:loop] (word[loop:])^omega``; each letter
    is a set of the atoms that hold.  A direct fixpoint evaluation, used to test ``to_gba``."""
    n = len(word)
    nxt = [i + 1 if i + 1 < n else loop for i in range(n)]
    memo: dict = {}

    def ev(g) -> list:
        key = g
        if key in memo:
            return memo[key]
        op = g[0]
        if op == "ap":
            r = [g[1] in w for w in word]
        elif op == "nap":
            r = [g[1] not in w for w in word]
        elif op == "true":
            r = [True] * n
        elif op == "false":
            r = [False] * n
        elif op == "not":
            r = [not x for x in ev(g[1])]
        elif op in ("and", "or", "implies"):
            a, b = ev(g[1]), ev(g[2])
            r = [(x and y) if op == "and" else (x or y) if op == "or" else ((not x) or y)
                 for x, y in zip(a, b)]
        elif op == "X":
            a = ev(g[1])
            r = [a[nxt[i]] for i in range(n)]
        elif op in ("U", "F"):
            a, b = (ev(g[1]), ev(g[2])) if op == "U" else ([True] * n, ev(g[1]))
            r = [False] * n   # least fixpoint
            for _ in range(n + 1):
                r = [b[i] or (a[i] and r[nxt[i]]) for i in range(n)]
        elif op in ("R", "G"):
            a, b = (ev(g[1]), ev(g[2])) if op == "R" else ([False] * n, ev(g[1]))
            r = [True] * n    # greatest fixpoint
            for _ in range(n + 1):
                r = [b[i] and (a[i] or r[nxt[i]]) for i in range(n)]
        else:
            raise ValueError(op)
        memo[key] = r
        return r

    return ev(f)[0]
