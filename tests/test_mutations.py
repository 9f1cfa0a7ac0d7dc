"""Seeded mutations of the rules must make some property of the shipped checks fail.

Each mutant is a copy of specs/rfc9293.toml with one transition deleted (its effects removed,
so the event is dropped) or one guard negated; every shipped check that exercises the rule is
run against it, and at least one property must be violated.

Some deletions only turn progress into endless retransmission (e.g. LAST-ACK ignoring the ACK
of its FIN): no safety property can see that; the liveness tests cover those mutants.
(Dropping the FIN in ESTABLISHED is an equivalent mutant for the close check: both scripts
close anyway, and the FIN is handled again in FIN-WAIT-1.)
"""

import re

import pytest

from conftest import run_check
from tcpmodel.spec import specs_dir

BASE = (specs_dir() / "rfc9293.toml").read_text()


def rule_block(text, rid):
    blocks = re.split(r"(?m)^(?=\[\[rule\]\])", text)
    for i, b in enumerate(blocks):
        if f'id = "{rid}"\n' in b:
            return blocks, i
    raise KeyError(rid)


def delete_transition(text, rid):
    blocks, i = rule_block(text, rid)
    blocks[i] = "\n".join(l for l in blocks[i].splitlines()
                          if not re.match(r"(set|send|next|choose|signal) =", l)) + "\n"
    return "".join(blocks)


def flip_guard(text, rid):
    blocks, i = rule_block(text, rid)
    m = re.search(r'^when = "(.*)"$', blocks[i], re.M)
    assert m, rid
    blocks[i] = blocks[i].replace(m.group(0), f'when = "not ({m.group(1)})"')
    return "".join(blocks)


MUTANTS = [
    (delete_transition, "listen-rcv-syn", "handshake"),
    (delete_transition, "synsent-synack", "handshake"),
    (delete_transition, "synrcvd-ack", "handshake"),
    (delete_transition, "rto-syn", "handshake"),
    (delete_transition, "close-fin", "close"),
    (delete_transition, "send-data", "close"),
    (delete_transition, "time-wait-expiry", "close"),
    (delete_transition, "closewait-close", "close"),
    (delete_transition, "sync-rst", "crash"),
    (flip_guard, "synsent-bad-ack", "handshake"),
    (flip_guard, "unacceptable", "close"),
    (flip_guard, "send-data", "close"),
    (flip_guard, "rto-fin", "close"),
    (flip_guard, "time-wait-expiry", "time-wait"),
]


# smaller bounds keep a mutant's (often larger) state space quick to explore
SMALL = {"handshake": dict(iss="fixed"), "close": dict(loss=1), "crash": {},
         "time-wait": dict(dup=1)}
SAFETY = {"handshake": ["no_deadlock", "no_half_open_deadlock", "both_established"],
          "close": ["no_deadlock", "no_half_open_deadlock", "time_wait_safety", "both_closed",
                    "time_wait_reached", "data_delivered"],
          "crash": None, "time-wait": None}

# Deletions that only turn progress into endless retransmission: liveness must catch them.
LIVENESS_MUTANTS = [
    (delete_transition, "rto-syn", "handshake", "eventually_established"),
    (delete_transition, "finwait2-fin", "close", "graceful_close"),
    (delete_transition, "lastack-ack", "close", "graceful_close"),
    (delete_transition, "rto-fin", "close", "graceful_close"),
]


def mutant(tmp_path, mutate, rid):
    path = tmp_path / f"{rid}.toml"
    mutated = mutate(BASE, rid)
    assert mutated != BASE
    path.write_text(mutated)
    return str(path)


@pytest.mark.parametrize("mutate,rid,check", MUTANTS,
                         ids=[f"{m.__name__}-{r}" for m, r, _ in MUTANTS])
def test_mutant_is_killed(tmp_path, mutate, rid, check):
    _, res = run_check(check, variant=mutant(tmp_path, mutate, rid), properties=SAFETY[check],
                       **SMALL[check])
    assert res.complete
    failed = [p.name for p in res.properties if p.verdict == "violated"]
    assert failed, f"mutant {mutate.__name__}({rid}) survived {check}"


@pytest.mark.parametrize("mutate,rid,check,prop", LIVENESS_MUTANTS,
                         ids=[f"{m.__name__}-{r}" for m, r, _, _ in LIVENESS_MUTANTS])
def test_liveness_kills_what_safety_cannot_see(tmp_path, mutate, rid, check, prop):
    _, res = run_check(check, variant=mutant(tmp_path, mutate, rid), properties=[prop],
                       **SMALL[check])
    assert res.properties[0].verdict == "violated", f"{rid} survived {prop}"


def test_unmutated_rules_pass_the_same_checks():
    for check in ("handshake", "close"):
        props = SAFETY[check] + [p for _, _, c, p in LIVENESS_MUTANTS if c == check]
        _, res = run_check(check, properties=sorted(set(props)), **SMALL[check])
        assert all(p.verdict == "holds" for p in res.properties), check
