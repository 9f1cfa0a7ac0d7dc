"""Invariant inference (engines/mining.py, symbolic/houdini.py, engines/inference.py).

An inferred strengthening must be true in every explicitly reachable state (the explicit
engine is the reference), must prove its property by ordinary k-induction from its printed
text (so it is reusable in a check file), and a candidate set that is not inductive must be
refused with the property, the candidates dropped last and a counterexample to induction.
The per-check timings live in benchmarks/bench_z3.py (--parts inference).
"""

import pytest

z3 = pytest.importorskip("z3")

from conftest import run_check

from tcpmodel.check import build, load_check
from tcpmodel.engines import crosscheck, symbolic
from tcpmodel.engines.explicit import explore
from tcpmodel.engines.inference import infer, mining_params
from tcpmodel.engines.mining import mine
from tcpmodel.engines.symbolic.encoding import Encoding
from tcpmodel.engines.symbolic.houdini import Houdini
from tcpmodel.engines.symbolic.induction import Prover


def test_mining_parameters_shrink_what_the_explicit_engine_cannot_enumerate():
    big = load_check("handshake", overrides={"seq_space": 1 << 32, "rcv_wnd": 65535}).params
    mp = mining_params(big)
    assert mp["seq_space"] == 8 and mp["rcv_wnd"] == 3 and mp["iss"] == "any"
    fixed = load_check("close", overrides={"seq_space": 1 << 32}).params
    assert mining_params(fixed)["iss"] == "fixed"  # ISS 0 and 4 fit the mining space
    assert mining_params(load_check("close").params) == load_check("close").params


def test_mined_candidates_hold_in_every_state_they_were_mined_from():
    model = build(load_check("half-open-keepalive"), [])
    ex = explore(model.system, [])
    cands = mine(model.system, ex.states, model.check.params)
    assert len(cands) > 50
    for c in cands[::7]:  # a sample: the closure compiler, the explicit meaning of the text
        assert crosscheck.states_violating(model, ex.states, c.text) == [], c.text


def test_a_false_candidate_set_is_refused_with_a_counterexample_to_induction():
    model = build(load_check("handshake"), ["seq_agreement"])
    wrong = ["a.state != 'ESTABLISHED'", "ab.size == 0", "a.state == 'SYN-SENT'"]
    run = Houdini(Encoding(model)).run(wrong, model.properties)
    o = run.outcomes["seq_agreement"]
    assert not o.proved and o.cti and len(o.cti) == 2
    assert run.survivors == [] and run.dropped_initial == 1  # SYN-SENT fails at once
    assert set(o.dropped_last) <= set(wrong) and o.dropped_last


def test_inference_refuses_when_the_miner_proposes_nothing_useful(monkeypatch):
    import tcpmodel.engines.inference as inference
    from tcpmodel.engines.mining import Candidate
    monkeypatch.setattr(inference, "mine",
                        lambda *a: [Candidate("a.state != 'SYN-SENT'", "test")])
    model = build(load_check("handshake"), ["seq_agreement", "no_half_open_deadlock"])
    res = inference.infer(model).results
    r = res["seq_agreement"]
    assert r.status == "failed" and len(r.cti) == 3 and "violates it" in r.detail
    r = res["no_half_open_deadlock"]  # reads terminal: the dead end the candidates allow
    assert r.status == "failed" and len(r.cti) == 1 and "dead end" in r.detail


def test_inferred_strengthening_is_reachable_truth_and_reusable(tmp_path):
    """half-open-keepalive's seq_agreement: inferred, true in all 1,428 reachable states,
    and the printed snippet proves it again from a check file with ordinary k-induction."""
    model, eres = run_check("half-open-keepalive", properties=["seq_agreement"])
    zres = symbolic.check(model, depth=0, infer=infer, infer_mode="always")
    p = zres.properties[0]
    assert p.verdict == "holds" and p.method == "k-induction with inferred strengthening k=1"
    r = zres.inference.results["seq_agreement"]
    assert crosscheck.states_violating(model, eres._exploration.states, r.text) == []
    assert crosscheck.compare(model, eres, zres) == []
    # the snippet in a check file of its own, without the hand-written strengthening
    src = (load_check("half-open-keepalive").path)
    head = open(src, encoding="utf-8").read().split("\n[define]", 1)[0]
    path = tmp_path / "hok-inferred.toml"
    path.write_text(head + "\n" + zres.inference.toml(), encoding="utf-8")
    again = build(load_check(str(path)), ["seq_agreement"])
    q = again.properties[0]
    assert q.strengthen is not None and "inferred" in q.strengthen.text
    assert Prover(Encoding(again)).k_induction(q, q.strengthen.node, kmax=1).status == "proved"


@pytest.mark.parametrize("args", [["--infer"], ["--engine", "z3", "--infer", "--no-infer"],
                                  ["--infer-out", "x.toml"]])
def test_cli_inference_input_errors(args):
    from test_cli import run
    code, _, err = run("check", "handshake", *args)
    assert code == 2 and err.count("\n") == 1
