"""Liveness on arrays (graph_arrays + fair_arrays) against the set-and-list algorithms of
fair_cycles.py: the same fair components and the same lassos, edge for edge."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tcpmodel.check import build, load_check
from tcpmodel.engines.explicit import check, fair_arrays as FA
from tcpmodel.engines.explicit.fair_cycles import Graph, bfs_within, fair_components, find_lasso
from tcpmodel.engines.explicit.graph_arrays import from_lists
from tcpmodel.engines.explicit.liveness import LIVENESS_KINDS, strength_fn
from tcpmodel.engines.explicit.vectorised import explore_fast

LABELS = ["a", "b", "c", "d"]
STRENGTH = st.sampled_from([None, "weak", "strong"])


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 9))
    succ = []
    for _ in range(n):
        es = draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from(LABELS + [None]),
                                     st.sampled_from(LABELS + [None, None])), max_size=4))
        succ.append([(w, lab, k, req) for k, (w, lab, req) in enumerate(es)])
    avoid = draw(st.sets(st.integers(0, n - 1)))
    starts = draw(st.lists(st.integers(0, n - 1), max_size=3))
    fairness = dict(zip(LABELS, draw(st.lists(STRENGTH, min_size=4, max_size=4))))
    return succ, avoid, starts, fairness


@pytest.fixture(params=["python", "scipy"])
def scc_kernel(request, monkeypatch):
    """Each test once with scc.py's Tarjan and once with scipy's (small graphs would otherwise
    take whichever the worker's imports decide)."""
    monkeypatch.setattr(FA, "FORCE_SCC", request.param)
    return request.param


# the fixture only picks the kernel: the same for every example
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs())
def test_random_graphs_same_components_and_lassos(scc_kernel, case):
    succ, avoid, starts, fairness = case
    old = Graph(succ, [0])
    new = from_lists(succ, [0])
    strength = fairness.get
    strg = FA.strengths(new, strength)
    mask = np.zeros(len(succ), bool)
    mask[list(avoid)] = True
    fair, _ = FA.fair_components(new, mask, strg)
    want = sorted(sorted(c) for c, _ in fair_components(old, set(avoid), strength))
    got = sorted(sorted(np.flatnonzero(fair == i).tolist()) for i in np.unique(fair[fair >= 0]))
    assert got == want
    assert FA.find_lasso(new, mask, starts, strg) == find_lasso(old, set(avoid), starts, strength)
    # with start distances and a stem from an initial tree
    tree = bfs_within(old, [0], None)
    atree = FA.bfs_tree(new, [0])
    assert {v: (p, k, d, r) for v, (p, k, d, r) in tree.items()} == {
        v: (None if atree.parent[v] < 0 else int(atree.parent[v]),
            -1 if atree.parent[v] < 0 else int(atree.k[v]), int(atree.dist[v]),
            int(atree.root[v])) for v in atree.reached().tolist()}
    st_ = [s for s in starts if s in tree]
    sd = {s: tree[s][2] for s in st_}
    a = find_lasso(old, set(avoid), st_, strength, start_dist=sd, init_tree=tree)
    b = FA.find_lasso(new, mask, st_, strg, start_dist=np.array([sd[s] for s in st_], int),
                      init_tree=atree)
    assert a == b


def _old_lassos(model, ex, prop):
    """The lasso of fair_cycles.py (lists and sets), as check_liveness computed it before."""
    g = Graph(ex.edges, [i for i in range(len(ex.states)) if ex.parent[i] < 0])
    tree = bfs_within(g, g.initial, None)
    n = len(ex.states)

    def holds(fn):
        return [bool(fn((ex.states[v], not g.succ[v], None, None))) for v in range(n)]
    p = holds(prop.test)
    strength = strength_fn(prop.fairness)
    if prop.kind == "eventually":
        avoid = {v for v in range(n) if not p[v]}
        return find_lasso(g, avoid, [v for v in g.initial if v in avoid], strength)
    if prop.kind == "leads_to":
        q = holds(prop.goal)
        avoid = {v for v in range(n) if not q[v]}
        starts = [v for v in range(n) if p[v] and not q[v]]
    else:
        avoid = {v for v in range(n) if not p[v]}
        starts = list(avoid)
    return find_lasso(g, avoid, starts, strength, start_dist={v: tree[v][2] for v in starts},
                      init_tree=tree)


SHIPPED_LIVE = [("handshake", {}), ("half-open", {}), ("half-open-keepalive", {}),
                ("crash", {}), ("close", {"capacity": 1}),
                ("handshake", {"loss": "unbounded", "iss": "fixed"})]


@pytest.mark.parametrize("name,overrides", SHIPPED_LIVE)
def test_lassos_rebuilt_from_arrays_are_the_old_ones(name, overrides, monkeypatch, scc_kernel):
    model = build(load_check(name, overrides=overrides))
    live = [p for p in model.properties if p.kind in LIVENESS_KINDS]
    assert live
    found = {}
    import tcpmodel.engines.explicit.fair_arrays as fa
    real = fa.find_lasso

    def spy(*a, **k):
        lasso = real(*a, **k)
        found.setdefault("lassos", []).append(lasso)
        return lasso
    monkeypatch.setattr(fa, "find_lasso", spy)
    res = check(model)
    ex = res._exploration
    assert ex.graph is not None   # the fast engine recorded arrays
    new = found["lassos"]
    old = [_old_lassos(model, ex, p) for p in live]
    assert new == old
    # and every verdict follows: a lasso is a violation
    verdict = {r.name: r.verdict for r in res.properties}
    assert [verdict[p.name] == "violated" for p in live] == [x is not None for x in old]


def test_edges_streamed_to_disk_are_the_edges_in_memory(tmp_path):
    model = build(load_check("handshake"))
    props = [p for p in model.properties if p.kind in ("always", "sometimes")]
    mem = explore_fast(model.system, props, record_edges=True)
    disk = explore_fast(model.system, props, record_edges=True, edge_memory=0, chunk=256)
    assert disk.graph.spill_dir is not None and isinstance(disk.graph.dst, np.memmap)
    assert mem.graph.spill_dir is None
    assert disk.edges == mem.edges
    spill = disk.graph.spill_dir
    disk.graph.close()
    import os
    assert not os.path.exists(spill)


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_scipy_kernel_public_function_and_python_tarjan_agree(case):
    succ, _, _, _ = case
    g = from_lists(succ, [0])
    sel = np.ones(len(g.dst), bool)
    g.drop_repeats(sel)
    ptr = FA._sub_indptr(g.indptr, sel)
    a = FA._scc(g.n, ptr, g.dst[sel], python=False)
    b = FA._scc(g.n, ptr, g.dst[sel], public=True, python=False)
    c = FA._scc(g.n, ptr, g.dst[sel], python=True)
    # the same partition (labels may be numbered alike or not)
    for x, y in ((a, b), (a, c)):
        assert len(set(zip(x.tolist(), y.tolist()))) == len(set(x.tolist())) == len(set(y.tolist()))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs(), st.data())
def test_components_in_place_are_the_copied_subgraphs_and_leave_the_graph_as_it_was(
        scc_kernel, case, data):
    succ, avoid, _, _ = case
    g = from_lists(succ, [0])
    alive = np.zeros(g.n, bool)
    alive[list(avoid)] = True
    banned = np.array(data.draw(st.lists(st.booleans(), min_size=len(g.dst),
                                         max_size=len(g.dst))), bool)
    before = g.dst.copy()
    a = FA._components(g, alive, banned, in_place=False)
    b = FA._components(g, alive, banned, in_place=True)
    assert (g.dst == before).all()
    pa = {frozenset(np.flatnonzero(alive & (a == c)).tolist()) for c in a[alive]}
    pb = {frozenset(np.flatnonzero(alive & (b == c)).tolist()) for c in b[alive]}
    assert pa == pb


def test_wide_rows_and_many_kinds_are_stored_exactly(tmp_path):
    """numpy casts wrap silently: 300 successors of one state, or 70,000 kinds, once wrapped in
    a uint8/uint16 column and shifted every later row of the CSR index."""
    from tcpmodel.engines.explicit.graph_arrays import EdgeLog
    from tcpmodel.engines.explicit.store import Chunked
    succ = [[(1 + j % 3, f"l{j}", j, None) for j in range(300)], [(0, None, 0, None)], [], []]
    g = from_lists(succ, [0])
    assert list(g.outdeg) == [300, 1, 0, 0] and list(g.dst[:4]) == [1, 2, 3, 1]
    cnt, labs = g.enabled()
    assert list(cnt) == [300, 0, 0, 0] and sorted(set(labs.tolist())) == list(range(300))
    for limit in (None, 0):   # in memory, and streamed to files then widened there
        log = EdgeLog(memory_limit=limit, spill_dir=str(tmp_path))
        log.append(np.array([2, 1]), np.array([1, 0, 0], np.int32), np.array([0, 1, 2]))
        log.append(np.array([300]), np.zeros(300, np.int32), np.arange(70_000, 70_300))
        h = log.finish(list(range(70_300)), [-1] * 70_300, ["x"], [0])
        assert list(np.diff(h.indptr)) == [2, 1, 300]
        assert list(h.kind[:3]) == [0, 1, 2] and int(h.kind[-1]) == 70_299
    c = Chunked(np.uint8)
    c.append(np.array([255, 3]))
    c.append(np.array([256, 4095]))
    assert list(c.array()) == [255, 3, 256, 4095] and c[3] == 4095
