"""Sequence charts and Mermaid text of traces: one row per step, arrows from the step that sent
a segment to the step that received it, crosses, duplicates, the lasso bracket, no label on
top of another, and traces read back from JSON."""

import json
import re

import pytest
from conftest import run_check
from pictures import SVG, groups, parse_svg, texts

from tcpmodel.errors import InputError
from tcpmodel.render.flight import flights
from tcpmodel.render.mermaid import trace_mermaid
from tcpmodel.render.seqchart import chart_svg, layout
from tcpmodel.trace import Step, Trace, render_text, trace_from_json


def step(i, kind, actor, a, b, *, rcv=None, snd=None, moved=None, direction=None, stale=False,
         note=None, rule=None):
    if direction is None and kind == "rcv":
        direction = "B->A" if actor == "A" else "A->B"
    return Step(i, kind, actor, kind, rule, rcv, snd, moved, direction, False, stale, None, a, b,
                {}, note or f"{actor}: {kind}")


SYN, SYNACK, ACK = "<SEQ=0><CTL=SYN>", "<SEQ=4><ACK=1><CTL=SYN,ACK>", "<SEQ=1><ACK=5><CTL=ACK>"


def faulty_trace(loop_start=None):
    """A handshake whose first SYN is lost and whose SYN,ACK is duplicated; the copy arrives
    after A is established."""
    return Trace("CLOSED", "LISTEN", [
        step(1, "call", "A", "SYN-SENT", "LISTEN", snd=SYN, note="A: active OPEN"),
        step(2, "loss", "network", "SYN-SENT", "LISTEN", moved=SYN, direction="A->B"),
        step(3, "timer", "A", "SYN-SENT", "LISTEN", snd=SYN, note="A: retransmission timeout"),
        step(4, "rcv", "B", "SYN-SENT", "SYN-RECEIVED", rcv=SYN, snd=SYNACK),
        step(5, "dup", "network", "SYN-SENT", "SYN-RECEIVED", moved=SYNACK, direction="B->A"),
        step(6, "rcv", "A", "ESTABLISHED", "SYN-RECEIVED", rcv=SYNACK, snd=ACK),
        step(7, "rcv", "B", "ESTABLISHED", "ESTABLISHED", rcv=ACK),
        step(8, "rcv", "A", "ESTABLISHED", "ESTABLISHED", rcv=SYNACK, snd=ACK, stale=True),
    ], loop_start)


@pytest.fixture(scope="module")
def time_wait():
    _, res = run_check("time-wait")
    return {p.name: p for p in res.properties}


def test_one_row_per_step(time_wait):
    for p in time_wait.values():
        root = parse_svg(chart_svg(p.trace, "t"))
        rows = groups(root, "step")
        assert len(rows) == len(p.trace) == p.depth
        assert [int(g.get("data-step")) for g in rows] == list(range(1, len(p.trace) + 1))
        # the states after each step, in the order of the trace
        for g, st in zip(rows, p.trace.steps):
            assert texts(g)[1:3] == [st.a, st.b]


def test_arrows_join_the_sending_and_the_receiving_step():
    tr = faulty_trace()
    root = parse_svg(chart_svg(tr))
    segs = {(g.get("data-from"), g.get("data-to"), tuple(sorted(g.get("class").split())))
            for g in groups(root, "segment")}
    assert ("1", "2", ("lost", "segment")) in segs          # the first SYN, lost at step 2
    assert ("3", "4", ("received", "segment")) in segs      # the retransmission arrives
    assert ("4", "6", ("received", "segment")) in segs      # the SYN,ACK ...
    assert ("4", "8", ("dup", "received", "segment", "stale")) in segs   # ... and its copy
    assert ("6", "7", ("received", "segment")) in segs
    assert ("8", "", ("inflight", "segment")) in segs       # the last ACK never arrives
    lost = next(g for g in groups(root, "lost"))
    assert lost.find(f"{SVG}path") is not None              # the cross
    dup = next(g for g in groups(root, "dup"))
    assert dup.find(f"{SVG}line").get("stroke-dasharray")   # a copy is dashed


def test_overtaken_segments_are_marked_delayed():
    tr = Trace("ESTABLISHED", "ESTABLISHED", [
        step(1, "call", "A", "ESTABLISHED", "ESTABLISHED", snd="<SEQ=1><ACK=1><CTL=ACK><DATA=1>"),
        step(2, "call", "A", "FIN-WAIT-1", "ESTABLISHED", snd="<SEQ=2><ACK=1><CTL=FIN,ACK>"),
        step(3, "rcv", "B", "FIN-WAIT-1", "CLOSE-WAIT", rcv="<SEQ=2><ACK=1><CTL=FIN,ACK>"),
        step(4, "rcv", "B", "FIN-WAIT-1", "CLOSE-WAIT", rcv="<SEQ=1><ACK=1><CTL=ACK><DATA=1>"),
    ])
    fl = {f.sent: f for f in flights(tr)}
    assert fl[1].delayed and fl[1].end == 4 and not fl[2].delayed


def test_lasso_loop_is_bracketed():
    tr = faulty_trace(loop_start=5)   # steps 6..8 repeat
    root = parse_svg(chart_svg(tr))
    (loop,) = groups(root, "loop")
    assert (loop.get("data-first"), loop.get("data-last")) == ("6", "8")
    assert any("back to step 6" in t for t in texts(loop))
    mm = trace_mermaid(tr)
    body = mm.split("loop ", 1)[1]
    assert re.findall(r": (\d+)\. ", body) == ["6", "7", "8"] and body.rstrip().endswith("end")
    assert "back to step 6" in render_text(tr)


def test_long_charts_have_no_overlapping_labels(time_wait):
    # the longest shipped traces (19 and 20 steps) and the hand-made faulty one
    traces = [p.trace for p in time_wait.values()] + [faulty_trace(5)]
    assert max(len(t) for t in traces) >= 20
    for tr in traces:
        c = layout(tr, "title")
        labels = c.labels
        for i, a in enumerate(labels):
            for b in labels[:i] + c.notes + c.boxes:
                assert not a.overlaps(b), (a, b)
        for i, a in enumerate(c.notes):
            assert not any(a.overlaps(b) for b in c.notes[:i])


def test_mermaid_has_one_numbered_line_per_step(time_wait):
    tr = time_wait["time_wait_safety"].trace
    mm = trace_mermaid(tr, 'title with "quotes" & <tags>; #')
    nums = [int(n) for n in re.findall(r"^\s+\S.*?: (\d+)\. ", mm, re.MULTILINE)]
    assert nums == list(range(len(tr) + 1))   # 0: the initial states
    assert "<" not in mm.split("\n", 2)[1] and "#lt;" in mm and "#59;" in mm
    for line in mm.splitlines()[1:]:   # in Mermaid a raw ; ends a statement, a raw # a comment
        text = re.sub(r"#\w+;", "", line.split(": ", 1)[-1])
        assert not set(text) & set(";#<>&\""), line
    assert "A-->>B: 19. " in mm and "STALE" in mm and "(sent at step 4)" in mm


def test_trace_json_round_trip(time_wait):
    tr = time_wait["time_wait_safety"].trace
    back = trace_from_json(json.loads(json.dumps(tr.to_json())))
    assert back.steps == tr.steps and chart_svg(back) == chart_svg(tr)
    lasso = faulty_trace(5)
    assert trace_from_json(lasso.to_json()).loop_start == 5


@pytest.mark.parametrize("doc, message", [
    ({"steps": 3}, "expected an object with 'steps'"),
    ({"steps": []}, "no initial states"),
    ({"initial": {"a": "X", "b": "Y"}, "steps": [{"action": "rcv_syn", "kind": "rcv", "actor": "A",
                                                  "a": "X", "b": "Y"}]}, "needs a direction"),
    ({"initial": {"a": "X", "b": "Y"}, "steps": [], "loop_start": 4}, "not a step index"),
])
def test_bad_trace_json_is_an_input_error(doc, message):
    with pytest.raises(InputError, match=message):
        trace_from_json(doc, file="t.json")


def test_charts_are_deterministic(time_wait):
    tr = time_wait["time_wait_safety"].trace
    assert chart_svg(tr, "x") == chart_svg(trace_from_json(tr.to_json()), "x")
