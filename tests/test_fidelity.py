"""The RFC 9293 divergences of issue 12, one endpoint at a time, against the RFC's text.

Endpoint A has ISS 0, the sequence space is 8 and the window 2 unless a test says otherwise.
"""

import pytest

from conftest import Endpoint
from test_rules import one


@pytest.fixture
def a():
    return Endpoint(data=1)


def established(e, state="ESTABLISHED", **f):
    fields = dict(iss=0, snd_una=1, snd_nxt=1, irs=4, rcv_nxt=5)
    fields.update(f)
    return e.code(state, **fields)


# ---------------------------------------------------------------- 1. segments without ACK

@pytest.mark.parametrize("ctl,data,length", [("FIN", 0, 1), ("", 1, 1), ("FIN", 1, 2)])
def test_closed_answers_an_ackless_segment_with_rst_ack(a, ctl, data, length):
    # §3.10.7.1: "If the ACK bit is off, sequence number zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN>"
    state, _, sent, _ = one(a.rcv(a.code("CLOSED"), a.seg(3, 6, ctl, data)))
    assert (state, sent) == ("CLOSED", f"<SEQ=0><ACK={3 + length}><CTL=RST,ACK>")


def test_listen_and_syn_sent_drop_an_ackless_fin(a):
    # §3.10.7.2 fourth, §3.10.7.3 fifth: drop the segment and return (no RST)
    assert one(a.rcv(a.code("LISTEN"), a.seg(3, ctl="FIN")))[:3] == ("LISTEN", {
        k: v for k, v in a.m.view(a.code("LISTEN")).items() if k != "state"}, None)
    synsent = a.code("SYN-SENT", iss=0, snd_una=0, snd_nxt=1)
    for seg in (a.seg(3, ctl="FIN"), a.seg(3, data=1), a.seg(3, 5, ctl="FIN", data=1)):
        state, _, sent, _ = one(a.rcv(synsent, seg))
        assert (state, sent) == ("SYN-SENT", None)


@pytest.mark.parametrize("state", ["SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
                                   "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"])
def test_ackless_fin_in_the_window_is_dropped(a, state):
    # §3.10.7.4 fifth: "if the ACK bit is off, drop the segment and return"
    code = a.code(state, iss=0, snd_una=0 if state == "SYN-RECEIVED" else 1, snd_nxt=1, irs=4,
                  rcv_nxt=5)
    for seg in (a.seg(5, 1, "FIN"), a.seg(5, 1, "", data=1)):
        new, f, sent, signal = one(a.rcv(code, seg))
        assert (new, sent, signal, f["rcv_nxt"]) == (state, None, None, 5)


def test_ackless_segment_outside_the_window_is_acknowledged(a):
    # §3.10.7.4 first: the sequence check comes before the ACK bit
    _, _, sent, _ = one(a.rcv(established(a), a.seg(1, ctl="FIN")))
    assert sent == "<SEQ=1><ACK=5><CTL=ACK>"


# ---------------------------------------------------------------- 2. rfc793: the unacknowledged SYN

@pytest.mark.parametrize("variant,state", [("rfc793", "ESTABLISHED"), ("rfc793", "CLOSE-WAIT"),
                                           ("rfc9293", "CLOSING"), ("rfc9293", "LAST-ACK")])
def test_an_unacknowledged_syn_is_retransmitted_as_syn_ack(variant, state):
    # SND.UNA = ISS: the oldest unacknowledged octet is our SYN; nothing else was ever sent
    e = Endpoint(variant, role="B")
    extra = 1 if state in ("CLOSING", "LAST-ACK") else 0       # their FIN is sent too
    code = e.code(state, iss=4, snd_una=4, snd_nxt=5 + extra, irs=0, rcv_nxt=1)
    _, _, sent, _ = one(e.event(code, "rto"))
    assert sent == "<SEQ=4><ACK=1><CTL=SYN,ACK>"


# ---------------------------------------------------------------- 3. SEND before ESTABLISHED

def test_send_before_established_is_queued_then_segmentized():
    a = Endpoint(data=2)
    synsent = a.code("SYN-SENT", iss=0, snd_una=0, snd_nxt=1)
    state, f, sent, signal = one(a.event(synsent, "send"))
    assert (state, sent, signal, f["queued"], f["sent"]) == ("SYN-SENT", None, None, 1, 1)
    # in LISTEN, SEND turns the connection active: a SYN now, the octet later
    outs = a.event(a.code("LISTEN"), "send")
    state, f, sent, _ = one(outs)
    assert (state, sent, f["queued"], f["passive"]) == ("SYN-SENT", "<SEQ=0><CTL=SYN>", 1, False)
    # once ESTABLISHED, output sends the queued octets one by one, in sequence
    est = a.code("ESTABLISHED", iss=0, snd_una=1, snd_nxt=1, irs=4, rcv_nxt=5, sent=2, queued=2)
    state, f, sent, _ = one(a.event(est, "output"))
    assert sent == "<SEQ=1><ACK=5><CTL=ACK><DATA=1>" and (f["queued"], f["snd_nxt"]) == (1, 2)
    # nothing queued: output is not a step
    idle = a.code("ESTABLISHED", iss=0, snd_una=1, snd_nxt=1, irs=4, rcv_nxt=5)
    state, f, sent, _ = one(a.event(idle, "output"))
    assert (state, sent) == ("ESTABLISHED", None)
    assert f == {k: v for k, v in a.m.view(idle).items() if k != "state"}


@pytest.mark.parametrize("state,after_fin", [("SYN-RECEIVED", None), ("ESTABLISHED", "FIN-WAIT-1"),
                                             ("CLOSE-WAIT", "LAST-ACK")])
def test_close_waits_for_queued_data(state, after_fin):
    a = Endpoint(data=1)
    una = 0 if state == "SYN-RECEIVED" else 1
    code = a.code(state, iss=0, snd_una=una, snd_nxt=1, irs=4, rcv_nxt=5, sent=1, queued=1)
    new, f, sent, signal = one(a.event(code, "close"))
    assert (new, sent, signal, f["close_queued"]) == (state, None, None, True)
    # a second CLOSE is an error; so is a SEND
    closing = a.code(state, iss=0, snd_una=una, snd_nxt=1, irs=4, rcv_nxt=5, sent=1, queued=1,
                     close_queued=True)
    assert one(a.event(closing, "close"))[3] == "error"
    if after_fin:
        # output: first the octet, then the FIN
        _, f, sent, _ = one(a.event(closing, "output"))
        assert sent == "<SEQ=1><ACK=5><CTL=ACK><DATA=1>"
        drained = a.code(state, iss=0, snd_una=1, snd_nxt=2, irs=4, rcv_nxt=5, sent=1,
                         close_queued=True)
        new, f, sent, _ = one(a.event(drained, "output"))
        assert (new, sent, f["close_queued"]) == (after_fin, "<SEQ=2><ACK=5><CTL=FIN,ACK>", False)


def test_rfc793_queued_close_in_close_wait_enters_closing():
    e = Endpoint("rfc793", data=1)
    drained = e.code("CLOSE-WAIT", iss=0, snd_una=1, snd_nxt=2, irs=4, rcv_nxt=5, sent=1,
                     close_queued=True)
    assert one(e.event(drained, "output"))[0] == "CLOSING"


# ---------------------------------------------------------------- 4. FIN and RST after a FIN

def test_a_fin_after_the_fin_is_acknowledged():
    b = Endpoint(role="B")
    # B received A's FIN (RCV.NXT = 2) and, in LAST-ACK and CLOSING, sent its own (SND.NXT = 6)
    cw = b.code("CLOSE-WAIT", iss=4, snd_una=5, snd_nxt=5, irs=0, rcv_nxt=2)
    state, f, sent, _ = one(b.rcv(cw, b.seg(2, 5, "FIN,ACK")))
    assert (state, sent, f["rcv_nxt"]) == ("CLOSE-WAIT", "<SEQ=5><ACK=2><CTL=ACK>", 2)
    la = b.code("LAST-ACK", iss=4, snd_una=5, snd_nxt=6, irs=0, rcv_nxt=2)
    state, _, sent, _ = one(b.rcv(la, b.seg(2, 5, "FIN,ACK")))
    assert (state, sent) == ("LAST-ACK", "<SEQ=6><ACK=2><CTL=ACK>")
    # one that acknowledges our FIN ends LAST-ACK at once ("delete the TCB ... and return")
    state, _, sent, _ = one(b.rcv(la, b.seg(2, 6, "FIN,ACK")))
    assert (state, sent) == ("CLOSED", None)
    cl = b.code("CLOSING", iss=4, snd_una=5, snd_nxt=6, irs=0, rcv_nxt=2)
    assert one(b.rcv(cl, b.seg(2, 5, "FIN,ACK")))[0:3:2] == ("CLOSING", "<SEQ=6><ACK=2><CTL=ACK>")
    assert one(b.rcv(cl, b.seg(2, 6, "FIN,ACK")))[0:3:2] == ("TIME-WAIT", "<SEQ=6><ACK=2><CTL=ACK>")


@pytest.mark.parametrize("state,signal", [("ESTABLISHED", "reset"), ("FIN-WAIT-1", "reset"),
                                          ("FIN-WAIT-2", "reset"), ("CLOSE-WAIT", "reset"),
                                          ("CLOSING", None), ("LAST-ACK", None),
                                          ("TIME-WAIT", None)])
def test_rst_signals_reset_only_where_the_rfc_says(a, state, signal):
    # §3.10.7.4 second: CLOSING, LAST-ACK, TIME-WAIT "enter the CLOSED state ... and return"
    new, _, sent, sig = one(a.rcv(established(a, state), a.seg(5, ctl="RST")))
    assert (new, sent, sig) == ("CLOSED", None, signal)


# ---------------------------------------------------------------- 5. retransmission limits

def test_retries_are_counted_per_segment_and_end_the_connection():
    a = Endpoint(data=1, retries=2)
    # octet at 1 unacknowledged: two retransmissions, then the timeout aborts (no RST)
    code = a.code("ESTABLISHED", iss=0, snd_una=1, snd_nxt=2, irs=4, rcv_nxt=5, sent=1)
    for n in (1, 2):
        _, f, sent, _ = one(a.event(code, "rto"))
        assert sent == "<SEQ=1><ACK=5><CTL=ACK><DATA=1>" and (f["rtx"], f["rtx_una"]) == (n, 1)
        code = a.code("ESTABLISHED", **{k: v for k, v in f.items()})
    assert one(a.event(code, "rto"))[0:4:3] == ("CLOSED", "aborted")
    assert one(a.event(code, "rto"))[2] is None
    # an ACK that moves SND.UNA starts the count again: the FIN is a new segment
    fw = a.code("FIN-WAIT-1", iss=0, snd_una=2, snd_nxt=3, irs=4, rcv_nxt=5, sent=1, rtx=2,
                rtx_una=1)
    _, f, sent, _ = one(a.event(fw, "rto"))
    assert sent == "<SEQ=2><ACK=5><CTL=FIN,ACK>" and (f["rtx"], f["rtx_una"]) == (1, 2)


def test_syn_retries_give_up_and_a_listener_listens_again():
    a = Endpoint(syn_retries=1)
    synsent = a.code("SYN-SENT", iss=0, snd_una=0, snd_nxt=1, rtx=1, rtx_una=0)
    assert one(a.event(synsent, "rto"))[0:4:3] == ("CLOSED", "aborted")
    passive = a.code("SYN-RECEIVED", iss=0, snd_una=0, snd_nxt=1, irs=4, rcv_nxt=5, passive=True,
                     rtx=1, rtx_una=0)
    assert one(a.event(passive, "rto"))[0:4:3] == ("LISTEN", None)
    active = a.code("SYN-RECEIVED", iss=0, snd_una=0, snd_nxt=1, irs=4, rcv_nxt=5, rtx=1)
    assert one(a.event(active, "rto"))[0:4:3] == ("CLOSED", "aborted")


def test_without_a_limit_nothing_is_counted():
    a = Endpoint(data=1)
    code = a.code("ESTABLISHED", iss=0, snd_una=1, snd_nxt=2, irs=4, rcv_nxt=5, sent=1)
    _, f, sent, _ = one(a.event(code, "rto"))
    assert sent is not None and (f["rtx"], f["rtx_una"]) == (0, 0)
    assert a.m.fields[a.m.field_index["rtx"]].size == 1    # the counter takes one value
