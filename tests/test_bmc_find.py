"""BMC's find mode (``--bmc find``): one query per bound instead of one per depth.

Its traces are replayed here step by step on the explicit system (independently of the
engine's own replay), checked against the explicit engine's verdicts and BFS lengths, and its
bounds and "shortest" claims must be honest.  The deep counterexamples' timings live in
benchmarks/bench_z3.py (counterexamples part).
"""

import pytest

z3 = pytest.importorskip("z3")

from conftest import run_check

from tcpmodel.engines import symbolic
from tcpmodel.engines.symbolic import bmc_find


def replays(model, prop, states):
    """True when ``states`` is a run of the explicit system that ends violating (always) or
    witnessing (sometimes) the state property ``prop``."""
    system = model.system
    if states[0] not in system.initial_states():
        return False
    for a, b in zip(states, states[1:]):
        if b not in [t for _, t in system.successors(a)]:
            return False
    last = states[-1]
    value = prop.test((last, not system.successors(last), None, None))
    return value is (prop.kind == "sometimes")


def test_bounds_halve_down_to_the_first_bound():
    assert bmc_find.bounds(20) == [10, 20]
    assert bmc_find.bounds(40) == [10, 20, 40]
    assert bmc_find.bounds(7) == [7]


def test_cut_loops_keeps_the_ends():
    # a state property: the first time the last state appears ends the run
    assert bmc_find.cut_loops(list("abcbd"), False) == list("abd")
    assert bmc_find.cut_loops(list("abcab"), False) == list("ab")
    # a step property: the last step (its pre-state) is kept whole
    assert bmc_find.cut_loops(list("abcbb"), True) == list("abb")
    assert bmc_find.cut_loops(list("abcd"), True) == list("abcd")


def test_half_open_counterexample_and_witness_are_real_and_shortest_when_claimed():
    """Every hit is a run of the explicit system; a claimed shortest one has the BFS length,
    an unclaimed one is no shorter than BFS's; the holding bound is the one asked for."""
    model, eres = run_check("half-open")
    bfs = {p.name: p for p in eres.properties}
    props = [p for p in model.properties if p.kind in ("always", "sometimes")]
    run = bmc_find.run(model, props, 7, shorten=60)
    expected = {n for n, p in bfs.items() if p.trace is not None and p.depth <= 7
                and p.kind in ("always", "sometimes")}
    assert set(run.hits) == expected and "no_half_open_deadlock" in expected
    assert not run.errors
    for name, hit in run.hits.items():
        prop = next(p for p in props if p.name == name)
        assert replays(model, prop, hit.states), name
        assert hit.depth == len(hit.trace) == len(hit.states) - 1
        assert hit.depth >= bfs[name].depth
        if hit.shortest:
            assert hit.depth == bfs[name].depth, name
        else:
            assert hit.none_within < bfs[name].depth  # never rules out what BFS found
    assert run.depth == 7 and run.stop_reason is None


def test_no_counterexample_is_a_bound_never_a_verdict():
    """seq_agreement holds on crash: find mode covers exactly the asked bound, and the engine
    says 'holds up to depth' (unknown) without a proof."""
    model, eres = run_check("crash", properties=["seq_agreement"])
    assert eres.properties[0].verdict == "holds"
    res = symbolic.check(model, depth=6, prove=False, bmc_mode="find")
    p = res.properties[0]
    assert p.verdict == "unknown" and "holds up to depth 6" in p.detail, p.detail


def test_a_spent_budget_covers_nothing():
    model, _ = run_check("crash", properties=["no_deadlock"])
    run = bmc_find.run(model, model.properties, 20, timeout=1e-6)
    assert run.stop_reason == "time budget" and run.depth == -1 and not run.hits


def test_engine_reports_an_unproven_length_honestly():
    """No shortening: a hit beyond the first bound is not claimed shortest, the detail says how
    far shorter runs are ruled out, and the report does not say 'shortest'."""
    from tcpmodel.report import render_check
    model, eres = run_check("half-open", properties=["no_half_open_deadlock"])
    res = symbolic.check(model, depth=7, prove=False, bmc_mode="find", shorten=0)
    p = res.properties[0]
    assert p.verdict == "violated" and p.method == "BMC (find)"
    if p.shortest:   # only when nothing shorter is possible: the bound rules it out
        assert p.depth == eres.properties[0].depth and "shortest counterexample" in p.detail
    else:
        assert "not proven shortest" in p.detail and p.depth >= eres.properties[0].depth
        assert "not proven shortest" in render_check(model, res)
        assert p.to_json()["shortest"] is False


@pytest.mark.parametrize("args", [["--shorten", "5"], ["--bmc", "find"],
                                  ["--engine", "both", "--bmc", "find"],
                                  ["--engine", "z3", "--bmc", "find", "--shorten", "-1"]])
def test_cli_find_mode_input_errors(args):
    from test_cli import run
    code, _, err = run("check", "handshake", *args)
    assert code == 2 and err.count("\n") == 1, err
