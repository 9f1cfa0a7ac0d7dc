"""BMC find mode with a portfolio of solver processes (``--bmc find --portfolio N``).

A member's model crosses a process boundary as the values of its constants: the traces it
gives must still be runs of the explicit system (replayed here independently of the engine's
own replay), an unsatisfiable answer must cover exactly the bound asked, and a portfolio's
answer must be the in-process solver's.  Timings live in benchmarks/bench_z3.py.
"""

import pytest

z3 = pytest.importorskip("z3")

from conftest import run_check
from test_bmc_find import replays

from tcpmodel.engines import symbolic
from tcpmodel.engines.symbolic import bmc_find, portfolio


def test_a_members_model_satisfies_the_query_and_unsat_is_unsat():
    x, y = z3.BitVec("x", 8), z3.BitVec("y", 8)
    b = z3.Bool("b")
    query = [x + y == 7, z3.ULT(x, 3), b == (y == 5)]
    a = portfolio.solve(query, 2, timeout=60)
    assert a.result == z3.sat and a.winner in portfolio.MEMBERS[:2]
    assert all(z3.is_true(a.model.eval(q, model_completion=True)) for q in query)
    assert a.cpu >= 0 and a.winner_cpu > 0
    a = portfolio.solve(query + [z3.UGT(x, 5)], 2, timeout=60)
    assert a.result == z3.unsat and a.model is None


def test_portfolio_counterexample_replays_on_the_explicit_system():
    """half-open's deadlock found by two member processes is a run of the explicit system,
    no shorter than BFS's, and shortest only when it has BFS's length."""
    model, eres = run_check("half-open", properties=["no_half_open_deadlock"])
    bfs = eres.properties[0]
    run = bmc_find.run(model, model.properties, 10, shorten=0, members=2)
    assert not run.errors and run.stop_reason is None
    hit = run.hits["no_half_open_deadlock"]
    assert replays(model, model.properties[0], hit.states)
    assert hit.depth == len(hit.trace) >= bfs.depth
    assert (hit.depth == bfs.depth) if hit.shortest else hit.none_within < bfs.depth
    assert run.member_cpu > 0


def test_portfolio_none_within_k_agrees_with_bfs():
    """A property that holds (BFS) gets no counterexample and exactly the bound asked as
    "none within"; a violated one whose BFS trace is longer than the bound gets none either
    (the bound never rules out what BFS found)."""
    model, eres = run_check("crash", properties=["seq_agreement", "no_deadlock"])
    bfs = {p.name: p for p in eres.properties}
    assert bfs["seq_agreement"].verdict == "holds" and bfs["no_deadlock"].depth > 8
    run = bmc_find.run(model, model.properties, 8, members=2)
    assert not run.hits and not run.errors and run.depth == 8
    res = symbolic.check(model, depth=8, prove=False, bmc_mode="find", portfolio=2)
    assert all(p.verdict == "unknown" and "holds up to depth 8" in p.detail
               for p in res.properties)


def test_cli_portfolio_needs_find_mode():
    from test_cli import run
    code, _, err = run("check", "handshake", "--engine", "z3", "--portfolio", "2")
    assert code == 2 and err.count("\n") == 1 and "--bmc find" in err, err


def test_a_failing_member_is_unknown_never_a_verdict(monkeypatch):
    monkeypatch.setattr(portfolio, "MEMBERS", (("no-such-pipeline", 0),))
    a = portfolio.solve([z3.Bool("p")], 1, timeout=60)
    assert a.result == z3.unknown and a.model is None
    assert "no-such-pipeline" in a.reason and "failed" in a.reason, a.reason
