"""Liveness properties of a check, decided on the explicit engine's reachable graph.

``eventually P``, ``P leads_to Q``, ``always eventually P`` and full LTL are checked under the
check's fairness assumptions (per property overrides allowed); a violation is a lasso of
real transitions (a shortest stem, then a fair loop) or a run that stops in a terminal state.

Classic properties of a system without an attacker run on the array graph (``fair_arrays``);
LTL properties (a product with a Büchi automaton, ``ltl_check``) and systems with an attacker
(whose steps are never forced, may be barred from loops, and may intercept deliveries) run on
the reference lists (``fair_cycles``, :func:`check_liveness_lists`).
"""

from __future__ import annotations

from ...errors import InputError, did_you_mean
from ...results import HOLDS, UNKNOWN, VIOLATED, PropertyResult
from ...trace import build_trace

LIVENESS_KINDS = ("eventually", "leads_to", "always_eventually", "ltl")

# Every fairness class, and the default assumption for it.
FAIRNESS_DEFAULTS = {
    "deliver_ab": "strong",   # per segment: sent A->B infinitely often => delivered infinitely often
    "deliver_ba": "strong",
    "timer_a": "strong",      # per timer: enabled infinitely often => fires infinitely often
    "timer_b": "strong",
    "user_a": "weak",         # the script's next call, continuously enabled => eventually made
    "user_b": "weak",
}
STRENGTHS = ("weak", "strong", "none")


def resolve_fairness(table: dict, *, file: str | None, where: str, base: dict | None = None) -> dict:
    """Validate a fairness table and merge it over ``base`` (default: the defaults)."""
    out = dict(base or FAIRNESS_DEFAULTS)
    if not isinstance(table, dict):
        raise InputError("fairness must be a table of class = \"weak\" | \"strong\" | \"none\"",
                         file=file, where=where, fix='fairness = { deliver_ab = "none" }')
    for k, v in table.items():
        if k not in FAIRNESS_DEFAULTS:
            raise InputError(f"unknown fairness class '{k}'", file=file, where=where,
                             fix=did_you_mean(k, FAIRNESS_DEFAULTS))
        if v not in STRENGTHS:
            raise InputError(f"fairness {k} = {v!r} is not weak, strong or none", file=file,
                             where=where, fix=f'{k} = "strong"')
        out[k] = v
    return out


def strength_fn(fairness: dict):
    def strength(label):
        st = fairness.get(label[0]) if label is not None else None
        return None if st in (None, "none") else st
    return strength


def check_liveness(model, ex, prop, fairness: dict, graph, tree, truths):
    """Decide one liveness property on a complete exploration.

    ``graph`` is the labelled graph as arrays (``graph_arrays.ArrayGraph``), ``tree`` the
    shortest-path tree from the initial states (``fair_arrays.Tree``), ``truths`` evaluates
    a state formula at every state (``truths.StateTruths``).
    Returns (PropertyResult, warnings).
    """
    from .fair_arrays import find_lasso, strengths
    system = model.system
    states = ex.states
    warnings = []
    p = truths(prop.test, prop.reads)
    strg = strengths(graph, strength_fn(fairness))
    res = PropertyResult(prop.name, prop.kind, prop.formula, HOLDS, prop.doc, method="explicit SCC")
    if prop.kind == "eventually":
        avoid = ~p
        starts = graph.initial[avoid[graph.initial]]
        lasso = find_lasso(graph, avoid, starts, strg)
    else:
        if prop.kind == "leads_to":
            avoid = ~truths(prop.goal, prop.reads)
            if not p.any():
                warnings.append(f"{prop.name}: the premise of leads_to is never reached "
                                "(the property holds vacuously)")
            starts = p & avoid   # a bool per state: no array per start during the analysis
        else:  # always eventually
            avoid = ~p
            starts = avoid
        del p
        lasso = find_lasso(graph, avoid, starts, strg, start_dist=tree.dist, init_tree=tree)
    assumed = ", ".join(f"{k}={v}" for k, v in fairness.items() if v != "none") or "no fairness"
    return _verdict(res, system, states, lasso, assumed, "", warnings)


def check_liveness_lists(model, ex, prop, fairness: dict, graph, tree: dict):
    """Decide one liveness or LTL property on a complete exploration, on the reference lists
    (``graph``: a ``fair_cycles.Graph``; ``tree``: its shortest-path tree from the initial
    states, ``bfs_within``).  Returns (PropertyResult, warnings)."""
    from .fair_cycles import find_lasso
    system = model.system
    states = ex.states
    n = len(states)
    warnings = []

    def holds_at(fn):
        return [bool(fn((states[v], graph.terminal(v), None, None))) for v in range(n)]

    strength = strength_fn(fairness)
    recovery = bool(getattr(system, "recovery", False))
    loop_graph = graph.without_attacker() if recovery else None
    res = PropertyResult(prop.name, prop.kind, prop.formula, HOLDS, prop.doc,
                         method="explicit SCC" if prop.kind != "ltl" else "explicit Büchi product")
    if prop.kind == "ltl":
        from .ltl_check import find_violation
        vals = [holds_at(fn) for fn in prop.atoms]
        interned: dict = {}
        truth = []
        for v in range(n):
            key = frozenset(i for i, col in enumerate(vals) if col[v])
            truth.append(interned.setdefault(key, key))
        lasso, size = find_violation(graph, prop.parsed.ltl, truth, strength, recovery=recovery)
        product_note = f"; product {size:,} nodes"
    elif prop.kind == "eventually":
        p = holds_at(prop.test)
        avoid = {v for v in range(n) if not p[v]}
        lasso = find_lasso(graph, avoid, [v for v in graph.initial if v in avoid], strength,
                           loop_graph=loop_graph)
    else:
        p = holds_at(prop.test)
        if prop.kind == "leads_to":
            q = holds_at(prop.goal)
            avoid = {v for v in range(n) if not q[v]}
            starts = [v for v in range(n) if p[v] and not q[v]]
            if not any(p):
                warnings.append(f"{prop.name}: the premise of leads_to is never reached "
                                "(the property holds vacuously)")
        else:  # always eventually
            avoid = {v for v in range(n) if not p[v]}
            starts = list(avoid)
        lasso = find_lasso(graph, avoid, starts, strength,
                           start_dist={v: tree[v][2] for v in starts}, init_tree=tree,
                           loop_graph=loop_graph)
    assumed = ", ".join(f"{k}={v}" for k, v in fairness.items() if v != "none") or "no fairness"
    if recovery:
        assumed += ", the attack ends"
    return _verdict(res, system, states, lasso, assumed,
                    product_note if prop.kind == "ltl" else "", warnings)


def _verdict(res, system, states, lasso, assumed: str, note: str, warnings: list) -> tuple:
    """(res, warnings) with the verdict of a fair-lasso search (either engine's lasso: stem and
    loop as (source, action index, target) edges): holds when there is none, else the lasso
    replayed as a trace."""
    if lasso is None:
        res.detail = f"every fair run ({assumed}){note}"
        if warnings:
            res.detail = "vacuous: " + res.detail
        return res, warnings
    edges = lasso.stem + lasso.loop
    moves = []
    for u, k, w in edges:
        act, t = system.successors(states[u])[k]
        assert t == states[w], "replay diverged: successors() is not deterministic"
        moves.append((act, t))
    start = states[edges[0][0]] if edges else states[lasso.end]
    res.trace = build_trace(system, start, moves, len(lasso.stem) if lasso.loop else None)
    res.verdict = VIOLATED
    res.depth = len(moves)
    if lasso.loop:
        res.detail = (f"fair lasso: {len(lasso.stem)}-step stem, {len(lasso.loop)}-step loop "
                      f"({assumed})")
    else:
        res.detail = f"the run stops in a dead end after {len(moves)} steps"
    return res, warnings


def unknown(prop, reason: str) -> PropertyResult:
    return PropertyResult(prop.name, prop.kind, prop.formula, UNKNOWN, prop.doc,
                          method="explicit SCC", detail=reason)


def never_applicable(graph, fairness: dict) -> list[str]:
    """Fairness assumptions that no reachable state ever enables (vacuous assumptions)."""
    import numpy as np
    seen = np.zeros(len(graph.kind_label), bool)
    for _, _, e0, e1 in graph.row_blocks():   # bincount would copy the kinds to int64
        seen[graph.kind[e0:e1]] = True
    kinds = np.flatnonzero(seen)
    used = {graph.labels[i][0] for i in set(graph.kind_label[kinds].tolist()) if i >= 0}
    return [f"fairness assumption {k} = {v} never applies: no reachable state enables it"
            for k, v in fairness.items() if v != "none" and k not in used]
