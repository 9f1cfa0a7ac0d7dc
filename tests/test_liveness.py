"""Liveness on the shipped checks: headline properties, fairness, lassos, vacuity, syntax errors."""

import json

import pytest

from conftest import run_check, verdicts
from test_cli import run
from tcpmodel.check import build, load_check
from tcpmodel.engines import explicit
from tcpmodel.errors import InputError


def prop(res, name):
    return next(p for p in res.properties if p.name == name)


def test_handshake_eventually_established_needs_fair_delivery():
    _, res = run_check("handshake", properties=["eventually_established",
                                                 "eventually_established_unfair"])
    assert prop(res, "eventually_established").verdict == "holds"
    unfair = prop(res, "eventually_established_unfair")
    assert unfair.verdict == "violated"
    tr = unfair.trace
    assert tr.loop_start is not None
    loop = tr.steps[tr.loop_start:]
    # the loop: every retransmitted SYN is lost, and nothing else happens
    assert {s.kind for s in loop} == {"timer", "loss"}
    assert all(s.a == "SYN-SENT" for s in loop)


def test_half_open_needs_traffic_to_be_discovered():
    _, silent = run_check("half-open", properties=["half_open_resolved"])
    _, probing = run_check("half-open-keepalive", properties=["half_open_resolved",
                                                               "half_open_reached"])
    assert prop(silent, "half_open_resolved").verdict == "violated"
    assert verdicts(probing) == {"half_open_resolved": "holds", "half_open_reached": "holds"}
    # the silent run ends half-open: one side synchronized, the other listening
    last = prop(silent, "half_open_resolved").trace.steps[-1]
    assert {last.a, last.b} == {"ESTABLISHED", "LISTEN"}


def test_keepalive_discovers_the_half_open_connection_with_a_reset():
    model, res = run_check("half-open-keepalive", properties=["half_open_reached"])
    # from the half-open witness, the keep-alive draws a RST: find such a step in the graph
    sysm = model.system
    found = False
    for s in res._exploration.states:
        for act, t in sysm.successors(s):
            if act.kind == "rcv" and act.out.signal == "reset" and act.side == 0:
                found = True
    assert found


def test_graceful_close_holds_for_orderly_and_simultaneous_close():
    _, res = run_check("close", properties=["graceful_close"])
    assert res.properties[0].verdict == "holds"
    assert not any("never reached" in w for w in res.warnings)


def test_retransmission_timeout_removed_breaks_establishment(tmp_path):
    from test_mutations import BASE, delete_transition
    path = tmp_path / "no-rto.toml"
    path.write_text(delete_transition(BASE, "rto-syn"))
    _, res = run_check("handshake", variant=str(path), properties=["eventually_established"],
                       iss="fixed")
    p = res.properties[0]
    assert p.verdict == "violated"
    # the SYN is lost and nothing ever resends it: the run stops (or loops) short of ESTABLISHED
    assert any(s.kind == "loss" for s in p.trace.steps)


def write(tmp_path, text, name="c.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_weak_and_strong_fairness_of_delivery_differ(tmp_path):
    # a lost segment is resent forever: delivery is enabled only between a resend and a loss,
    # so weak fairness of delivery does not force it and strong fairness does
    base = '''
[params]
loss = "unbounded"
[scripts]
a = [{ call = "open_active", when = "peer.state == 'LISTEN'" }]
b = ["open_passive"]
[[property]]
name = "est"
formula = "eventually (a.state == 'ESTABLISHED' and b.state == 'ESTABLISHED')"
'''
    _, weak = explicit_run(write(tmp_path, base + 'fairness = { deliver_ab = "weak", deliver_ba = "weak" }\n'))
    _, strong = explicit_run(write(tmp_path, base, "s.toml"))
    assert weak.properties[0].verdict == "violated"
    assert strong.properties[0].verdict == "holds"


def explicit_run(path):
    model = build(load_check(path))
    return model, explicit.check(model)


def test_vacuous_leads_to_and_unused_fairness_are_reported(tmp_path):
    path = write(tmp_path, '''
[scripts]
a = []
b = ["open_passive"]
[[property]]
name = "never"
formula = "a.state == 'CLOSING' leads_to b.state == 'CLOSED'"
''')
    _, res = explicit_run(path)
    assert res.properties[0].verdict == "holds"
    assert "vacuous" in res.properties[0].detail
    assert any("premise of leads_to is never reached" in w for w in res.warnings)
    assert any("deliver_ab" in w and "never applies" in w for w in res.warnings)


def test_liveness_is_unknown_when_the_search_is_cut(tmp_path):
    _, res = run_check("close", properties=["graceful_close"], max_states=100)
    assert res.properties[0].verdict == "unknown"


def test_lasso_in_json_marks_the_loop():
    code, out, _ = run("check", "handshake", "-p", "eventually_established_unfair", "--json", "-q")
    assert code == 1
    p = json.loads(out)["checks"][0]["properties"]["eventually_established_unfair"]
    tr = p["trace"]
    assert 0 <= tr["loop_start"] < len(tr["steps"])


@pytest.mark.parametrize("formula,needle", [
    ("eventually", "expected a value"),
    ("a.state == 'CLOSED' leads_to", "expected a value"),
    ("always eventually (a.state == )", "expected a value"),
    ("a leads_to b leads_to c", "only one 'leads_to'"),
    ("eventually step.signal == 'reset'", "cannot read step names"),
    ("forever a.state == 'CLOSED'", "a formula starts with"),
])
def test_formula_syntax_errors(tmp_path, formula, needle):
    path = write(tmp_path, f'[[property]]\nname = "x"\nformula = "{formula}"\n')
    with pytest.raises(InputError) as e:
        build(load_check(path))
    msg = str(e.value)
    assert needle in msg and "c.toml" in msg, msg
    if "step names" not in needle:
        assert "column" in msg and ">>>" in msg, msg


def test_fairness_table_errors(tmp_path):
    path = write(tmp_path, '[fairness]\ndeliver_xy = "strong"\n')
    with pytest.raises(InputError, match="unknown fairness class 'deliver_xy'"):
        load_check(path)
    path = write(tmp_path, '[fairness]\ndeliver_ab = "sometimes"\n', "d.toml")
    with pytest.raises(InputError, match="not weak, strong or none"):
        load_check(path)
