"""Scenario lines: replies that must not happen, conditions at arrival, `then` over TCB fields
and signals, `never` / `nothing`, and forged segments with data (docs/scenarios.md)."""

import pytest

from test_cli import run as cli_run
from tcpmodel.errors import InputError
from tcpmodel.scenario import run

LISTENER = '''
[params]
attacker = 1
attacker_flags = ["SYN", "FIN"]
[scripts]
a = []
b = ["open_passive"]
[[line]]
call = "open_passive"
by = "B"
'''


def scenario(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_reply_none_rejects_an_arrival_that_answers(tmp_path):
    quiet = scenario(tmp_path, LISTENER + '[[line]]\ninject = "FIN"\nto = "B"\nreply = "none"\n')
    assert run(quiet).found is True
    # a SYN to a listener is answered with a SYN,ACK: "sends nothing" cannot match
    loud = scenario(tmp_path, LISTENER + '[[line]]\ninject = "SYN"\nto = "B"\nreply = "none"\n')
    o = run(loud)
    assert o.found is False
    from tcpmodel.scenario_report import render_outcome
    assert "(the arrival sends a segment)" in render_outcome(o)


def test_then_reads_tcb_fields_and_signals(tmp_path):
    base = LISTENER + '[[line]]\ninject = "SYN"\nto = "B"\nname = "syn"\n'
    ok = scenario(tmp_path, base + 'then = { b = "SYN-RECEIVED", holds = "b.irs == syn.seq and '
                                   'b.rcv_nxt == syn.seq + 1 and step.signal == \'none\'" }\n')
    assert run(ok).found is True
    wrong = scenario(tmp_path, base + 'then = "b.rcv_nxt == syn.seq"\n', "w.toml")
    assert run(wrong).found is False
    # signal = "none": the completing step tells the user nothing
    assert run(scenario(tmp_path, base + 'signal = "none"\n', "n.toml")).found is True
    assert run(scenario(tmp_path, base + 'signal = "reset"\n', "r.toml")).found is False


def test_where_at_arrival(tmp_path):
    base = '''
[scripts]
a = ["open_active"]
b = ["open_passive"]
[[line]]
call = "open_passive"
by = "B"
[[line]]
send = "SYN"
by = "A"
'''
    # the arrival's condition sees the state after it (and prev.*, step.*)
    good = base + 'where_arrival = "prev.b.state == \'LISTEN\' and b.state == \'SYN-RECEIVED\'"\n'
    assert run(scenario(tmp_path, good)).found is True
    bad = base + 'where_arrival = "b.state == \'LISTEN\'"\n'
    assert run(scenario(tmp_path, bad, "b.toml")).found is False
    # an arrive line's where is evaluated when the delayed segment arrives
    delayed = base.replace('by = "A"\n', 'by = "A"\nfate = "delayed"\nname = "syn"\n', 1)
    late = delayed + '[[line]]\narrive = "syn"\nwhere = "seg.seq == syn.seq and b.irs == seg.seq"\n'
    assert run(scenario(tmp_path, late, "l.toml")).found is True
    never = delayed + '[[line]]\narrive = "syn"\nwhere = "b.state == \'LISTEN\'"\n'
    assert run(scenario(tmp_path, never, "n.toml")).found is False


def test_never_and_nothing(tmp_path):
    # after the forged FIN is dropped, nothing else can happen: the listener stays put
    dropped = LISTENER + '[[line]]\ninject = "FIN"\nto = "B"\n'
    assert run(scenario(tmp_path, dropped + '[[line]]\nnothing = true\n')).found is True
    assert run(scenario(tmp_path, dropped + '[[line]]\nnever = "b.state != \'LISTEN\'"\n',
                        "n.toml")).found is True
    # after a forged SYN, B answers and (its SYN,ACK reaching a CLOSED A) is reset back to LISTEN
    syn = LISTENER + '[[line]]\ninject = "SYN"\nto = "B"\n'
    o = run(scenario(tmp_path, syn + '[[line]]\nnothing = true\n', "s.toml"))
    assert o.found is False and o.reached == 2
    assert run(scenario(tmp_path, syn + '[[line]]\nnever = "step.rule == \'synrcvd-rst-passive\'"\n',
                        "r.toml")).found is False
    # the lines after a never line go on from the same state
    # (B's SYN,ACK went out with the arrival; A, CLOSED for good, answers it with a RST)
    then = syn + '[[line]]\nnever = "a.state != \'CLOSED\'"\n[[line]]\nsend = "RST"\nby = "A"\n'
    o = run(scenario(tmp_path, then, "t.toml"))
    assert o.found is True and o.line_steps[3] == o.line_steps[2][-1:]


def test_forged_segments_with_data(tmp_path):
    from conftest import reachable
    from tcpmodel.endpoint import FLAG_BIT
    model, _ = reachable("half-open", attacker=1, attacker_flags=["ACK,DATA", "DATA"])
    seg = model.system.machines[0].seg
    forged = {seg.unpack(c)[2:] for c in model.system.injectable}
    assert forged == {(FLAG_BIT["ACK"], 1), (0, 1)}
    text = '''
start = "a.state == 'ESTABLISHED' and b.state == 'ESTABLISHED' and ab.size == 0 and ba.size == 0"
[params]
attacker = 1
attacker_flags = ["ACK,DATA"]
[scripts]
a = [{ call = "open_active", when = "peer.state == 'LISTEN'" }]
b = ["open_passive"]
[[line]]
inject = "ACK"
data = true
to = "B"
where = "seg.seq == b.rcv_nxt and seg.ack == b.snd_nxt"
signal = "deliver"
'''
    o = run(scenario(tmp_path, text))
    assert o.found is True and o.trace.steps[-1].received.endswith("<DATA=1>")
    # a forgery the attacker's patterns do not allow is an input error, not "impossible"
    no = text.replace('["ACK,DATA"]', '["ACK"]')
    with pytest.raises(InputError, match=r'cannot forge ACK,DATA.*add "ACK,DATA" to attacker_flags'):
        run(scenario(tmp_path, no, "no.toml"))


@pytest.mark.parametrize("line,needle", [
    ('send = "SYN"\nby = "A"\nfate = "lost"\nreply = "none"\n', "'reply' describes an arrival"),
    ('send = "SYN"\nby = "A"\nreply = "RST"\n', 'only "none" is a reply'),
    ('never = "a.state == \'CLOSED\'"\nthen = { a = "CLOSED" }\n', "no 'then'"),
    ('nothing = "yes"\n', "nothing = true"),
    ('send = "SYN"\nby = "A"\nthen = { c = "CLOSED" }\n', "not a, b or holds"),
    ('send = "SYN"\nby = "A"\nthen = "a.snd_nxtt == 1"\n', "unknown name 'a.snd_nxtt'"),
    ('never = "seg.seq == 1"\n', "unknown name 'seg.seq'"),
    ('send = "SYN"\nby = "A"\nsignal = "nothing"\n', "unknown signal 'nothing'"),
])
def test_new_line_errors_are_one_line(tmp_path, line, needle):
    path = scenario(tmp_path, "[[line]]\n" + line, "bad.toml")
    with pytest.raises(InputError, match="bad.toml") as e:
        run(path)
    assert needle in str(e.value)
    code, _, err = cli_run("scenario", path)
    assert code == 2 and err.count("\n") == 1 and needle in err
