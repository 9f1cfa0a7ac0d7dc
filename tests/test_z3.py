"""The z3 engine, cross-checked against the explicit engine (the reference).

Same expression values, same successors of sampled states, same shortest trace lengths, BFS
depths confirmed by Z3, proofs of invariants (and their strengthenings hold on every reachable
state), and a seeded encoding bug is caught.  Costly BMC runs live in benchmarks/bench_z3.py;
the 19-step TIME-WAIT assassination runs here only with TCPMODEL_SLOW=1 (about 40 s).
"""

import json
import os
import random
from operator import itemgetter

import pytest

z3 = pytest.importorskip("z3")

from conftest import run_check

from tcpmodel import expr as E
from tcpmodel.check import build, load_check
from tcpmodel.engines import crosscheck, symbolic
from tcpmodel.engines.symbolic import bmc
from tcpmodel.engines.explicit import explore
from tcpmodel.engines.symbolic.induction import Prover
from tcpmodel.engines.symbolic.encoding import Encoding, EncodingError
from tcpmodel.engines.symbolic.exprs import Sorts, Z3Compiler, Z3Scope
from tcpmodel.engines.symbolic.reactions import Reactor

CHECKS = ["handshake", "close", "crash", "time-wait", "half-open", "half-open-keepalive"]


def model_of(name, properties=None, **overrides):
    return build(load_check(name, overrides=overrides), properties)


# ------------------------------------------------------------------ expressions

EXPRESSIONS = [
    "x + i", "x - i", "x - y", "i - 3 + x", "seq_in(x, y, z)", "seq_lt(x, y)", "seq_le(x, y)",
    "i / 3", "i % -2", "(i - j) / -4", "-i * j", "min(i, j) + max(i, j)", "if b then x else y + 1",
    "x == y + 1", "i < j or i >= 2", "i in [1, -2]", "not b implies x != z", "x - y == i",
]


@pytest.mark.parametrize("n", [8, 6, 1 << 32])
def test_z3_expressions_mean_what_the_closures_mean(n):
    """Also at TCP's own 2^32 sequence space: RFC 1982 comparisons, distances and wrap-around."""
    names = (("x", E.SEQ), ("y", E.SEQ), ("z", E.SEQ), ("i", E.INT), ("j", E.INT), ("b", E.BOOL))
    sc = E.Scope(n)
    for k, (name, t) in enumerate(names):
        sc.slot(name, t, itemgetter(k))
    sorts = Sorts(n)
    var = {name: sorts.var(t, name) for name, t in names}
    rng = random.Random(n)
    for text in EXPRESSIONS:
        node = E.parse(text)
        closure = E.Compiler(sc).compile(node)
        term = Z3Compiler(Z3Scope(sc, var.__getitem__), sorts).compile(node)
        term = Z3Compiler(Z3Scope(sc, var.__getitem__), sorts).term(term)
        for _ in range(60):
            # near each other too, so seq_lt/seq_in see both sides of a wrap and of n/2
            x = rng.randrange(n)
            env = (x, rng.choice([rng.randrange(n), (x + rng.randint(-3, 3)) % n,
                                  (x + n // 2 + rng.randint(-1, 1)) % n]),
                   rng.randrange(n), rng.randint(-9, 9),
                   rng.randint(-4, 4), rng.random() < 0.5)
            subst = [(var[name], sorts.val(t, v)) for (name, t), v in zip(names, env)]
            got = z3.simplify(z3.substitute(term, *subst))
            got = z3.is_true(got) if z3.is_bool(got) else (
                got.as_signed_long() if closure.type == E.INT else got.as_long())
            assert got == closure.fn(env), (text, env)


# ------------------------------------------------------------------ Spacer polarity

def test_spacer_polarity_on_a_toy():
    """Fixedpoint.query(bad) is sat when bad is REACHABLE (the engineering notes' trap)."""
    def query(bad_value):
        fp = z3.Fixedpoint()
        fp.set(engine="spacer")
        x, y = z3.BitVecs("x y", 4)
        inv = z3.Function("inv", z3.BitVecSort(4), z3.BoolSort())
        fp.register_relation(inv)
        fp.declare_var(x, y)
        fp.rule(inv(x), x == 0)
        fp.rule(inv(y), [inv(x), y == x + 2])  # even numbers only
        return fp.query(z3.And(inv(x), x == bad_value))
    assert query(4) == z3.sat
    assert query(3) == z3.unsat


# ------------------------------------------------------------------ the transition relation

@pytest.mark.parametrize("name", CHECKS)
def test_successors_and_terminal_match_on_sampled_states(name):
    model = model_of(name, [])
    ex = explore(model.system, [])
    states = random.Random(7).sample(ex.states, 25)
    assert crosscheck.confirm_successors(model, states) == []


ANY_SCRIPTS = """description = "every user call at every moment"
variant = "rfc9293"
[params]
capacity = 1
iss = "any"
seq_space = 4
iss_b = 2
rcv_wnd = 1
[scripts]
a = "any"
b = "any"
"""
# switches the shipped checks leave at their defaults, each in one variation
VARIATIONS = [("handshake", {"channel": "fifo", "dup": 2}), ("close", {"overflow": "block"}),
              ("time-wait", {"old_segments": False, "iss_a": [0, 3], "iss_b": [4, 1]}),
              ("crash", {"crash_sides": "both", "crash_restart": False}),
              ("close", {"seq_space": 6, "user_timeout": True, "spurious_rto": True}),
              ("any", {})]


@pytest.mark.parametrize("name,overrides", VARIATIONS, ids=lambda v: str(v))
def test_successors_match_under_every_switch(tmp_path, name, overrides):
    if name == "any":
        name = str(tmp_path / "any.toml")
        (tmp_path / "any.toml").write_text(ANY_SCRIPTS)
    model = model_of(name, [], **overrides)
    ex = explore(model.system, [], max_states=40_000)
    states = random.Random(11).sample(ex.states, 20)
    assert crosscheck.confirm_successors(model, states) == []


@pytest.mark.parametrize("name", CHECKS)
def test_well_formedness_is_inductive(name):
    Prover(Encoding(model_of(name, []))).check_wellformed()


def test_bfs_depths_are_z3_depths():
    model, res = run_check("crash", properties=[])
    samples = crosscheck.sample_states(res._exploration, 2, max_depth=12)
    assert len(samples) > 20
    assert crosscheck.confirm_depths(model, samples) == []


# ------------------------------------------------------------------ BMC against BFS

def test_crash_counterexample_has_the_bfs_length():
    model, eres = run_check("crash", properties=["no_half_open_deadlock", "seq_agreement",
                                                 "half_open_reached"])
    zres = symbolic.check(model, depth=13, prove=False)
    assert crosscheck.compare(model, eres, zres) == []
    z = {p.name: p for p in zres.properties}
    assert z["no_half_open_deadlock"].verdict == "violated"
    assert z["no_half_open_deadlock"].depth == 13 and z["no_half_open_deadlock"].method == "BMC"
    assert z["half_open_reached"].depth == 5
    assert z["seq_agreement"].verdict == "unknown"  # bounded: never plain "holds"
    assert "holds up to depth 13" in z["seq_agreement"].detail
    # the decoded trace is the explicit engine's trace type, ending in the half-open dead end
    steps = z["no_half_open_deadlock"].trace.steps
    assert any(s.kind == "crash" for s in steps) and steps[-1].a == "FIN-WAIT-2"


def test_time_wait_assassination_is_confirmed_at_the_bfs_length():
    """No violation within 18 steps, one at exactly 19: the RFC 1337 assassination."""
    model, eres = run_check("time-wait", properties=["time_wait_safety"])
    zres = symbolic.check(model, lengths=crosscheck.trace_lengths(eres))
    p = zres.properties[0]
    assert p.verdict == "violated" and p.depth == 19 == eres.properties[0].depth, p.detail
    steps = p.trace.steps
    assert steps[-1].stale and any(s.rule == "closing-rst" and s.a == "CLOSED" for s in steps)


@pytest.mark.skipif(not os.environ.get("TCPMODEL_SLOW"), reason="about 40 s; TCPMODEL_SLOW=1")
def test_time_wait_assassination_found_by_bmc_depth_by_depth():
    model, eres = run_check("time-wait", properties=["time_wait_safety"])
    zres = symbolic.check(model, depth=19, prove=False)
    p = zres.properties[0]
    assert p.verdict == "violated" and p.depth == 19 == eres.properties[0].depth


def test_time_wait_witnesses_have_the_bfs_length():
    model, eres = run_check("time-wait", properties=["data_delivered", "time_wait_reached"])
    zres = symbolic.check(model, depth=11, prove=False)
    assert crosscheck.compare(model, eres, zres) == []
    assert [p.depth for p in zres.properties] == [6, 11]


# ------------------------------------------------------------------ proofs

@pytest.mark.parametrize("name", ["handshake", "close", "half-open-keepalive"])
def test_invariants_are_proved_and_their_strengthening_is_reachable_truth(name):
    invariants = [p.name for p in load_check(name).property_defs if p.formula.startswith("always")]
    model, eres = run_check(name, properties=invariants)
    zres = symbolic.check(model, depth=0)
    z = {p.name: p for p in zres.properties}
    for p in model.properties:
        if p.kind == "always":
            assert p.strengthen is not None, p.name
            assert z[p.name].verdict == "holds", z[p.name].detail
            assert z[p.name].method.startswith("k-induction with strengthening")
    assert crosscheck.compare(model, eres, zres) == []  # the strengthening holds where BFS goes


def test_proof_beyond_explicit_reach():
    """256 sequence numbers, every ISS pair: far too many states to enumerate, one induction."""
    model = model_of("handshake", ["no_half_open_deadlock"], seq_space=256)
    zres = symbolic.check(model, depth=0)
    assert zres.properties[0].verdict == "holds"


def test_a_non_inductive_claim_gives_a_counterexample_to_induction():
    model = model_of("crash", ["seq_agreement"])
    proof = Prover(Encoding(model)).k_induction(model.properties[0], kmax=1)
    assert proof.status == "failed" and len(proof.cti) == 2


def test_a_false_strengthening_fails_its_base_case():
    model = model_of("handshake", ["no_half_open_deadlock"])
    wrong = E.parse("a.state != 'SYN-SENT'")
    proof = Prover(Encoding(model)).k_induction(model.properties[0], wrong, kmax=3)
    assert proof.status == "failed" and "reachable state at depth 2" in proof.detail


# ------------------------------------------------------------------ a seeded encoding bug

def test_a_flipped_guard_in_the_z3_encoding_only_is_caught(monkeypatch):
    def flip(self, rule, when):
        return z3.Not(when) if rule.id == "synsent-bad-ack" else when
    monkeypatch.setattr(Reactor, "guard_hook", flip)
    model, eres = run_check("handshake", properties=["both_established"])
    states = crosscheck.sample_states(eres._exploration, 3)
    assert crosscheck.confirm_successors(model, [x for x, _ in states])
    try:
        zres = symbolic.check(model, depth=6, keep_going=True)
    except EncodingError:
        return
    assert crosscheck.cross_check(model, eres, zres, samples=1)["agree"] is False


def test_explicit_engine_refuses_a_32_bit_sequence_space_and_z3_takes_it():
    from test_cli import run
    code, _, err = run("check", "handshake", "--set", "seq_space=4294967296")
    assert code == 2 and err.count("\n") == 1 and "--engine z3" in err
    model = model_of("handshake", ["both_established"], seq_space=1 << 32)
    zres = symbolic.check(model, depth=5, prove=False)
    assert zres.properties[0].verdict == "holds" and zres.properties[0].depth == 5


def test_a_z3_hit_at_2_32_is_replayed_without_enumerating_every_iss(monkeypatch):
    """Replaying Z3's run on the explicit system once listed every successor: an active OPEN
    with 2^32 ISS choices (the CI worker was killed at 22 GB).  Every state the replay expands
    must see short ISS lists, and the run's own ISS must be among them."""
    model = model_of("handshake", ["no_deadlock", "both_established"], seq_space=1 << 32)
    system = model.system
    real = type(system).successors
    longest = []

    def spy(self, s):
        longest.append(max(len(c) for m in self.machines for c in m.iss_choices))
        assert longest[-1] <= bmc.ENUMERABLE_CHOICES
        return real(self, s)
    monkeypatch.setattr(type(system), "successors", spy)
    init = system.initial_states()[0]
    # not a deadlock, which the explicit check learns by expanding the state (both OPENs
    # enabled there): refused as a hit, without listing 2^32 successors
    with pytest.raises(EncodingError, match="disagrees"):
        bmc.explicit_hit(system, model.properties[0], [init])
    zres = symbolic.check(model, depth=5, prove=False)
    p = {q.name: q for q in zres.properties}["both_established"]
    assert p.verdict == "holds" and p.depth == 5 and p.trace is not None
    assert longest and max(longest) <= 64   # the values the run holds, not 2^32


def test_a_z3_step_the_explicit_engine_lacks_is_an_error():
    model = model_of("crash", [])
    with pytest.raises(EncodingError):
        bmc.replay(model.system, [model.system.initial_states()[0]] * 2)


# ------------------------------------------------------------------ command line

def test_cli_z3_engine_reports_methods_and_times():
    from test_cli import run
    # liveness is the explicit engine's (the z3 engine reports it unknown): safety only here
    code, out, _ = run("check", "handshake", "--engine", "z3", "--json", "-q", "-p", "no_deadlock", "-p", "no_half_open_deadlock", "-p", "seq_agreement", "-p", "both_established")
    assert code == 0
    doc = json.loads(out)["checks"][0]
    assert doc["engine"] == "z3" and doc["bmc_depth"] == 5
    props = doc["properties"]
    assert props["no_half_open_deadlock"]["method"] == "k-induction with strengthening k=1"
    assert props["both_established"]["method"] == "BMC"
    assert all("seconds" in p for p in props.values())


def test_cli_both_engines_agree_on_handshake():
    from test_cli import run
    code, out, _ = run("check", "handshake", "--engine", "both", "-q", "--samples", "1", "-p", "no_deadlock", "-p", "no_half_open_deadlock", "-p", "seq_agreement", "-p", "both_established")
    assert code == 0, out
    assert "cross-check: the engines agree" in out and "k-induction" in out


@pytest.mark.parametrize("args", [["--depth", "-1"], ["--engine", "z3", "--graph", "g.dot"],
                                  ["--engine", "z4"]])
def test_cli_z3_input_errors(args):
    from test_cli import run
    code, _, err = run("check", "handshake", *args)
    assert code == 2 and err.count("\n") == 1


def test_a_proof_leaning_on_a_false_strengthening_is_a_disagreement():
    model, eres = run_check("handshake", properties=["no_half_open_deadlock"])
    zres = symbolic.check(model, depth=0)
    assert crosscheck.compare(model, eres, zres) == []
    prop = model.properties[0]
    prop.strengthen_test = lambda env: env[0][0] == model.system.machines[0].initial_code
    assert "fails on" in " ".join(crosscheck.compare(model, eres, zres))


def test_z3_engine_leaves_liveness_unknown_and_refuses_the_attacker():
    from test_cli import run
    code, out, _ = run("check", "handshake", "--engine", "z3", "--json", "-q", "-p",
                       "eventually_established")
    p = json.loads(out)["checks"][0]["properties"]["eventually_established"]
    assert code == 3 and p["verdict"] == "unknown" and "liveness" in p["detail"]
    code, _, err = run("check", "handshake", "--engine", "z3", "--set", "attacker=1")
    assert code == 2 and "does not model the attacker" in err


def test_a_short_liveness_trace_is_no_disagreement():
    # with both sides crashing, half_open_resolved fails in 6 steps (a dead end): BMC does not
    # look for liveness violations, so its silence up to depth 8 is not a disagreement
    model, eres = run_check("crash", properties=["half_open_resolved", "no_half_open_deadlock"],
                            crash_sides="both")
    live = next(p for p in eres.properties if p.name == "half_open_resolved")
    assert live.verdict == "violated" and live.depth <= 8
    zres = symbolic.check(model, depth=8, prove=False,
                          lengths=crosscheck.trace_lengths(eres))
    assert crosscheck.compare(model, eres, zres) == []
    assert "half_open_resolved" not in crosscheck.trace_lengths(eres)


def test_a_library_property_the_check_does_not_list():
    model = build(load_check("half-open"), ["seq_agreement"])  # as --property seq_agreement
    zres = symbolic.check(model, depth=3, prove=False)
    assert zres.properties[0].verdict == "unknown" and "holds up to depth 3" in zres.properties[0].detail


@pytest.mark.parametrize("name", ["half-open", "half-open-keepalive"])
def test_both_engines_agree_on_the_half_open_checks(name):
    safety = [p.name for p in load_check(name).property_defs
              if p.formula.split()[0] in ("always", "sometimes")]
    model, eres = run_check(name, properties=safety)
    zres = symbolic.check(model, depth=8, lengths=crosscheck.trace_lengths(eres))
    assert crosscheck.compare(model, eres, zres) == []
    assert all(z.verdict != "unknown" for z in zres.properties), [z.detail for z in zres.properties]


def test_crash_sequence_agreement_is_proved_with_its_strengthening():
    model, eres = run_check("crash", properties=["seq_agreement"])
    zres = symbolic.check(model, depth=0)
    p = zres.properties[0]
    assert p.verdict == "holds" and p.method == "k-induction with strengthening k=1", p.detail
    assert crosscheck.compare(model, eres, zres) == []  # crash_inv holds where BFS goes


def test_time_wait_safety_is_proved_on_rfc1337():
    """RFC 1337's fix makes TIME-WAIT safe at any depth; without it BMC finds the assassination."""
    model, eres = run_check("time-wait", variant="rfc1337", properties=["time_wait_safety"])
    zres = symbolic.check(model, depth=0)
    p = zres.properties[0]
    assert p.verdict == "holds" and p.method == "k-induction with strengthening k=1", p.detail
    assert crosscheck.compare(model, eres, zres) == []  # tw_inv holds where BFS goes
    on9293 = model_of("time-wait", ["time_wait_safety"])  # the same strengthening, rfc9293
    q = on9293.properties[0]
    assert Prover(Encoding(on9293)).k_induction(q, q.strengthen.node).status != "proved"
