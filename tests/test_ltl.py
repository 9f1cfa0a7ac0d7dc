"""Full LTL: the formula syntax, and the translation to Büchi automata against a direct
evaluation of the formula on ultimately periodic words (random formulas and words)."""

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcpmodel import expr as E
from tcpmodel import ltl

ATOMS = 3


def formulas():
    leaf = st.one_of(st.integers(0, ATOMS - 1).map(lambda i: ("ap", i)),
                     st.sampled_from([("true",), ("false",)]))

    def grow(sub):
        return st.one_of(
            st.tuples(st.sampled_from(["not", "X", "G", "F"]), sub),
            st.tuples(st.sampled_from(["and", "or", "implies", "U", "R"]), sub, sub))
    return st.recursive(leaf, grow, max_leaves=6)


words = st.lists(st.frozensets(st.integers(0, ATOMS - 1)), min_size=1, max_size=5)


def gba_accepts(g: ltl.GBA, word: list, loop: int) -> bool:
    """Whether the automaton has an accepting run on the lasso word (networkx SCCs: an
    independent check of the product search)."""
    n = len(word)
    nxt = [i + 1 if i + 1 < n else loop for i in range(n)]
    graph = nx.DiGraph()
    start = [(0, q) for q in g.initial if g.admits(q, lambda a: a in word[0])]
    todo = list(start)
    graph.add_nodes_from(start)
    while todo:
        i, q = todo.pop()
        j = nxt[i]
        for r in g.succ[q]:
            if g.admits(r, lambda a, j=j: a in word[j]):
                if (j, r) not in graph:
                    todo.append((j, r))
                graph.add_edge((i, q), (j, r))
    for comp in nx.strongly_connected_components(graph):
        c = next(iter(comp))
        if len(comp) == 1 and not graph.has_edge(c, c):
            continue
        if all(any(q in acc for _, q in comp) for acc in g.accept):
            if any(nx.has_path(graph, s, c) for s in start):
                return True
    return False


@settings(max_examples=400, deadline=None)
@given(formulas(), words, st.data())
def test_gba_accepts_exactly_the_words_satisfying_the_formula(f, word, data):
    loop = data.draw(st.integers(0, len(word) - 1))
    assert gba_accepts(ltl.to_gba(f), word, loop) == ltl.holds_on_lasso(f, word, loop)


@settings(max_examples=150, deadline=None)
@given(formulas(), st.frozensets(st.integers(0, ATOMS - 1)))
def test_accepts_forever_is_acceptance_of_the_repeated_letter(f, letter):
    g = ltl.to_gba(f)
    good = ltl.accepts_forever(g, lambda a: a in letter)
    assert bool(set(g.initial) & good) == ltl.holds_on_lasso(f, [letter], 0)


def test_nnf_is_equivalent_and_negation_free():
    f = ("not", ("implies", ("G", ("F", ("ap", 0))), ("F", ("ap", 1))))
    g = ltl.nnf(f)
    assert all(x[0] != "not" for x in _subformulas(g))
    for word, loop in (([{0}, set()], 0), ([{0, 1}], 0), ([set(), {0}], 1)):
        assert ltl.holds_on_lasso(f, word, loop) == ltl.holds_on_lasso(g, word, loop)


def _subformulas(f):
    yield f
    for x in f[1:]:
        if isinstance(x, tuple):
            yield from _subformulas(x)


@pytest.mark.parametrize("text, shape", [
    ("(always eventually p) implies eventually q", "(always (eventually (p0)) implies eventually (p1))"),
    ("always p and q", "always (p0)"),                       # a prefix operator extends right
    ("(eventually p) and (eventually q)", "(eventually (p0) and eventually (p1))"),
    ("p until q until r", "(p0 until (p1 until p2))"),
    ("p leads_to q", "always ((p0 implies eventually (p1)))"),
    ("not eventually (always x.state == 'A')", "not (eventually (always (p0)))"),
    ("next a.x + 1 == 2", "next (p0)"),
])
def test_syntax(text, shape):
    f, _ = ltl.parse(text)
    assert ltl.text(f) == shape


def test_classic_forms_are_recognised():
    assert ltl.classic_kind(ltl.parse("always (p implies eventually q)")[0])[0] == "leads_to"
    assert ltl.classic_kind(ltl.parse("always eventually p")[0])[0] == "always_eventually"
    assert ltl.classic_kind(ltl.parse("eventually always p")[0]) is None


@pytest.mark.parametrize("text, msg", [
    ("(eventually p) == q", "can only be combined"),
    ("always", "needs a formula"),
    ("p leads_to q leads_to r", "only one 'leads_to'"),
    ("until p", "needs an expression before it"),
])
def test_syntax_errors(text, msg):
    with pytest.raises(E.ExprError, match=msg):
        ltl.parse(text)
