"""The fast (vectorised) engine against the reference engine: the same states in the same
order, the same parents and action indices, counts, first violations, rules and edges."""

import pytest

from tcpmodel.check import build, load_check
from tcpmodel.engines.explicit import explore_reference
from tcpmodel.engines.explicit.vectorised import explore_fast

CASES = [(n, {}, None) for n in ("close", "crash", "half-open", "half-open-keepalive",
                                 "handshake", "time-wait")] + [
    ("handshake", {"channel": "fifo", "loss": 2}, None),
    ("close", {"overflow": "block"}, None),
    ("time-wait", {"old_segments": False}, None),
    ("crash", {"spurious_rto": True, "crash_restart": False}, None),
    ("time-wait", {}, "rfc1337"),
    ("handshake", {"iss_a": [0, 2], "incarnations": 2}, "rfc793"),
    ("half-open", {"user_timeout": True, "data": 1, "channel": "fifo"}, None),
]


@pytest.mark.parametrize("name,overrides,variant", CASES)
def test_fast_engine_is_the_reference_engine(name, overrides, variant):
    m = build(load_check(name, overrides=overrides, variant=variant))
    props = [p for p in m.properties if p.kind in ("always", "sometimes")]
    a = explore_reference(m.system, props, record_edges=True)
    b = explore_fast(m.system, props, record_edges=True)
    assert (len(a.states), a.transitions, a.depth, a.terminal, a.overflow, a.complete) == \
        (len(b.states), b.transitions, b.depth, b.terminal, b.overflow, b.complete)
    assert list(a.states) == list(b.states)
    n = len(a.states)
    assert list(a.parent) == [b.parent[i] for i in range(n)]
    roots = sum(1 for x in a.parent if x < 0)
    assert list(a.via)[roots:] == [b.via[i] for i in range(roots, n)]
    assert a.found == b.found and a.fired == b.fired and a.edges == b.edges
    assert all(b.index[s] == i for i, s in enumerate(a.states[:200]))


@pytest.mark.parametrize("limit", [1, 50, 1000])
def test_fast_engine_stops_where_the_reference_stops(limit):
    m = build(load_check("close"))
    props = [p for p in m.properties if p.kind in ("always", "sometimes")]
    a = explore_reference(m.system, props, max_states=limit)
    b = explore_fast(m.system, props, max_states=limit)
    assert (len(a.states), a.transitions, a.depth, a.stop_reason, a.found) == \
        (len(b.states), b.transitions, b.depth, b.stop_reason, b.found)


def test_two_workers_give_the_same_search():
    m = build(load_check("time-wait"))
    props = [p for p in m.properties if p.kind in ("always", "sometimes")]
    a = explore_fast(m.system, props, chunk=512)
    b = explore_fast(m.system, props, chunk=512, workers=2)
    assert (len(a.states), a.transitions, a.depth, a.found) == \
        (len(b.states), b.transitions, b.depth, b.found)
    assert list(a.states) == list(b.states)
    c = explore_fast(m.system, props, chunk=512, workers=2, max_states=5000)
    d = explore_fast(m.system, props, chunk=512, max_states=5000)
    assert (len(c.states), c.transitions, c.found) == (len(d.states), d.transitions, d.found)


def test_attacker_models_run_on_the_fast_engine():
    # (tests/test_attacker.py compares both engines on attacker models in detail)
    m = build(load_check("handshake", overrides={"attacker": 1, "attacker_flags": ["RST"],
                                                   "iss": "fixed", "dup": 0}))
    a = explore_fast(m.system, [])
    b = explore_reference(m.system, [])
    assert list(a.states) == list(b.states) and a.transitions == b.transitions


def test_properties_over_channel_contents_get_the_reference_verdicts(tmp_path):
    # the fast engine memoises truths per control state and channel sizes, so a property that
    # quantifies over the segments in flight must run on the reference engine (a fast run
    # once said "holds" here)
    from tcpmodel.engines.explicit import explore
    path = tmp_path / "q.toml"
    path.write_text('properties = []\n[params]\ncrashes = 1\ncrash_sides = "b"\nincarnations = 2\n'
                    "[scripts]\na = [{ call = \"open_active\", when = \"peer.state == 'LISTEN'\" }]\n"
                    'b = ["open_passive"]\n'
                    '[[property]]\nname = "only_syns"\nformula = "always all(ab, seg.SYN)"\n'
                    '[[property]]\nname = "no_acks_back"\nformula = "always count(ba, seg.ACK) == 0"\n'
                    '[[property]]\nname = "empty"\nformula = "always ab.size == 0"\n')
    m = build(load_check(str(path)))
    a = explore_reference(m.system, m.properties)
    b = explore(m.system, m.properties)
    assert a.found == b.found and len(a.states) == len(b.states)
    assert set(b.found) == {"only_syns", "no_acks_back", "empty"}  # all three are violated
