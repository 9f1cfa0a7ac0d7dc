"""Scenario search: the RFC figures and RFC 1337 hazards, the attacker, and useful failures."""

import json

import pytest

from conftest import Endpoint
from test_cli import run as cli_run
from tcpmodel.errors import InputError
from tcpmodel.scenario import run


def test_catalogue_pages_are_current_and_every_run_is_as_expected():
    """One search per scenario and variant; the committed docs/scenarios must match."""
    from pathlib import Path

    from tcpmodel.render.scenario_docs import pages
    root = Path(__file__).resolve().parent.parent / "docs" / "scenarios"
    generated = pages()
    table = generated["README.md"]
    assert "(unexpected)" not in table and "unknown" not in table
    # every figure of RFC 9293 §3.5-3.6 and RFC 1337's hazards are in the catalogue
    for name in ("fig6-", "fig7-", "fig8-", "fig9-", "fig10-", "fig11-", "fig12-", "fig13-",
                 "rfc1337-assassination", "rfc1337-h1", "rfc1337-h2", "rfc1337-h3"):
        assert f"({name}" in table, name
    stale = [f for f, text in generated.items()
             if not (root / f).exists() or (root / f).read_text() != text]
    assert not stale, f"regenerate with: tcpmodel scenario --docs docs/scenarios ({stale[:3]})"


def test_assassination_trace_goes_through_a_reset_in_time_wait():
    o = run("rfc1337-assassination", variant="rfc9293")
    steps = o.trace.steps
    # RFC 9293 §3.10.7.4 second: a RST in TIME-WAIT enters CLOSED without a "reset" signal
    kill = next(s for s in steps if s.kind == "rcv" and s.rule == "closing-rst")
    assert steps[steps.index(kill) - 1].a == "TIME-WAIT" and kill.a == "CLOSED"
    assert kill.signal is None
    fixed = run("rfc1337-assassination", variant="rfc1337")
    assert fixed.found is False and fixed.stuck_states[0] == "TIME-WAIT"


def test_h1_delivers_a_stale_octet():
    o = run("rfc1337-h1-old-data", variant="rfc9293")
    assert o.trace.steps[-1].stale and o.trace.steps[-1].signal == "deliver"


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_impossible_scenario_explains_itself(tmp_path):
    # CLOSED straight to ESTABLISHED on one segment: B only reaches SYN-RECEIVED
    path = write(tmp_path, '''
title = "B jumps from LISTEN to ESTABLISHED on a single SYN"
[[line]]
call = "open_passive"
by = "B"
[[line]]
send = "SYN"
by = "A"
then = { a = "SYN-SENT", b = "ESTABLISHED" }
''')
    o = run(path)
    assert o.found is False and o.reached == 1
    from tcpmodel.scenario_report import render_outcome
    text = render_outcome(o)
    assert "line 2 could not be matched: A sends <CTL=SYN>, then A SYN-SENT, B ESTABLISHED" in text
    # what did happen instead: the SYN left B in SYN-RECEIVED
    assert "leaves A SYN-SENT, B SYN-RECEIVED" in text
    code, out, _ = cli_run("scenario", path)
    assert code == 1 and "impossible" in out


def test_scenario_errors_are_one_line(tmp_path):
    bad = {
        "unknown-kind.toml": ('[[line]]\nsnd = "SYN"\nby = "A"\n', "unknown key 'snd'"),
        "two-kinds.toml": ('[[line]]\nsend = "SYN"\ncall = "close"\nby = "A"\n', "exactly one of"),
        "no-name.toml": ('[[line]]\narrive = "ghost"\n', "no earlier line is named 'ghost'"),
        "bad-where.toml": ('[[line]]\nsend = "SYN"\nby = "A"\nwhere = "seg.seq =="\n',
                           "expected a value"),
        "bad-state.toml": ('[[line]]\nsend = "SYN"\nby = "A"\nthen = { b = "SYN-RCVD" }\n',
                           "unknown state 'SYN-RCVD'"),
        "bad-flag.toml": ('[[line]]\ninject = "SYN,PSH"\nto = "B"\n', "unknown control flag 'PSH'"),
        "no-attacker.toml": ('[[line]]\ninject = "RST"\nto = "B"\n', "set attacker = 1"),
        "no-by.toml": ('[[line]]\nsend = "SYN"\n', "this line needs 'by'"),
        "bad-variant.toml": ('expect = { rfc9999 = "found" }\n[[line]]\nsend = "SYN"\nby = "A"\n',
                             "rfc9999"),
    }
    for name, (text, needle) in bad.items():
        path = write(tmp_path, text, name)
        with pytest.raises(InputError) as e:
            run(path)
        assert needle in str(e.value) and name in str(e.value), (name, str(e.value))
        code, _, err = cli_run("scenario", path)
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
        assert name in err and needle in err, (name, err)


def test_scenario_cli_json_and_charts(tmp_path):
    code, out, _ = cli_run("scenario", "fig6-handshake", "--variant", "rfc9293", "--json",
                           "--out", str(tmp_path))
    doc = json.loads(out)
    r = doc["runs"][0]
    assert code == 0 and r["result"] == "found" and r["as_expected"] is True
    assert len(r["trace"]["steps"]) == 7
    assert (tmp_path / "fig6-handshake-rfc9293.svg").exists()


def test_attacker_budget_bounds_forgeries():
    from conftest import reachable
    from tcpmodel.system import ATTACK
    model, states = reachable("handshake", iss="fixed", loss=0, dup=0, attacker=1,
                              attacker_flags=["RST"])
    assert max(s[ATTACK] for s in states) == 1
    kinds = {a.kind for s in states for a, _ in model.system.successors(s)}
    assert {"inject", "drop"} <= kinds
    _, quiet = reachable("handshake", iss="fixed", loss=0, dup=0)
    assert len(states) > len(quiet)


def established(e):
    return e.code("ESTABLISHED", iss=0, snd_una=1, snd_nxt=1, irs=4, rcv_nxt=5)


def test_rfc5961_challenge_acks():
    new, hard = Endpoint("rfc9293"), Endpoint("rfc5961")
    in_window = new.seg(6, ctl="RST")           # RCV.NXT = 5, window 2: 6 is in it
    assert new.rcv(established(new), in_window)[0][0] == "CLOSED"
    state, _, sent, _ = hard.rcv(established(hard), hard.seg(6, ctl="RST"))[0]
    assert (state, sent) == ("ESTABLISHED", "<SEQ=1><ACK=5><CTL=ACK>")
    assert hard.rcv(established(hard), hard.seg(5, ctl="RST"))[0][0] == "CLOSED"
    state, _, sent, _ = hard.rcv(established(hard), hard.seg(5, ctl="SYN"))[0]
    assert (state, sent) == ("ESTABLISHED", "<SEQ=1><ACK=5><CTL=ACK>")


def test_unreachable_start_is_impossible_and_a_limit_is_unknown(tmp_path):
    path = write(tmp_path, '''
start = "a.state == 'CLOSING' and b.state == 'LISTEN'"
[[line]]
call = "abort"
by = "A"
''')
    assert run(path).found is False          # exhaustive: no such start state
    assert run(path, max_states=20).found is None   # cut short: unknown, never "impossible"
