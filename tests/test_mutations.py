"""Seeded mutations of the rules must make some property of the shipped checks fail.

Each mutant is a copy of specs/rfc9293.toml with one transition deleted (its effects removed,
so the event is dropped) or one guard negated; every shipped check that exercises the rule is
run against it, and at least one property must be violated.

Some deletions only turn progress into endless retransmission (e.g. dropping the FIN in
ESTABLISHED): no safety property can see that; the liveness tests cover those mutants.
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


@pytest.mark.parametrize("mutate,rid,check", MUTANTS,
                         ids=[f"{m.__name__}-{r}" for m, r, _ in MUTANTS])
def test_mutant_is_killed(tmp_path, mutate, rid, check):
    path = tmp_path / f"{rid}.toml"
    mutated = mutate(BASE, rid)
    assert mutated != BASE
    path.write_text(mutated)
    _, res = run_check(check, variant=str(path))
    assert res.complete
    failed = [p.name for p in res.properties if p.verdict == "violated"]
    assert failed, f"mutant {mutate.__name__}({rid}) survived {check}"


def test_unmutated_rules_pass_the_same_checks():
    for check in ("handshake", "close"):
        _, res = run_check(check)
        assert all(p.verdict == "holds" for p in res.properties), check
