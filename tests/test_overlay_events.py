"""Overlays that declare their own events (the linux variant's FIN-WAIT-2 timer, a scratch
overlay's user call): loading and its errors, the system offering them like the base's, and
every engine agreeing on them (the fast engine's tables, the Z3 encoding, the Promela export).
An overlay's user call shifts the index of every segment and timer event: that is the case
the engines could get wrong."""

import random

import pytest

from tcpmodel.check import build, load_check
from tcpmodel.engines.explicit import check, explore, explore_reference
from tcpmodel.engines.explicit.vectorised import explore_fast
from tcpmodel.errors import InputError
from tcpmodel.spec import load_variant

SHUTDOWN = """name = "halfclose"
extends = "linux"
description = "a scratch overlay: a user call of its own (a half close that sends FIN)"

[events]
user = ["shutdown_write"]

[diagram.labels]
shutdown_write = "SHUTDOWN(WR)"

[[rule]]
after = "closewait-close"
id = "shutdown-fin"
state = "ESTABLISHED"
event = "shutdown_write"
set = { snd_nxt = "snd_nxt + 1" }
send = { seq = "snd_nxt - 1", ack = "rcv_nxt", ctl = "FIN,ACK" }
next = "FIN-WAIT-1"

[[rule]]
after = "shutdown-fin"
id = "shutdown-other"
state = "*"
event = "shutdown_write"
signal = "error"
"""

ANY = """description = "every user call at any time, the overlay's too"
variant = "{variant}"
properties = ["no_deadlock", "both_closed"]
[params]
capacity = 1
loss = 1
seq_space = 6
iss_b = 2
[scripts]
a = "any"
b = ["open_passive"]
"""


@pytest.fixture
def halfclose(tmp_path):
    path = tmp_path / "halfclose.toml"
    path.write_text(SHUTDOWN)
    check_file = tmp_path / "any.toml"
    check_file.write_text(ANY.format(variant=str(path)))
    return str(path), str(check_file)


def test_the_linux_variant_has_its_own_fin_wait_2_timer():
    spec = load_variant("linux")
    base = load_variant("rfc9293")
    assert spec.events["timer"] == base.events["timer"] + ("fin_wait_2",)
    assert spec.diagram.labels["fin_wait_2"].startswith("FIN-WAIT-2")
    assert "fin_wait_2" not in base.all_events       # the base is untouched


def test_the_system_offers_an_overlay_timer_like_the_base_ones():
    model = build(load_check("crash", variant="linux"))
    ex = explore(model.system, [])
    fired = [(act, t) for s in ex.states for act, t in model.system.successors(s)
             if act.kind == "timer" and model.system.event_name(act) == "fin_wait_2"]
    assert fired, "the FIN-WAIT-2 timer never fires"
    m = model.system.machines[0]
    assert all(m.state_name(t[act.side]) == "CLOSED" for act, t in fired)
    # and the trace names it by its label, not as a borrowed keep-alive timer
    from tcpmodel.trace import describe_step
    act, t = fired[0]
    pre = next(s for s in ex.states if (act, t) in model.system.successors(s))
    assert "FIN-WAIT-2 timeout" in describe_step(model.system, 1, pre, act, t).note


@pytest.mark.parametrize("text, message", [
    ('[events]\nsegment = ["rcv_odd"]\n', "cannot add segment events"),
    ('[events]\ntimer = ["rto"]\n', "event 'rto' exists already"),
    ('[events]\ntimer = ["Bad Name"]\n', "not a lower-case identifier"),
    ('[events]\nalarm = ["x"]\n', "alarm"),
    ('[diagram]\nrows = [["CLOSED"]]\n', "cannot redefine [diagram]"),
    ('[diagram.labels]\nnosuch = "x"\n', "unknown event 'nosuch'"),
    ('[events]\ntimer = ["lonely"]\n', "incomplete rules"),
])
def test_bad_overlay_events_are_one_line_errors(tmp_path, text, message):
    p = tmp_path / "o.toml"
    p.write_text('extends = "rfc9293"\n' + text)
    with pytest.raises(InputError) as e:
        load_variant(str(p))
    assert message in str(e.value) and "\n" not in str(e.value) and "o.toml" in str(e.value)


def test_an_overlay_user_call_is_offered_and_shifts_no_meaning(halfclose):
    variant, check_file = halfclose
    spec = load_variant(variant)
    assert spec.events["user"][-1] == "shutdown_write"
    model = build(load_check(check_file))
    ex = explore(model.system, [])
    used = {model.system.event_name(act) for s in ex.states
            for act, _ in model.system.successors(s) if act.kind == "call"}
    assert "shutdown_write" in used


CASES = [("crash", None), ("half-open-keepalive", None), ("close", {"loss": 1})]


@pytest.mark.parametrize("name, overrides", CASES)
def test_fast_engine_agrees_on_the_linux_variant(name, overrides):
    m = build(load_check(name, overrides=overrides or {}, variant="linux"))
    props = [p for p in m.properties if p.kind in ("always", "sometimes")]
    a = explore_reference(m.system, props, record_edges=True)
    b = explore_fast(m.system, props, record_edges=True)
    assert (len(a.states), a.transitions, a.depth) == (len(b.states), b.transitions, b.depth)
    assert list(a.states) == list(b.states) and list(a.parent) == list(b.parent)
    assert a.found == b.found and a.fired == b.fired and a.edges == b.edges


def test_fast_engine_agrees_on_an_overlay_user_call(halfclose):
    _, check_file = halfclose
    m = build(load_check(check_file))
    a = explore_reference(m.system, m.properties, record_edges=True)
    b = explore_fast(m.system, m.properties, record_edges=True)
    assert list(a.states) == list(b.states) and a.edges == b.edges and a.found == b.found


def _z3_agrees(model, sample: int, seed: int):
    pytest.importorskip("z3")
    from tcpmodel.engines import crosscheck
    states = explore(model.system, []).states
    picked = random.Random(seed).sample(states, min(sample, len(states)))
    assert crosscheck.confirm_successors(model, picked) == []


def test_z3_encoding_agrees_on_the_linux_variant():
    _z3_agrees(build(load_check("crash", variant="linux"), []), 15, 3)


def test_z3_encoding_agrees_on_an_overlay_user_call(halfclose):
    _z3_agrees(build(load_check(halfclose[1]), []), 15, 5)


def _spin_agrees(model, tmp_path):
    from tcpmodel.export import spin
    from tcpmodel.export.promela import export_promela
    if spin.available() is not None:
        pytest.skip(spin.available())
    names = [p.name for p in model.properties if p.kind in ("always", "sometimes")]
    model = build(model.check, names)
    res = check(model)
    got = spin.run(export_promela(model), str(tmp_path), expected_states=res.states)
    assert got.complete and not got.errors, got.output[-2000:]
    assert got.states == res.states
    violated = {p.name for p in res.properties if p.kind == "always" and p.verdict == "violated"}
    assert got.violated == violated


def test_promela_export_agrees_on_the_linux_variant(tmp_path):
    _spin_agrees(build(load_check("crash", variant="linux")), tmp_path)


def test_promela_export_agrees_on_an_overlay_user_call(halfclose, tmp_path):
    _spin_agrees(build(load_check(halfclose[1])), tmp_path)
