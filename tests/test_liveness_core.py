"""Fair-cycle detection on hand-built graphs with known answers."""

import sys

from tcpmodel.engines.explicit.fair_cycles import Graph, fair_components, find_lasso
from tcpmodel.engines.explicit.scc import strongly_connected_components


def graph(n, edges, initial=(0,)):
    """edges: (u, v, label, request) tuples; action index = position among u's edges."""
    succ = [[] for _ in range(n)]
    for u, v, lab, *req in edges:
        succ[u].append((v, lab, len(succ[u]), req[0] if req else None))
    return Graph(succ, list(initial))


def fairness(table):
    return lambda lab: table.get(lab)


# 0 <-> 1 loops; the goal 2 is reachable only from 0 (label g, enabled at 0 only)
LOOP = [(0, 1, "a"), (1, 0, "b"), (0, 2, "g")]


def test_no_fairness_admits_the_loop():
    g = graph(3, LOOP)
    lasso = find_lasso(g, {0, 1}, [0], fairness({}))
    assert lasso is not None and lasso.loop


def test_weak_fairness_does_not_force_an_intermittently_enabled_label():
    g = graph(3, LOOP)
    assert find_lasso(g, {0, 1}, [0], fairness({"g": "weak"})) is not None


def test_strong_fairness_forces_it():
    g = graph(3, LOOP)
    assert find_lasso(g, {0, 1}, [0], fairness({"g": "strong"})) is None


def test_weak_fairness_forces_a_continuously_enabled_label():
    g = graph(2, [(0, 0, "a"), (0, 1, "g")])
    assert find_lasso(g, {0}, [0], fairness({})).loop == [(0, 0, 0)]
    assert find_lasso(g, {0}, [0], fairness({"g": "weak"})) is None


def test_terminal_state_is_a_counterexample():
    g = graph(2, [(0, 1, "a")])
    lasso = find_lasso(g, {0, 1}, [0], fairness({"a": "strong"}))
    assert lasso.loop == [] and lasso.end == 1 and lasso.stem == [(0, 0, 1)]


def test_emerson_lei_refinement_keeps_the_fair_part():
    # SCC {0,1,2}; s is enabled only at 2 and never taken inside: 2 must go, {0,1} stays fair
    g = graph(4, [(0, 1, "a"), (1, 0, "b"), (1, 2, "c"), (2, 1, "d"), (2, 3, "s")])
    comps = fair_components(g, {0, 1, 2}, fairness({"s": "strong"}))
    assert [c for c, _ in comps] == [{0, 1}]
    lasso = find_lasso(g, {0, 1, 2}, [0], fairness({"s": "strong"}))
    assert all(w != 2 for _, _, w in lasso.loop)


def test_edge_requests_make_a_dropped_send_count():
    # the loop 0->1->0 sends m on 0->1 (request) but never delivers m (edge 1->2 leaves)
    g = graph(3, [(0, 1, "a", "m"), (1, 0, "b"), (1, 2, "m")])
    assert find_lasso(g, {0, 1}, [0], fairness({"m": "strong"})) is None
    # without the request, m is enabled at 1 only: strong fairness still forbids the loop,
    # but a loop 0->0 that never sends m and never enables it is fair
    g2 = graph(3, [(0, 0, "a"), (0, 1, "x", "m"), (1, 0, "b"), (1, 2, "m")])
    lasso = find_lasso(g2, {0, 1}, [0], fairness({"m": "strong"}))
    assert lasso.loop == [(0, 0, 0)]


def test_fair_loop_takes_every_strongly_fair_label():
    # cycle 0->1->2->0 with a shortcut 0->2; labels x on 1->2 must appear in the loop
    g = graph(4, [(0, 1, "a"), (1, 2, "x"), (2, 0, "c"), (0, 2, "short"), (1, 3, "goal")])
    lasso = find_lasso(g, {0, 1, 2}, [0], fairness({"x": "strong", "goal": None}))
    labels = [g.succ[u][k][1] for u, k, _ in lasso.loop]
    assert "x" in labels
    # the loop is a real cycle: consecutive edges chain and it returns to its start
    for (u1, _, w1), (u2, _, _) in zip(lasso.loop, lasso.loop[1:]):
        assert w1 == u2
    assert lasso.loop[-1][2] == lasso.loop[0][0]


def test_scc_scales_past_the_recursion_limit():
    n = sys.getrecursionlimit() * 5
    succ = {v: [(v + 1) % n] for v in range(n)}
    comps = strongly_connected_components(range(n), lambda v: succ[v])
    assert len(comps) == 1 and len(comps[0]) == n
