"""Each network/endpoint fault switch changes the reachable set in the way it claims to."""

from conftest import reachable
from tcpmodel.system import AB, BA, INCA, INCB

SYNCED = {"ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"}


def handshake(**overrides):
    """The handshake check on a quiet network with fixed ISS, plus the switch under test."""
    params = dict(loss=0, dup=0, iss="fixed")
    params.update(overrides)
    return reachable("handshake", **params)


def names(model, s):
    ma, mb = model.system.machines
    return ma.state_name(s[0]), mb.state_name(s[1])


def segs(model, ch):
    return [model.system.seg_text(x) for x in ch]


def test_loss_lets_the_first_syn_vanish():
    def syn_lost(model, states):
        return any(names(model, s) == ("SYN-SENT", "LISTEN") and not s[AB] and not s[BA]
                   for s in states)
    m0, s0 = handshake(loss=0)
    m1, s1 = handshake(loss=1)
    assert not syn_lost(m0, s0) and syn_lost(m1, s1)


def test_dup_puts_two_copies_of_the_syn_in_flight():
    # the SYN is retransmitted only when no copy is in flight, so two copies mean duplication
    def two_syns(model, states):
        return any(segs(model, s[AB]).count("<SEQ=0><CTL=SYN>") == 2 for s in states)
    assert not two_syns(*handshake(loss=0))
    assert two_syns(*handshake(loss=0, dup=1))


def test_fifo_forbids_reordering_that_a_bag_allows():
    # without loss, B's FIN can reach A ahead of RCV.NXT only by overtaking B's data octet
    def overtaken(model, states):
        sysm = model.system
        ma = sysm.machines[0]
        for s in states:
            if not s[BA]:
                continue
            for act, _ in sysm.successors(s):
                if act.kind == "rcv" and act.side == 0:
                    seq, _, flags, _ = ma.seg.unpack(sysm.split(act.seg)[0])
                    if flags & 4 and seq == (ma.view(s[0])["rcv_nxt"] + 1) % 8:
                        return True
        return False
    mb, sb = reachable("close", loss=0, overflow="block", channel="bag")
    mf, sf = reachable("close", loss=0, overflow="block", channel="fifo")
    assert overtaken(mb, sb) and not overtaken(mf, sf)
    assert len(sf) < len(sb)


def test_capacity_bounds_the_channels():
    for cap in (1, 2, 3):
        _, states = handshake(loss=0, dup=2, capacity=cap)
        assert max(max(len(s[AB]), len(s[BA])) for s in states) == cap


def test_crash_makes_a_half_open_connection():
    def half_open(model, states):
        return any(names(model, s) == ("ESTABLISHED", "CLOSED") for s in states)
    m0, s0 = handshake(loss=0, crashes=0)
    m1, s1 = handshake(loss=0, crashes=1, crash_sides="b")
    assert not half_open(m0, s0) and half_open(m1, s1)


def test_incarnations_bound_reopening():
    _, one = reachable("time-wait", incarnations=1, iss_b=4)
    _, two = reachable("time-wait")
    assert max(max(s[INCA], s[INCB]) for s in one) == 1
    assert max(max(s[INCA], s[INCB]) for s in two) == 2


def test_old_segments_switch_purges_earlier_incarnations():
    def old_in_flight(model, states):
        sysm = model.system
        for s in states:
            for side, ch in ((0, s[AB]), (1, s[BA])):
                if any(sysm.split(x)[1] < s[INCA + side] for x in ch):
                    return True
        return False
    m1, s1 = reachable("time-wait", old_segments=True)
    m0, s0 = reachable("time-wait", old_segments=False)
    assert old_in_flight(m1, s1) and not old_in_flight(m0, s0)


def test_iss_any_explores_every_initial_sequence_number():
    m, states = handshake(loss=0, iss="any")
    mb = m.system.machines[1]
    isses = {mb.view(s[1])["iss"] for s in states if mb.state_name(s[1]) == "ESTABLISHED"}
    assert isses == set(range(8))


def test_spurious_rto_adds_premature_retransmissions():
    _, quiet = handshake(loss=0)
    _, eager = handshake(loss=0, spurious_rto=True)
    assert len(eager) > len(quiet)


def test_user_timeout_lets_a_side_give_up():
    def gave_up(model, states):
        return any(names(model, s)[0] == "CLOSED" and s[INCA] == 1 for s in states)
    m0, s0 = handshake(loss="unbounded")
    m1, s1 = handshake(loss="unbounded", user_timeout=True)
    assert not gave_up(m0, s0) and gave_up(m1, s1)


def test_overflow_drop_versus_block():
    def drops(model, states):
        return sum(act.overflow for s in states for act, _ in model.system.successors(s))
    md, sd = reachable("close", loss=0, capacity=1)
    mb, sb = reachable("close", loss=0, capacity=1, overflow="block")
    assert drops(md, sd) > 0 and drops(mb, sb) == 0
