"""The explicit engine: shortest traces, limits that give 'unknown', deadlocks, user properties."""

import networkx as nx
import pytest

from conftest import run_check, verdicts
from tcpmodel.check import build, load_check
from tcpmodel.engines.explicit import explore
from tcpmodel.errors import InputError
from tcpmodel.graph import to_networkx

SYNCED = {"ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"}
QUIET = {"CLOSED", "LISTEN"}


def test_counterexample_is_a_shortest_path_in_the_state_graph():
    model, res = run_check("crash", properties=["no_half_open_deadlock"])
    prop = res.properties[0]
    assert prop.verdict == "violated"
    # recompute independently: shortest path in the exported graph to a terminal half-open node
    g = to_networkx(model, res._exploration, limit=100_000)
    targets = [n for n, d in g.nodes(data=True) if d.get("terminal") and (
        (d["a"] in SYNCED and d["b"] in QUIET) or (d["b"] in SYNCED and d["a"] in QUIET))]
    dist = nx.single_source_shortest_path_length(g, 0)
    assert prop.depth == min(dist[t] for t in targets if t in dist)
    last = prop.trace.steps[-1]
    assert {last.a, last.b} & SYNCED and {last.a, last.b} & QUIET


def test_graph_export_matches_the_search():
    model, res = run_check("handshake")
    g = to_networkx(model, res._exploration, limit=100_000)
    assert g.number_of_nodes() == res.states
    assert g.number_of_edges() <= res.transitions
    with pytest.raises(InputError, match="export limit"):
        to_networkx(model, res._exploration, limit=3)


def test_max_states_gives_unknown_never_holds():
    _, res = run_check("close", max_states=50)
    assert not res.complete and res.stop_reason == "max-states"
    v = verdicts(res)
    for name in ("no_deadlock", "no_half_open_deadlock", "time_wait_safety", "time_wait_reached"):
        assert v[name] == "unknown"
    assert res.exit_code() == 3


def test_timeout_gives_unknown():
    _, res = run_check("close", capacity=3, timeout=0.01)
    assert res.stop_reason == "timeout" and "unknown" in verdicts(res).values()
    assert "holds" not in {p.verdict for p in res.properties if p.kind == "always"}


def write_check(tmp_path, text, name="toy.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_deadlock_detection_with_a_declared_end(tmp_path):
    # B never opens: A's SYN meets CLOSED, draws <SEQ=0><ACK=1><CTL=RST,ACK>, and A is refused
    path = write_check(tmp_path, '''
properties = ["no_deadlock"]
[scripts]
a = ["open_active"]
b = []
[define]
end = "a.state == 'ESTABLISHED'"
''')
    model = build(load_check(path))
    from tcpmodel.engines.explicit import check
    res = check(model)
    p = res.properties[0]
    assert p.verdict == "violated" and p.depth == 3
    steps = p.trace.steps
    assert [s.sent for s in steps[:2]] == ["<SEQ=0><CTL=SYN>", "<SEQ=0><ACK=1><CTL=RST,ACK>"]
    assert (steps[-1].a, steps[-1].signal) == ("CLOSED", "reset")


def test_user_invariants_and_witnesses_from_the_check_file(tmp_path):
    path = write_check(tmp_path, '''
[params]
loss = 1
[scripts]
a = [{ call = "open_active", when = "peer.state == 'LISTEN'" }]
b = ["open_passive"]
[[property]]
name = "never_established"
formula = "always a.state != 'ESTABLISHED'"
[[property]]
name = "window_in_bounds"
formula = "always (a.snd_nxt - a.snd_una <= 1 and b.snd_nxt - b.snd_una <= 1)"
[[property]]
name = "closing_reachable"
formula = "sometimes b.state == 'CLOSING'"
[[property]]
name = "no_resets"
formula = "always step.signal != 'reset'"
''')
    from tcpmodel.engines.explicit import check
    res = check(build(load_check(path)))
    v = verdicts(res)
    # B listens, A sends SYN, B answers SYN,ACK, A becomes ESTABLISHED: 4 steps
    assert v["never_established"] == "violated"
    assert next(p for p in res.properties if p.name == "never_established").depth == 4
    assert v["window_in_bounds"] == "holds"
    assert v["closing_reachable"] == "violated"  # complete search, no witness
    assert v["no_resets"] == "holds"


def test_step_property_trace_ends_with_the_offending_step():
    _, res = run_check("time-wait", properties=["time_wait_safety"])
    p = res.properties[0]
    assert p.verdict == "violated" and p.trace.steps[-1].stale


def test_explore_counts_are_stable():
    model = build(load_check("handshake"), [])
    a = explore(model.system, [])
    b = explore(model.system, [])
    assert (len(a.states), a.transitions, a.depth) == (len(b.states), b.transitions, b.depth)
