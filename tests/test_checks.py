"""The shipped checks give the verdicts the RFCs lead us to expect, for the right reasons."""

from conftest import run_check, verdicts


def test_handshake_completes_over_loss():
    _, res = run_check("handshake")
    v = verdicts(res)
    unfair = v.pop("eventually_established_unfair")
    assert res.complete and set(v.values()) == {"holds"}
    # without fair delivery the network may lose every retransmission: a lasso says so
    assert unfair == "violated"


def test_orderly_and_simultaneous_close():
    _, res = run_check("close")
    assert res.complete and set(verdicts(res).values()) == {"holds"}


def test_simultaneous_close_passes_closing_on_both_sides():
    model, res = run_check("close", properties=[])
    states = res._exploration.states
    a, b = model.system.machines
    assert any(a.state_name(s[0]) == "CLOSING" and b.state_name(s[1]) == "CLOSING" for s in states)


def test_time_wait_assassination_on_rfc9293_not_on_rfc1337():
    _, bad = run_check("time-wait")
    _, good = run_check("time-wait", variant="rfc1337")
    assert verdicts(bad)["time_wait_safety"] == "violated"
    assert verdicts(good)["time_wait_safety"] == "holds" and good.complete
    # the witnesses guard the pass against vacuity: the second incarnation is really established
    assert verdicts(good)["reestablished"] == "holds"
    # the counterexample goes through the assassination: a RST ends TIME-WAIT early (entering
    # CLOSED without a "reset" signal: RFC 9293 §3.10.7.4 second, TIME-WAIT)
    steps = next(p for p in bad.properties if p.name == "time_wait_safety").trace.steps
    killed = [s for s in steps if s.rule == "closing-rst" and s.signal is None]
    assert killed, "expected a RST to end TIME-WAIT"
    i = steps.index(killed[0])
    prev_a = steps[i - 1].a if killed[0].actor == "A" else steps[i - 1].b
    assert prev_a == "TIME-WAIT"
    assert steps[-1].stale


def test_crash_leaves_a_half_open_connection():
    _, res = run_check("crash")
    v = verdicts(res)
    assert v["no_half_open_deadlock"] == "violated"
    assert v["half_open_reached"] == "holds"
    last = next(p for p in res.properties if p.name == "no_half_open_deadlock").trace.steps
    assert any(s.kind == "crash" for s in last)


def test_a_redefined_library_name_is_shown_next_to_the_property_doc(tmp_path):
    from tcpmodel.check import build, load_check
    path = tmp_path / "c.toml"
    path.write_text('properties = ["no_deadlock", "both_established"]\n'
                    "[define]\nend = \"a.state == 'LISTEN'\"\n")
    docs = {p.name: p.doc for p in build(load_check(str(path))).properties}
    assert docs["no_deadlock"].endswith("; in this check end = a.state == 'LISTEN'")
    assert "in this check" not in docs["both_established"]
    shipped = build(load_check("crash")).properties  # defines nothing of its own
    assert not any("in this check" in p.doc for p in shipped)
