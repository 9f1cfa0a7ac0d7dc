"""The vectorised projection of a search (pairs, terminal states, fired rules, pair edges)
is the one computed state by state from ``System.successors``."""

import pytest

from conftest import run_check
from tcpmodel.render.explored import _project_arrays, _project_states


@pytest.mark.parametrize("name, overrides", [
    ("crash", {}), ("handshake", {"loss": 1}), ("half-open-keepalive", {}),
    ("time-wait", {"dup": 0, "data": 0}), ("close", {"loss": 1, "channel": "fifo"}),
])
def test_arrays_and_states_give_the_same_projection(name, overrides):
    model, res = run_check(name, **overrides)
    ex = res._exploration
    assert getattr(ex, "engine", None) == "fast"
    calls = []
    fast = _project_arrays(model.system, ex, lambda done, total: calls.append((done, total)))
    slow = _project_states(model.system, ex, None)
    assert fast.pairs == slow.pairs and sum(fast.pairs.values()) == res.states
    assert fast.terminal == slow.terminal and fast.initial == slow.initial
    assert fast.fired == slow.fired and fast.edges == slow.edges
    assert calls and calls[-1] == (res.states, res.states)


def test_a_stopped_search_projects_only_what_it_reached():
    model, res = run_check("close", max_states=3000)
    ex = res._exploration
    fast = _project_arrays(model.system, ex, None)
    slow = _project_states(model.system, ex, None)
    assert sum(fast.pairs.values()) == res.states
    assert fast.edges == slow.edges and fast.fired == slow.fired
