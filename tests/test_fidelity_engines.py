"""The machinery issue 12 added (ACK-less arrivals, queued SEND and CLOSE with the output
event, counted retries and giving up under the round-trip timer gating) means the same in every
engine: the fast explicit engine, the Z3 encoding and the Promela export against the reference."""

import random

import pytest

from tcpmodel.check import build, load_check
from tcpmodel.engines.explicit import explore

QUEUED = '''
description = "SEND and CLOSE before ESTABLISHED, with retry limits"
variant = "rfc9293"
properties = ["no_deadlock", "seq_agreement", "data_delivered", "both_closed"]
[params]
data = 1
loss = 1
capacity = 1
syn_retries = 1
retries = 1
[scripts]
a = ["open_active", "send", { call = "close", when = "state in ['ESTABLISHED', 'CLOSE-WAIT']" }]
b = ["open_passive", { call = "send", when = "state == 'SYN-RECEIVED'" },
     { call = "close", when = "state != 'LISTEN'" }]
[define]
end = "a.state in quiet and b.state in quiet"
'''

# rules that only this model fires among the engine tests' models
NEW_RULES = {"send-queue", "close-queued", "output-data", "output-fin", "rto-syn-give-up",
             "rto-synack-give-up-passive", "rto-give-up"}


@pytest.fixture
def queued(tmp_path):
    path = tmp_path / "queued.toml"
    path.write_text(QUEUED)
    return str(path)


def test_the_model_exercises_the_new_rules(queued):
    from conftest import run_check
    _, res = run_check(queued)
    fired = {r.id for r in build(load_check(queued)).system.machines[0].rules} - set(
        res.unfired_rules)
    assert NEW_RULES <= fired, NEW_RULES - fired


def test_fast_engine(queued):
    from test_fast_engine import test_fast_engine_is_the_reference_engine
    test_fast_engine_is_the_reference_engine(queued, {}, None)


def test_z3_successors_where_the_new_fields_matter(queued):
    pytest.importorskip("z3")
    from tcpmodel.engines import crosscheck
    model = build(load_check(queued), [])
    states = explore(model.system, []).states
    m = model.system.machines[0]
    rtx, q, cq = (1 + m.field_index[f] for f in ("rtx", "queued", "close_queued"))

    def interesting(s):
        return any(m.decode(s[side])[i] for side in (0, 1) for i in (rtx, q, cq))
    rng = random.Random(12)
    picked = rng.sample([s for s in states if interesting(s)], 25) + rng.sample(states, 10)
    assert crosscheck.confirm_successors(model, picked) == []


def test_spin_agrees(tmp_path, queued):
    from tcpmodel.export import spin
    if spin.available() is not None:
        pytest.skip(spin.available())
    from test_promela import test_spin_stores_as_many_states_and_agrees
    test_spin_stores_as_many_states_and_agrees(tmp_path, queued, {}, None)
