"""tcpmodel mutate: mutants built from the rule data, and each status checked independently.

The evaluation reuses the baseline's compiled rules and memoised property answers and skips
runs it can prove pointless; these tests rebuild each mutant from scratch (no reuse, no memo)
and compare: a killed mutant really changes a verdict, an equivalent one really has the same
reachable graph, a survivor really changes no verdict.
"""

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from conftest import ROOT
from tcpmodel.check import build, load_check
from tcpmodel.engines import explicit
from tcpmodel.errors import InputError
from tcpmodel.mutate import Mutant, apply, generate
from tcpmodel.mutate.evaluate import evaluate, run_baseline
from tcpmodel.spec import load_variant


def cli(*args):
    p = subprocess.run([sys.executable, "-m", "tcpmodel", *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def spec():
    return load_variant("rfc9293")


def test_every_kind_is_built_from_the_rule_data(spec):
    muts = generate(spec)
    ids = [m.id for m in muts]
    assert len(ids) == len(set(ids))
    by_rule = {r.id: r for r in spec.rules}
    syn = [m for m in muts if m.rule == "listen-rcv-syn"]
    kinds = {m.kind for m in syn}
    assert kinds == {"delete", "retarget", "effect"}    # no guard: the rule has no 'when'
    assert {m.change for m in syn if m.kind == "effect"} == {
        "send"} | {f"set.{f}" for f, _ in by_rule["listen-rcv-syn"].assign}
    targets = {m.change for m in syn if m.kind == "retarget"}
    assert "SYN-RECEIVED" not in targets and "stay" in targets and len(targets) == len(spec.states)
    mutated = apply(spec, Mutant("retarget", "listen-rcv-syn", "CLOSED"))
    rule = next(r for r in mutated.rules if r.id == "listen-rcv-syn")
    assert rule.next.text == "'CLOSED'" and rule.send == by_rule["listen-rcv-syn"].send
    guard = apply(spec, Mutant("guard", "ack-unsent", "negate"))
    assert next(r for r in guard.rules if r.id == "ack-unsent").when.text.startswith("not (")
    assert len(apply(spec, Mutant("delete", "ack-unsent", "")).rules) == len(spec.rules) - 1


def test_deleting_the_last_rule_of_a_pair_is_refused_by_the_completeness_check(spec):
    with pytest.raises(InputError, match="incomplete rules"):
        apply(spec, Mutant("delete", "rto-idle", ""))


def _fresh_verdicts(check, spec):
    """Verdicts of a check on a variant, built from scratch (no reuse, no memo)."""
    model = build(replace(load_check(check), spec=spec))
    res = explicit.check(model)
    assert res.complete
    return {p.name: p.verdict for p in res.properties}, res.states, res.transitions


# a few mutants of each kind on two small checks, with what the evaluation must find
CASES = [
    ("refused", Mutant("delete", "synsent-bad-ack-rst", "")),
    ("refused", Mutant("effect", "synsent-reset", "signal")),
    ("refused", Mutant("retarget", "synsent-reset", "LISTEN")),
    ("refused", Mutant("guard", "synsent-bad-ack-rst", "negate")),
    ("refused", Mutant("retarget", "sync-rst", "LISTEN")),          # never reached: equivalent
    ("early-close", Mutant("retarget", "listen-close", "stay")),
    ("early-close", Mutant("effect", "close-fin", "set.snd_nxt")),
    ("early-close", Mutant("guard", "synrcvd-bad-ack", "drop")),
    ("keepalive", Mutant("retarget", "keepalive", "ESTABLISHED")),   # reached only there
    ("keepalive", Mutant("effect", "keepalive", "send")),
]


@pytest.mark.parametrize("check,mutant", CASES, ids=[f"{c}-{m.id}" for c, m in CASES])
def test_each_status_agrees_with_a_run_from_scratch(check, mutant):
    base = run_baseline(check, None, {}, None)
    out = evaluate(base, mutant, max_states=200_000, timeout=None)
    spec = load_variant("rfc9293")
    before, states, transitions = _fresh_verdicts(check, spec)
    after, m_states, m_transitions = _fresh_verdicts(check, apply(spec, mutant))
    assert out.status in ("killed", "survived", "equivalent"), out
    if out.status == "killed":
        assert out.killed_by
        for name, was, now in out.killed_by:
            assert before[name] == was and after[name] == now != was
    else:
        assert after == before
    if out.status == "equivalent":
        assert (m_states, m_transitions) == (states, transitions)


def test_a_rule_never_reached_is_equivalent_for_that_check_and_unexercised_overall():
    code, out, _ = cli("mutate", "refused", "--rule", "sync-rst", "--kinds", "retarget,effect",
                       "--json", "-j", "1", "-q")
    assert code == 0
    doc = json.loads(out)
    assert {m["status"] for m in doc["mutants"]} == {"unexercised"}
    assert doc["score"]["unexercised"] == len(doc["mutants"]) and doc["score"]["score"] == 0.0


def test_cli_reports_scores_per_check_rule_and_kind(tmp_path):
    code, out, err = cli("mutate", "refused", "keepalive", "--rule", "synsent-reset", "--rule",
                         "keepalive", "--json", "-j", "2", "-q", "--matrix")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["checks"]) == {"refused", "keepalive"}
    assert set(doc["rules"]) == {"synsent-reset", "keepalive"}
    statuses = {m["id"]: m["status"] for m in doc["mutants"]}
    assert statuses["effect:synsent-reset:signal"] == "killed"
    killed = next(m for m in doc["mutants"] if m["id"] == "effect:synsent-reset:signal")
    assert any(k["property"] == "reset_as_rfc" for k in killed["checks"]["refused"]["killed_by"])
    total = doc["score"]
    counted = sum(total[s] for s in ("killed", "survived", "unknown", "unexercised"))
    assert total["score"] == round(100 * total["killed"] / counted, 1)
    # the text form names the same checks and the overall score
    code, text, _ = cli("mutate", "refused", "--rule", "synsent-reset", "-j", "1", "-q")
    assert code == 0 and "refused" in text and "score:" in text


@pytest.mark.parametrize("args,message", [
    (["--kinds", "delete,bogus"], "unknown mutant kind 'bogus'"),
    (["--rule", "no-such-rule"], "no rule 'no-such-rule'"),
    (["--overlay"], "is a base rule file"),
    (["--fail-under", "140"], "not a percentage"),
])
def test_bad_input_is_one_line_exit_2(args, message):
    code, _, err = cli("mutate", "refused", "-q", "-j", "1", *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_fail_under_sets_the_exit_code():
    code, _, _ = cli("mutate", "refused", "--rule", "sync-rst", "-q", "-j", "1",
                     "--fail-under", "50")
    assert code == 1


def test_checks_of_different_variants_need_a_variant(tmp_path):
    other = tmp_path / "other.toml"
    other.write_text((ROOT / "specs/checks/refused.toml").read_text()
                     .replace('variant = "rfc9293"', 'variant = "rfc1337"'))
    code, _, err = cli("mutate", "refused", str(other), "-q", "-j", "1", "--rule", "sync-rst")
    assert code == 2 and "different variants" in err


CONFORMANCE_CHECKS = ["user-calls", "user-errors", "early-close", "simultaneous-open", "refused",
                      "half-close", "user-timeout", "in-window-syn", "in-window-synack",
                      "forged-fin", "forged-syn", "keepalive", "time-wait-2msl", "queued-send",
                      "listen-send", "retry-limits", "forged-noack", "forged-close",
                      "challenge-ack", "keepalive-half-close"]


@pytest.mark.parametrize("variant", ["rfc9293", "rfc793", "rfc1337", "rfc5961", "linux"])
def test_the_conformance_checks_reach_every_rule_of_each_variant(variant):
    """rfc9293: every rule; an overlay: every rule its own file adds or replaces (each check run
    on that variant). A rule is reached when some reachable state and event selects it. On its
    own variant each check's properties all hold."""
    spec = load_variant(variant)
    wanted = {r.id for r in spec.rules if variant == "rfc9293" or r.src.file == spec.files[-1]}
    reached = set()
    for name in CONFORMANCE_CHECKS:
        base = run_baseline(name, variant, {}, None)
        reached |= base.selected
        if load_check(name).variant == variant:
            assert set(base.verdicts.values()) == {"holds"}, (name, base.verdicts)
    assert wanted <= reached, sorted(wanted - reached)
