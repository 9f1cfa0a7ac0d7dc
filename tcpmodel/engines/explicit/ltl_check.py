"""Full LTL properties on the explicit engine's reachable graph, under the check's fairness.

The negation of the formula is translated to a generalised Büchi automaton (``tcpmodel.ltl``);
a violation is a run of the system that the automaton accepts and that is fair: a lasso in the
product of the reachable graph with the automaton whose loop is fair (the system's fairness
labels, as for the other liveness properties) and visits every acceptance set, or a run that
stops in a dead end whose last state, repeated forever, the automaton accepts.
"""

from __future__ import annotations

from ... import ltl
from .fair_cycles import Graph, find_lasso


def product(graph: Graph, gba: ltl.GBA, truth: list) -> tuple:
    """The reachable product of ``graph`` with ``gba``: (product Graph, system node of each
    product node, automaton node of each).  ``truth[v]`` is the set of atoms holding at v.
    Product edges keep the system edge's label, action index and request, so a product path
    replays as a system path; enabled labels are the system node's."""
    admits = {}
    moves: dict = {}   # (automaton node, valuation of the target) -> admissible successors

    def ok(q, v):
        key = (q, truth[v])
        r = admits.get(key)
        if r is None:
            r = admits[key] = gba.admits(q, truth[v].__contains__)
        return r

    def next_nodes(q, val):
        r = moves.get((q, val))
        if r is None:
            r = moves[q, val] = [x for x in gba.succ[q] if gba.admits(x, val.__contains__)]
        return r

    index: dict = {}
    sys_of: list = []
    aut_of: list = []
    succ: list = []
    initial = []
    for v in graph.initial:
        for q in gba.initial:
            if ok(q, v) and (v, q) not in index:
                index[v, q] = len(sys_of)
                sys_of.append(v)
                aut_of.append(q)
                succ.append(None)
                initial.append(index[v, q])
    i = 0
    while i < len(sys_of):
        v, q = sys_of[i], aut_of[i]
        out = []
        for w, lab, k, req in graph.succ[v]:
            for r in next_nodes(q, truth[w]):
                j = index.get((w, r))
                if j is None:
                    j = index[w, r] = len(sys_of)
                    sys_of.append(w)
                    aut_of.append(r)
                    succ.append(None)
                out.append((j, lab, k, req))
        succ[i] = out
        i += 1
    enabled = graph.enabled
    return Graph(succ, initial, [enabled[v] for v in sys_of]), sys_of, aut_of


def find_violation(graph: Graph, formula, truth: list, strength, *, recovery: bool = False):
    """A shortest fair run of ``graph`` violating ``formula``, as a Lasso over system nodes,
    or None.  ``truth[v]`` is the frozenset of atoms holding at node v.  With ``recovery`` the
    attacker's steps may not repeat forever (the attack ends, then the network is honest)."""
    gba = ltl.to_gba(("not", formula))
    pg, sys_of, aut_of = product(graph, gba, truth)
    dead: dict = {}

    def ends(p):
        v = sys_of[p]
        if not graph.terminal(v):
            return False
        good = dead.get(truth[v])
        if good is None:
            good = dead[truth[v]] = ltl.accepts_forever(gba, truth[v].__contains__)
        return aut_of[p] in good

    accept = [{p for p in range(len(sys_of)) if aut_of[p] in acc} for acc in gba.accept]
    loop_graph = pg.without_attacker() if recovery else None
    lasso = find_lasso(pg, None, pg.initial, strength, ends=ends, accept=accept,
                       loop_graph=loop_graph)
    if lasso is None:
        return None, len(sys_of)
    lasso.stem = [(sys_of[u], k, sys_of[w]) for u, k, w in lasso.stem]
    lasso.loop = [(sys_of[u], k, sys_of[w]) for u, k, w in lasso.loop]
    lasso.end = sys_of[lasso.end]
    return lasso, len(sys_of)
