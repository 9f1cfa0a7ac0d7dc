"""Full LTL on the explicit engine: the Büchi-product path agrees with the classic liveness
checks (eventually, leads_to, always eventually) on every shipped check, and handles what
they cannot express."""

from dataclasses import replace

import pytest

from tcpmodel.check import build, list_checks, load_check
from tcpmodel.engines import explicit
from tcpmodel.engines.explicit.liveness import LIVENESS_KINDS

CLASSIC = [k for k in LIVENESS_KINDS if k != "ltl"]


def with_ltl_twins(check):
    """The check's liveness properties, each with a twin forced onto the LTL path (the same
    formula in parentheses, ``and true``) and the same fairness."""
    model = build(check)
    defs = {p.name: p for p in check.property_defs}
    twins = []
    for p in model.properties:
        if p.kind in CLASSIC:
            d = defs.get(p.name)
            if d is None:
                continue
            twins.append((p.name, replace(d, name=p.name + "__ltl",
                                          formula=f"({d.formula}) and true")))
    check.property_defs = [defs[n] for n, _ in twins] + [t for _, t in twins]
    return twins


@pytest.mark.parametrize("name", list_checks())
def test_ltl_path_agrees_with_the_classic_liveness_checks(name):
    check = load_check(name)
    twins = with_ltl_twins(check)
    if not twins:
        pytest.skip("no liveness property")
    model = build(check)
    assert {p.kind for p in model.properties if p.name.endswith("__ltl")} == {"ltl"}
    res = explicit.check(model)
    by = {p.name: p for p in res.properties}
    for n, _ in twins:
        classic, twin = by[n], by[n + "__ltl"]
        assert classic.verdict == twin.verdict, (n, classic.detail, twin.detail)
        if classic.verdict == "violated":
            # both are real runs of the system (replayed step by step when they were built);
            # a dead end on one side is a dead end on the other
            assert (classic.trace.loop_start is None) == (twin.trace.loop_start is None)
