"""Attacker interfaces: presets, per-direction powers and budgets, recovery, the terminal rule,
bad input; and the engines that must agree on the attacker (fast = reference; z3 and Promela
refuse it cleanly). scripts/attacker_engines.py compares the engines at the shipped sizes."""

import pytest

from conftest import run_check, verdicts
from test_cli import run
from tcpmodel.attacker import resolve
from tcpmodel.check import build, load_check
from tcpmodel.engines.explicit import explore_reference
from tcpmodel.engines.explicit.vectorised import explore_fast
from tcpmodel.errors import InputError
from tcpmodel.params import resolve as resolve_params
from tcpmodel.system import ATTACK, ATTACKER_KINDS


# a small space (10 k states, not 580 k) where the budgets still run out: 4 sequence numbers,
# one segment per channel
SMALL = {"seq_space": 4, "iss_b": 2, "rcv_wnd": 1, "capacity": 1}


def kinds(model, limit=20000):
    """Attacker step kinds (and directions) taken anywhere in the first ``limit`` states."""
    ex = explore_reference(model.system, [], max_states=limit)
    out = set()
    for s in ex.states:
        for act, _ in model.system.successors(s):
            if act.kind in ATTACKER_KINDS:
                out.add((act.kind, act.side))
    return out


def test_presets_allow_exactly_their_actions():
    on = kinds(build(load_check("korg")))
    off = kinds(build(load_check("korg", overrides={"attacker": "off-path"})))
    lossy = kinds(build(load_check("korg", overrides={"attacker": "lossy"})))
    assert {k for k, _ in on} == {"drop", "inject", "replay"}
    assert {k for k, _ in off} == {"inject"} and {s for _, s in off} == {0, 1}
    assert {k for k, _ in lossy} == {"drop"}


def test_one_direction_only():
    chk = load_check("korg", overrides={"attacker.preset": "off-path",
                                        "attacker.ab": {"inject": False}})
    # forged towards B would be direction ab: only forgeries towards A (side 0) remain
    assert kinds(build(chk)) == {("inject", 0)}


def test_budgets_per_action_are_counted_in_the_state():
    chk = load_check("korg", overrides={"attacker.budget": "unbounded",
                                        "attacker.ab": {"drop": 1, "inject": False,
                                                        "replay": False},
                                        "attacker.ba": {"drop": False, "inject": 2,
                                                        "replay": False}, **SMALL})
    m = build(chk, [])
    att = m.system.attacker
    ex = explore_reference(m.system, [])
    assert ex.complete
    seen = set()
    for s in ex.states:
        used = att.used(s[ATTACK])
        assert used[(0, "drop")] <= 1 and used[(1, "inject")] <= 2
        seen.add((used[(0, "drop")], used[(1, "inject")]))
    assert (1, 2) in seen   # both budgets can be used up


def test_unbounded_budget_keeps_no_counter():
    m = build(load_check("korg", overrides={"attacker": "off-path"}), [])
    assert m.system.attacker.counters == ()
    assert all(s[ATTACK] == 0 for s in explore_fast(m.system, [], max_states=3000).states)


def test_a_state_where_only_the_attacker_can_act_is_terminal():
    # honest korg ends with both CLOSED and nothing to do; the forger (budget left) could go on
    m = build(load_check("korg", overrides={"attacker.preset": "off-path"}), [])
    ex = explore_fast(m.system, [])
    assert ex.complete and ex.terminal > 0
    m0 = build(load_check("korg", overrides={"attacker": "none"}), [])
    ex0 = explore_reference(m0.system, [])
    end = next(s for s in ex0.states if not m0.system.successors(s))
    moves = m.system.successors(end)
    assert moves and all(a.kind in ATTACKER_KINDS for a, _ in moves)
    assert ex.index.get(end) is not None


def test_recovery_decides_whether_an_endless_attack_counts():
    # phi2: an on-path attacker that intercepts B's SYN forever keeps A in LISTEN while B
    # retransmits in SYN-SENT; once it stops, delivery fairness establishes the connection.
    # (A blind loss, the lossy preset, does not discharge delivery fairness: it holds there.)
    lossy = {"attacker.preset": "on-path", "attacker.budget": "unbounded",
             "attacker.ab": {"inject": False, "replay": False},
             "attacker.ba": {"inject": False, "replay": False}}
    _, ends = run_check("korg", properties=["phi2_establishes"], **lossy)
    _, endless = run_check("korg", properties=["phi2_establishes"],
                           **{"attacker.recovery": False, **lossy})
    assert verdicts(ends) == {"phi2_establishes": "holds"}
    assert verdicts(endless) == {"phi2_establishes": "violated"}
    tr = endless.properties[0].trace
    assert tr.loop_start is not None
    assert any(s.kind == "drop" for s in tr.steps[tr.loop_start:])


@pytest.mark.parametrize("table, msg", [
    ({"preset": "sideways"}, "unknown attacker preset"),
    ({"budgit": 2}, "unknown key 'budgit'"),
    ({"ab": {"observe": False, "replay": 1}}, "cannot replay"),
    ({"budget": -1}, "is not a budget"),
    ({"values": "some"}, "is not"),
    ({"flags": ["SYN", "PSH"]}, "unknown control flag"),
    ({"ab": {"drop": "lots"}}, "is not a budget"),
])
def test_bad_attacker_tables(table, msg):
    with pytest.raises(InputError, match=msg):
        resolve(table, resolve_params({}), file="x.toml")


def test_bad_attacker_in_a_check_file_is_one_line_exit_2(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('properties = ["no_deadlock"]\n[attacker]\npreset = "of-path"\n')
    code, _, err = run("check", str(f))
    assert code == 2
    assert "c.toml" in err and "of-path" in err and "off-path" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_set_attacker_none_removes_the_checks_attacker():
    assert load_check("korg", overrides={"attacker": "none"}).attacker is None
    assert load_check("korg").attacker is not None


def test_z3_and_promela_refuse_the_attacker_cleanly():
    for argv in (("check", "korg", "--engine", "z3"), ("export", "promela", "korg")):
        code, _, err = run(*argv)
        assert code == 2, err
        assert "attacker" in err and "Traceback" not in err


CASES = [("korg", {}), ("korg", {"attacker.preset": "off-path", "attacker.budget": 2, **SMALL}),
         ("korg", {"attacker": "lossy"}), ("half-open", {"attacker": 1}),
         ("crash", {"attacker": 1, "channel": "fifo"}),
         ("korg", {"attacker.data": True, "data": 1, "attacker.values": "all",
                   "attacker.flags": ["SYN", "RST"]})]


@pytest.mark.parametrize("name, overrides", CASES)
def test_fast_engine_is_the_reference_engine_with_an_attacker(name, overrides):
    m = build(load_check(name, overrides=overrides))
    props = [p for p in m.properties if p.kind in ("always", "sometimes")]
    a = explore_reference(m.system, props, record_edges=True)
    b = explore_fast(m.system, props, record_edges=True)
    assert (len(a.states), a.transitions, a.depth, a.terminal, a.complete) == \
        (len(b.states), b.transitions, b.depth, b.terminal, b.complete)
    assert list(a.states) == list(b.states)
    n = len(a.states)
    assert list(a.parent) == [b.parent[i] for i in range(n)]
    assert a.found == b.found and a.fired == b.fired and a.edges == b.edges


def test_forged_steps_in_traces_name_the_class_of_the_forged_numbers():
    _, res = run_check("korg", properties=["phi1_no_half_open"])
    tr = res.properties[0].trace
    forged = [s for s in tr.steps if s.kind == "inject"]
    assert len(forged) == 1
    st = forged[0]
    assert st.actor == "attacker" and st.received and st.direction in ("A->B", "B->A")
    assert "forged segment" in st.note and " of " in st.note
