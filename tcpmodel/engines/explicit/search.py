"""Explicit-state breadth-first search: exhaustive safety checking with shortest traces.

``explore`` visits every reachable state once, in BFS order, so the first state
(or step) found violating an ``always`` property, or witnessing a ``sometimes``
property, has a shortest trace.  States are interned once; for each state the
search keeps only its parent id and the index of the action that reached it,
and rebuilds traces by replaying those actions.
"""

from __future__ import annotations

import gc
import time
from array import array

from ...memory import in_use
from ...params import require_enumerable
from ...results import HOLDS, UNKNOWN, VIOLATED, CheckResult, PropertyResult
from ...system import ATTACKER_KINDS
from ...trace import build_trace
from .exploration import Exploration, Progress
from .liveness import (LIVENESS_KINDS, check_liveness, check_liveness_lists,
                       never_applicable, unknown)


def explore(system, props, *, max_states: int | None = None, timeout: float | None = None,
            progress: Progress | None = None, record_edges: bool = False,
            engine: str = "fast", workers: int = 1, max_memory: int | None = None) -> Exploration:
    """Breadth-first search over ``system`` evaluating safety ``props`` on states and steps.

    With ``record_edges`` the labelled graph is kept (``Exploration.edges``) for liveness.
    ``engine``: "fast" (vectorised, ``vectorised.py``) or "reference" (one state at a time, below);
    both give the same states, ids, parents, counts and verdicts.
    ``max_memory``: stop ("max-memory", verdicts unknown) once the process holds more bytes.
    """
    require_enumerable(system.params)
    if engine == "fast":
        from .vectorised import explore_fast
        from .tables import TooLarge
        try:
            return explore_fast(system, props, max_states=max_states, timeout=timeout,
                                progress=progress, record_edges=record_edges, workers=workers,
                                max_memory=max_memory)
        except (TooLarge, OverflowError):
            pass  # beyond the 64-bit packing: the reference engine has no such limit
    return explore_reference(system, props, max_states=max_states, timeout=timeout,
                             progress=progress, record_edges=record_edges, max_memory=max_memory)


def explore_reference(system, props, *, max_states: int | None = None,
                      timeout: float | None = None, progress: Progress | None = None,
                      record_edges: bool = False, max_memory: int | None = None) -> Exploration:
    """The reference search: one state at a time, states as tuples in a dict."""
    t0 = time.monotonic()
    succ = system.successors
    states: list = []
    index: dict = {}
    parent = array("q")
    via = array("l")
    for s in system.initial_states():
        if s not in index:
            index[s] = len(states)
            states.append(s)
            parent.append(-1)
            via.append(-1)
    ex = Exploration(states, index, parent, via)
    edges = ex.edges = [] if record_edges else None
    label = system.fair_label
    request = system.fair_request
    state_props = [p for p in props if p.kind in ("always", "sometimes") and not p.on_steps]
    step_props = [p for p in props if p.kind in ("always", "sometimes") and p.on_steps]
    found = ex.found
    fired = ex.fired
    frontier = list(range(len(states)))
    depth = 0
    transitions = 0
    expanded = 0
    gc_was = gc.isenabled()
    gc.disable()  # the search allocates millions of small tuples that never form cycles
    try:
        while frontier:
            nxt: list = []
            for sid in frontier:
                s = states[sid]
                moves = succ(s)
                # the attacker is never forced: where only it could act, the run may stop
                term = all(a.kind in ATTACKER_KINDS for a, _ in moves)
                if term:
                    ex.terminal += 1
                if state_props:
                    env = (s, term, None, None)
                    for p in state_props[:]:
                        if p.test(env) != (p.kind == "always"):
                            found[p.name] = (sid, None)
                            state_props.remove(p)
                for k, (act, t) in enumerate(moves):
                    if act.out is not None:
                        fired.add((act.side, act.out.rule))
                        if act.overflow:
                            ex.overflow += 1
                    if step_props:
                        env = (t, False, s, act)
                        for p in step_props[:]:
                            if p.test(env) != (p.kind == "always"):
                                found[p.name] = (sid, k)
                                step_props.remove(p)
                    if t not in index:
                        index[t] = len(states)
                        nxt.append(len(states))
                        states.append(t)
                        parent.append(sid)
                        via.append(k)
                if edges is not None:
                    edges.append([(index[t], label(act), k, request(act))
                                  for k, (act, t) in enumerate(moves)])
                transitions += len(moves)
                expanded += 1
                if expanded & 1023 == 0:
                    if progress:
                        progress.tick(len(states), len(nxt) + len(frontier), depth)
                    if timeout is not None and time.monotonic() - t0 > timeout:
                        ex.stop_reason = "timeout"
                        return ex
                    if max_memory is not None and in_use() > max_memory:
                        ex.stop_reason = "max-memory"
                        return ex
                if max_states is not None and len(states) >= max_states:
                    ex.stop_reason = "max-states"
                    return ex
            frontier = nxt
            if frontier:
                depth += 1
        ex.complete = True
        return ex
    except KeyboardInterrupt:
        ex.stop_reason = "interrupted"
        return ex
    except MemoryError:
        ex.stop_reason = "max-memory"
        return ex
    finally:
        ex.transitions = transitions
        ex.depth = depth
        ex.seconds = time.monotonic() - t0
        if gc_was:
            gc.enable()


def trace_to(system, ex: Exploration, sid: int, k: int | None):
    """The shortest trace to state ``sid`` (then through its ``k``-th action, if given)."""
    ids = ex.path(sid)
    moves = []
    for a, b in zip(ids, ids[1:]):
        act, t = system.successors(ex.states[a])[ex.via[b]]
        assert t == ex.states[b], "replay diverged: successors() is not deterministic"
        moves.append((act, t))
    if k is not None:
        moves.append(system.successors(ex.states[sid])[k])
    return build_trace(system, ex.states[ids[0]], moves)


def check(model, *, max_states=None, timeout=None, progress=None, workers=1,
          max_memory=None) -> CheckResult:
    """Run the explicit engine on a built model and turn the search into verdicts.

    Limits (``max_states``, ``timeout``, ``max_memory`` in bytes) and Ctrl-C end the run with
    the verdicts decided so far; the others are unknown, never holds."""
    system = model.system
    safety = [p for p in model.properties if p.kind in ("always", "sometimes")]
    live = [p for p in model.properties if p.kind in LIVENESS_KINDS]
    premises = [p.premise for p in safety if p.premise is not None]
    ex = explore(system, safety + premises, max_states=max_states, timeout=timeout,
                 progress=progress, record_edges=bool(live), workers=workers,
                 max_memory=max_memory)
    res = CheckResult(model.check.name, model.check.variant, model.check.params, "explicit",
                      states=len(ex.states), transitions=ex.transitions, depth=ex.depth,
                      seconds=ex.seconds, complete=ex.complete, stop_reason=ex.stop_reason,
                      terminal_states=ex.terminal, overflow_drops=ex.overflow)
    covered = f"{len(ex.states):,} states to depth {ex.depth}"
    for p in safety:
        hit = ex.found.get(p.name)
        if hit is not None:
            tr = trace_to(system, ex, *hit)
            verdict = VIOLATED if p.kind == "always" else HOLDS
            detail = "counterexample" if p.kind == "always" else "witness"
            res.properties.append(PropertyResult(p.name, p.kind, p.formula, verdict, p.doc, tr,
                                                 len(tr), "explicit BFS", f"shortest {detail}"))
        elif ex.complete:
            verdict = HOLDS if p.kind == "always" else VIOLATED
            detail = (f"all {len(ex.states):,} reachable states" if p.kind == "always"
                      else f"no witness among all {len(ex.states):,} reachable states")
            if p.premise is not None and p.premise.name not in ex.found:
                # always (P implies Q) with P never true: as vacuous as an unreached leads_to
                detail = "vacuous: " + detail
                res.warnings.append(f"{p.name}: the premise of 'implies' "
                                    f"({p.premise.formula.removeprefix('sometimes ')}) "
                                    "is never true (the property holds vacuously)")
            res.properties.append(PropertyResult(p.name, p.kind, p.formula, verdict, p.doc,
                                                 method="explicit BFS", detail=detail))
        else:
            res.properties.append(PropertyResult(
                p.name, p.kind, p.formula, UNKNOWN, p.doc, method="explicit BFS",
                detail=f"search stopped ({ex.stop_reason}) after {covered}"))
    if live:
        try:
            _check_live(model, ex, live, res)
        except (KeyboardInterrupt, MemoryError) as e:
            why = "interrupted" if isinstance(e, KeyboardInterrupt) else "max-memory"
            decided = {r.name for r in res.properties}
            res.properties += [unknown(p, f"the liveness check stopped ({why})")
                               for p in live if p.name not in decided]
            res.stop_reason = res.stop_reason or why
    if ex.stop_reason == "max-memory":
        from ...memory import text
        res.warnings.append(f"the run stopped at the memory limit ({text(max_memory or 0)}, "
                            "--max-memory): verdicts not reached are unknown; raise the "
                            "limit or shrink the model (--set, or [scripts] in the check)")
    order = {p.name: i for i, p in enumerate(model.properties)}
    res.properties.sort(key=lambda r: order[r.name])
    ma = system.machines[0]
    # a rule with no effect on a user call or timer never shows as a step, so it cannot "fire"
    res.unfired_rules = [r.id for i, r in enumerate(ma.rules)
                         if (0, i) not in ex.fired and (1, i) not in ex.fired
                         and not (r.is_noop and "segment" not in
                                  {ma.spec.event_kind(e) for e in r.events})]
    if ex.overflow:
        res.warnings.append(f"{ex.overflow:,} transitions drop a segment at a full channel "
                            f"(capacity = {system.cap}, overflow = drop): tail drops happen "
                            "even where loss = 0")
    res._exploration = ex  # kept for callers that export the graph
    return res


def _check_live(model, ex, live, res) -> None:
    """Liveness verdicts on the recorded graph; unknown unless the search was complete."""
    if not ex.complete:
        for p in live:
            res.properties.append(unknown(p, f"needs the complete state graph; search stopped "
                                             f"({ex.stop_reason})"))
        return
    import numpy as np

    from .fair_arrays import Tree
    from .graph_arrays import from_lists
    from .spill import SpilledArray, spill_search_arrays
    from .truths import StateTruths
    from ...memory import give_back
    t0 = time.monotonic()
    if model.system.attacker is None and not any(p.kind == "ltl" for p in live):
        # keys, parents, action indices: on disk until a lasso needs them (the reference
        # lists, for LTL and attackers, read every state one at a time: they stay)
        spill_search_arrays(ex)
    give_back()   # the search's temporaries, before the analysis allocates its own
    graph = ex.graph
    if graph is None:   # the reference engine's lists
        graph = from_lists(ex.edges, [i for i in range(len(ex.states)) if ex.parent[i] < 0])
    # the search's parents and action indices are the shortest-path tree from the initial
    # states (the BFS order, first discovery wins)
    if hasattr(ex.parent, "array"):   # one array each from here on (not a second copy)
        ex.parent, ex.via = ex.parent.array(), ex.via.array()
    # depths from the level bounds: no array per state (start distances are all it serves)
    spilled = isinstance(ex.parent, SpilledArray)
    tree = Tree(ex.parent if spilled else np.asarray(ex.parent, np.int32),
                ex.via if spilled else np.asarray(ex.via), ex.depth_of())
    truths = StateTruths(model, ex, graph)
    lists = None   # LTL, and systems with an attacker: the reference lists (fair_cycles)
    seen_fairness = set()
    for p in live:
        t1 = time.monotonic()
        if p.kind == "ltl" or model.system.attacker is not None:
            if lists is None:
                from .fair_cycles import Graph, bfs_within
                lists = Graph(ex.edges if ex.edges is not None else graph.to_lists(),
                              [int(i) for i in graph.initial])
                list_tree = bfs_within(lists, lists.initial, None)
            pr, warnings = check_liveness_lists(model, ex, p, p.fairness, lists, list_tree)
        else:
            pr, warnings = check_liveness(model, ex, p, p.fairness, graph, tree, truths)
        pr.seconds = time.monotonic() - t1
        res.properties.append(pr)
        res.warnings.extend(warnings)
        key = tuple(sorted(p.fairness.items()))
        if key not in seen_fairness:
            seen_fairness.add(key)
            for w in never_applicable(graph, p.fairness):
                if w not in res.warnings:
                    res.warnings.append(w)
    res.liveness_seconds = time.monotonic() - t0
