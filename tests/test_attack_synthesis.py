"""tcpmodel attack: distinct minimal attacks per property, each replayable as a scenario; the
forged-value classes give the verdicts of every value; Korg's phi1-phi4 under its attackers."""

import pytest

from conftest import run_check, verdicts
from tcpmodel.attacks import is_subsequence, run_attack
from tcpmodel.scenario import run as run_scenario

SMALL = {"seq_space": 4, "iss_b": 2, "rcv_wnd": 1}


@pytest.mark.parametrize("variant, attacker", [
    ("rfc9293", {"attacker.preset": "off-path", "attacker.budget": 1}),
    ("rfc5961", {"attacker.preset": "off-path", "attacker.budget": 1}),
    ("rfc9293", {"attacker.budget": 1, "attacker.recovery": False}),
])
def test_value_classes_give_the_verdicts_of_every_value(variant, attacker):
    # one forged value per class the receiver's rules tell apart, against all of them
    _, classes = run_check("korg", variant=variant, **SMALL, **attacker)
    _, every = run_check("korg", variant=variant, **SMALL, **attacker,
                         **{"attacker.values": "all"})
    assert classes.complete and every.complete
    assert verdicts(classes) == verdicts(every)
    assert classes.transitions < every.transitions   # the classes did merge values
    # the same states are reachable: forging any value of a class has the same effect
    assert classes.states == every.states


def test_attack_lists_distinct_minimal_attacks_each_replayable(tmp_path):
    from tcpmodel.render.attack_report import write_outputs
    rep = run_attack("korg", properties=["phi1_no_half_open", "phi4_or_listen"], max_attacks=4,
                     transfer_variants=["rfc9293", "rfc5961"])
    by = {s.prop: s for s in rep.syntheses}
    phi1 = by["phi1_no_half_open"]
    assert len(phi1.attacks) > 1
    sigs = [a.letters for a in phi1.attacks]
    assert len(set(sigs)) == len(sigs)
    assert not any(is_subsequence(a, b) for a in sigs for b in sigs if a is not b)
    assert by["phi4_or_listen"].attacks == [] and by["phi4_or_listen"].complete
    # every attack violates its own property on its own variant
    for a in phi1.attacks:
        assert rep.matrix[a.name][("phi1_no_half_open", "rfc9293")] is True
    written = write_outputs(rep, tmp_path)
    scen = [p for p in written if p.suffix == ".toml"]
    assert len(scen) == len(rep.attacks)
    for p in scen[:2]:
        out = run_scenario(str(p))
        assert out.found is True, p.read_text()


def test_korg_properties_under_each_attacker():
    # measured in docs/attacks.md: without an attacker all four hold; one on-path action
    # breaks phi1 and the strict phi4 (not RFC 9293's phi4 with LISTEN)
    _, honest = run_check("korg", attacker="none")
    assert set(verdicts(honest).values()) == {"holds"}
    _, one = run_check("korg")
    v = verdicts(one)
    assert v["phi1_no_half_open"] == "violated" and v["phi4_synrcvd_resolves"] == "violated"
    assert v["phi2_establishes"] == v["phi3_not_stuck"] == v["phi4_or_listen"] == "holds"
