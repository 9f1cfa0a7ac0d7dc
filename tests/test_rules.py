"""Each RFC 9293 rule group, checked against the RFC's text (§3.10), one endpoint at a time.

Endpoint A has ISS 0 and the sequence space is 8 unless a test says otherwise.
"""

import pytest

from conftest import Endpoint


def one(outcomes):
    assert len(outcomes) == 1, outcomes
    return outcomes[0]


@pytest.fixture
def a():
    return Endpoint(data=1)


# ---------------------------------------------------------------- CLOSED: reset generation group 1

def test_closed_answers_syn_with_rst_ack(a):
    state, _, sent, _ = one(a.rcv(a.code("CLOSED"), a.seg(3, ctl="SYN")))
    assert state == "CLOSED"
    assert sent == "<SEQ=0><ACK=4><CTL=RST,ACK>"  # <SEQ=0><ACK=SEG.SEQ+SEG.LEN>


def test_closed_answers_ack_with_rst_at_seg_ack(a):
    state, _, sent, _ = one(a.rcv(a.code("CLOSED"), a.seg(3, 7, "ACK")))
    assert (state, sent) == ("CLOSED", "<SEQ=7><CTL=RST>")


def test_closed_drops_rst(a):
    assert one(a.rcv(a.code("CLOSED"), a.seg(3, ctl="RST")))[2] is None


def test_active_open_sends_syn(a):
    state, f, sent, _ = one(a.event(a.code("CLOSED"), "open_active"))
    assert state == "SYN-SENT" and sent == "<SEQ=0><CTL=SYN>"
    assert (f["iss"], f["snd_una"], f["snd_nxt"]) == (0, 0, 1)


def test_iss_any_branches_over_the_sequence_space():
    e = Endpoint(iss="any")
    outs = e.event(e.code("CLOSED"), "open_active")
    assert sorted(f["iss"] for _, f, _, _ in outs) == list(range(8))


# ---------------------------------------------------------------- LISTEN

def test_listen_syn_enters_syn_received(a):
    state, f, sent, _ = one(a.rcv(a.code("LISTEN"), a.seg(3, ctl="SYN")))
    assert state == "SYN-RECEIVED" and f["passive"] is True
    assert (f["irs"], f["rcv_nxt"]) == (3, 4)
    assert sent == "<SEQ=0><ACK=4><CTL=SYN,ACK>"


def test_listen_resets_any_ack(a):
    state, _, sent, _ = one(a.rcv(a.code("LISTEN"), a.seg(3, 6, "ACK", data=1)))
    assert (state, sent) == ("LISTEN", "<SEQ=6><CTL=RST>")


def test_listen_ignores_rst_and_close_returns_to_closed(a):
    state, _, sent, _ = one(a.rcv(a.code("LISTEN"), a.seg(3, 6, "RST,ACK")))
    assert (state, sent) == ("LISTEN", None)
    assert one(a.event(a.code("LISTEN"), "close"))[0] == "CLOSED"


# ---------------------------------------------------------------- SYN-SENT

@pytest.fixture
def synsent(a):
    return a.code("SYN-SENT", iss=0, snd_una=0, snd_nxt=1)


def test_synsent_acceptable_synack_establishes(a, synsent):
    state, f, sent, _ = one(a.rcv(synsent, a.seg(4, 1, "SYN,ACK")))
    assert state == "ESTABLISHED"
    assert (f["irs"], f["rcv_nxt"], f["snd_una"]) == (4, 5, 1)
    assert sent == "<SEQ=1><ACK=5><CTL=ACK>"


@pytest.mark.parametrize("ack", [0, 2, 5])  # SEG.ACK =< ISS or SEG.ACK > SND.NXT
def test_synsent_unacceptable_ack_is_reset(a, synsent, ack):
    state, _, sent, _ = one(a.rcv(synsent, a.seg(4, ack, "SYN,ACK")))
    assert (state, sent) == ("SYN-SENT", f"<SEQ={ack}><CTL=RST>")


def test_simultaneous_open(a, synsent):
    state, f, sent, _ = one(a.rcv(synsent, a.seg(4, ctl="SYN")))
    assert state == "SYN-RECEIVED" and f["passive"] is False
    assert sent == "<SEQ=0><ACK=5><CTL=SYN,ACK>"


def test_synsent_rst_needs_acceptable_ack(a, synsent):
    assert one(a.rcv(synsent, a.seg(0, 1, "RST,ACK")))[::3] == ("CLOSED", "reset")
    assert one(a.rcv(synsent, a.seg(0, 5, "RST,ACK")))[0] == "SYN-SENT"
    assert one(a.rcv(synsent, a.seg(0, ctl="RST")))[0] == "SYN-SENT"


def test_synsent_retransmits_syn(a, synsent):
    assert one(a.event(synsent, "rto"))[2] == "<SEQ=0><CTL=SYN>"


# ---------------------------------------------------------------- SYN-RECEIVED

def synrcvd(a, passive=True):
    # our ISS 4 (SYN at 4 unacknowledged), peer's ISS 0
    return a.code("SYN-RECEIVED", iss=4, snd_una=4, snd_nxt=5, irs=0, rcv_nxt=1, passive=passive)


def test_synrcvd_ack_establishes(a):
    state, f, sent, _ = one(a.rcv(synrcvd(a), a.seg(1, 5, "ACK")))
    assert state == "ESTABLISHED" and f["snd_una"] == 5 and sent is None


def test_synrcvd_ack_of_nothing_new_is_reset_in_rfc9293_but_accepted_in_rfc793():
    new, old = Endpoint("rfc9293"), Endpoint("rfc793")
    seg = new.seg(1, 4, "ACK")  # SEG.ACK = SND.UNA
    assert one(new.rcv(synrcvd(new), seg))[::2] == ("SYN-RECEIVED", "<SEQ=4><CTL=RST>")
    assert one(old.rcv(synrcvd(old), seg))[0] == "ESTABLISHED"


def test_synrcvd_rst_passive_returns_to_listen_active_is_refused(a):
    assert one(a.rcv(synrcvd(a, True), a.seg(1, ctl="RST")))[0] == "LISTEN"
    assert one(a.rcv(synrcvd(a, False), a.seg(1, ctl="RST")))[::3] == ("CLOSED", "refused")


def test_unacceptable_rst_is_dropped(a):
    assert one(a.rcv(synrcvd(a), a.seg(5, ctl="RST")))[0] == "SYN-RECEIVED"


def test_retransmitted_syn_is_unacceptable_and_acked(a):
    state, _, sent, _ = one(a.rcv(synrcvd(a), a.seg(0, ctl="SYN")))
    assert (state, sent) == ("SYN-RECEIVED", "<SEQ=5><ACK=1><CTL=ACK>")


def test_in_window_syn_rfc9293_listen_rfc793_reset():
    new, old = Endpoint("rfc9293"), Endpoint("rfc793")
    assert one(new.rcv(synrcvd(new), new.seg(1, ctl="SYN")))[0] == "LISTEN"
    state, _, sent, sig = one(old.rcv(synrcvd(old), old.seg(1, ctl="SYN")))
    assert (state, sig) == ("CLOSED", "reset") and "RST" in sent


def test_synrcvd_close_sends_fin(a):
    state, f, sent, _ = one(a.event(synrcvd(a), "close"))
    assert state == "FIN-WAIT-1" and sent == "<SEQ=5><ACK=1><CTL=FIN,ACK>"


# ---------------------------------------------------------------- synchronized states

def est(a, state="ESTABLISHED", **kw):
    f = dict(iss=0, snd_una=1, snd_nxt=1, irs=4, rcv_nxt=5)
    f.update(kw)
    return a.code(state, **f)


def test_in_order_data_is_delivered_and_acked(a):
    state, f, sent, sig = one(a.rcv(est(a), a.seg(5, 1, "ACK", data=1)))
    assert (state, f["rcv_nxt"], sent, sig) == ("ESTABLISHED", 6, "<SEQ=1><ACK=6><CTL=ACK>", "deliver")


def test_unacceptable_segment_draws_an_ack(a):
    for seg in (a.seg(6, 1, "ACK", data=1), a.seg(3, 1, "FIN,ACK"), a.seg(2, ctl="SYN")):
        state, _, sent, sig = one(a.rcv(est(a), seg))
        assert (state, sent, sig) == ("ESTABLISHED", "<SEQ=1><ACK=5><CTL=ACK>", None)


def test_ack_of_unsent_data_draws_an_ack(a):
    state, f, sent, _ = one(a.rcv(est(a), a.seg(5, 3, "ACK")))
    assert (state, f["snd_una"], sent) == ("ESTABLISHED", 1, "<SEQ=1><ACK=5><CTL=ACK>")


def test_rst_in_window_closes_out_of_window_is_dropped(a):
    assert one(a.rcv(est(a), a.seg(5, ctl="RST")))[::3] == ("CLOSED", "reset")
    assert one(a.rcv(est(a), a.seg(7, ctl="RST")))[0] == "ESTABLISHED"


def test_syn_in_window_resets_the_connection(a):
    state, _, sent, sig = one(a.rcv(est(a), a.seg(5, ctl="SYN")))
    assert (state, sig) == ("CLOSED", "reset") and sent == "<SEQ=0><ACK=6><CTL=RST,ACK>"


def test_fin_enters_close_wait(a):
    state, f, sent, _ = one(a.rcv(est(a), a.seg(5, 1, "FIN,ACK")))
    assert (state, f["rcv_nxt"], sent) == ("CLOSE-WAIT", 6, "<SEQ=1><ACK=6><CTL=ACK>")


def test_send_close_abort(a):
    state, f, sent, _ = one(a.event(est(a), "send"))
    assert sent == "<SEQ=1><ACK=5><CTL=ACK><DATA=1>" and f["snd_nxt"] == 2 and f["sent"] == 1
    # the data budget (param data = 1) is spent: SEND is an error
    assert one(a.event(est(a, sent=1), "send"))[3] == "error"
    state, _, sent, _ = one(a.event(est(a), "close"))
    assert (state, sent) == ("FIN-WAIT-1", "<SEQ=1><ACK=5><CTL=FIN,ACK>")
    state, _, sent, _ = one(a.event(est(a), "abort"))
    assert (state, sent) == ("CLOSED", "<SEQ=1><CTL=RST>")


def test_retransmission_of_data(a):
    assert one(a.event(est(a, snd_nxt=2), "rto"))[2] == "<SEQ=1><ACK=5><CTL=ACK><DATA=1>"
    assert one(a.event(est(a), "rto"))[2] is None  # nothing outstanding: no timer


# ---------------------------------------------------------------- closing

def fw1(a, **kw):
    return est(a, "FIN-WAIT-1", snd_nxt=2, **kw)   # our FIN occupies 1


def test_fin_wait_1_transitions(a):
    assert one(a.rcv(fw1(a), a.seg(5, 2, "ACK")))[0] == "FIN-WAIT-2"
    assert one(a.rcv(fw1(a), a.seg(5, 1, "FIN,ACK")))[0] == "CLOSING"
    assert one(a.rcv(fw1(a), a.seg(5, 2, "FIN,ACK")))[0] == "TIME-WAIT"
    assert one(a.event(fw1(a), "rto"))[2] == "<SEQ=1><ACK=5><CTL=FIN,ACK>"


def test_fin_wait_2_fin_enters_time_wait(a):
    state, f, sent, _ = one(a.rcv(est(a, "FIN-WAIT-2", snd_una=2, snd_nxt=2), a.seg(5, 2, "FIN,ACK")))
    assert (state, sent) == ("TIME-WAIT", "<SEQ=2><ACK=6><CTL=ACK>")


def test_close_wait_close_rfc9293_last_ack_rfc793_closing():
    new, old = Endpoint("rfc9293"), Endpoint("rfc793")
    assert one(new.event(est(new, "CLOSE-WAIT", rcv_nxt=6), "close"))[0] == "LAST-ACK"
    assert one(old.event(est(old, "CLOSE-WAIT", rcv_nxt=6), "close"))[0] == "CLOSING"


def test_closing_and_last_ack_wait_for_the_ack_of_our_fin(a):
    assert one(a.rcv(est(a, "CLOSING", snd_nxt=2, rcv_nxt=6), a.seg(6, 2, "ACK")))[0] == "TIME-WAIT"
    assert one(a.rcv(est(a, "LAST-ACK", snd_nxt=2, rcv_nxt=6), a.seg(6, 2, "ACK")))[0] == "CLOSED"
    assert one(a.rcv(est(a, "LAST-ACK", snd_nxt=2, rcv_nxt=6), a.seg(6, 1, "ACK")))[0] == "LAST-ACK"


def tw(e):
    return est(e, "TIME-WAIT", snd_una=2, snd_nxt=2, rcv_nxt=6)


def test_time_wait_expires_only_when_msl_has_passed(a):
    assert one(a.event(tw(a), "time_wait", msl=True))[0] == "CLOSED"
    assert one(a.event(tw(a), "time_wait", msl=False))[0] == "TIME-WAIT"


def test_time_wait_acks_a_retransmitted_fin(a):
    state, _, sent, _ = one(a.rcv(tw(a), a.seg(5, 2, "FIN,ACK")))
    assert (state, sent) == ("TIME-WAIT", "<SEQ=2><ACK=6><CTL=ACK>")


def test_rst_in_time_wait_rfc9293_closes_rfc1337_ignores():
    new, fixed = Endpoint("rfc9293"), Endpoint("rfc1337")
    assert one(new.rcv(tw(new), new.seg(6, ctl="RST")))[0] == "CLOSED"
    assert one(fixed.rcv(tw(fixed), fixed.seg(6, ctl="RST")))[0] == "TIME-WAIT"


def test_user_timeout_is_a_switch():
    off, on = Endpoint(data=1), Endpoint(data=1, user_timeout=True)
    assert one(off.event(est(off, snd_nxt=2), "user_timeout"))[0] == "ESTABLISHED"
    assert one(on.event(est(on, snd_nxt=2), "user_timeout"))[::3] == ("CLOSED", "aborted")
    assert one(on.event(est(on), "user_timeout"))[0] == "ESTABLISHED"  # nothing outstanding


def test_entering_closed_deletes_the_tcb(a):
    _, f, _, _ = one(a.event(est(a), "abort"))
    assert all(v in (0, False) for v in f.values())
