"""Liveness under weak and strong fairness on the explicit reachable graph.

A counterexample to ``eventually P`` (and friends) is a run that avoids the goal forever:
either it stops in a terminal state, or it ends in a *fair* cycle.  Fair cycles are found
with SCCs and Emerson-Lei refinement (Streett acceptance):

- weak fairness of a label L: a cycle on which L is enabled in every state must take L;
- strong fairness of L: a cycle on which L is *requested* (enabled in some state, or asked
  for by one of its edges) must take L.  Edge requests express "a segment sent forever is
  delivered forever" even when the sends are dropped at a full channel.

An SCC that violates a strong constraint is split by deleting the states where the
untaken label is enabled and the edges that request it, and its remains are searched again.  Labels are arbitrary
hashable values; :func:`check_liveness` maps system actions to labels such as
``("deliver_ab", segment)`` (per-segment delivery on a channel) or ``("timer_a", "rto")``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .scc import strongly_connected_components

WEAK, STRONG = "weak", "strong"


ATTACKER = "attacker"   # label class of the attacker's steps: never forced, never a progress step


def discharged(lab) -> tuple:
    """The labels an edge with label ``lab`` takes: itself, and for an attacker's interception
    ``("attacker", "drop", delivery)`` also that delivery (the attacker owns the channel)."""
    if lab is not None and lab[0] == ATTACKER and len(lab) > 2:
        return (lab, lab[2])
    return (lab,)


@dataclass
class Graph:
    """A labelled graph: ``succ[v]`` lists (target, label or None, action index, request or None).

    ``enabled`` may be given (a product graph takes the system's enabled labels, not its own
    edges'); by default it is computed from the edges.  A node is *terminal* when no step but
    the attacker's leaves it: the run may stop there (the attacker is never forced to act)."""
    succ: list
    initial: list
    enabled_given: list | None = None

    def __post_init__(self):
        self._enabled = self.enabled_given
        self._terminal = None

    @property
    def enabled(self) -> list:
        """Labels enabled (i.e. with an outgoing edge) at each node."""
        if self._enabled is None:
            self._enabled = [frozenset(e[1] for e in es if e[1] is not None) for es in self.succ]
        return self._enabled

    def terminal(self, v: int) -> bool:
        if self._terminal is None:
            self._terminal = [all(e[1] is not None and e[1][0] == ATTACKER for e in es)
                              for es in self.succ]
        return self._terminal[v]

    def without_attacker(self) -> Graph:
        """The same nodes without the attacker's edges (for the loops of runs in which the
        attack ends: "attack, then an honest network")."""
        return Graph([[e for e in es if e[1] is None or e[1][0] != ATTACKER] for es in self.succ],
                     self.initial, self.enabled)


def fair_components(g: Graph, nodes: set, strength, accept: list | None = None) -> list[tuple]:
    """Parts of ``nodes`` that contain a cycle satisfying every fairness constraint.

    ``strength(label)`` returns "weak", "strong" or None (no assumption).  ``accept`` (Büchi
    acceptance) lists node sets the cycle must each visit.  Returns a list of
    (component nodes, banned edges): a fair cycle exists in the component using only edges
    (u, k) not in the banned set.
    """
    found = []
    work = [(set(nodes), frozenset())]
    enabled = g.enabled
    while work:
        part, banned = work.pop()

        def succ(v, banned=banned):
            return (w for w, _, k, _ in g.succ[v] if (v, k) not in banned)

        for comp in strongly_connected_components(part, succ):
            cset = set(comp)
            internal = [(v, w, lab, k, req) for v in comp for w, lab, k, req in g.succ[v]
                        if w in cset and (v, k) not in banned]
            if len(comp) == 1 and not internal:
                continue  # a single state without a self-loop has no cycle
            taken = {x for _, _, lab, _, _ in internal if lab is not None for x in discharged(lab)}
            everywhere = frozenset.intersection(*(enabled[v] for v in comp))
            if any(strength(lab) == WEAK and lab not in taken for lab in everywhere):
                continue  # no sub-cycle can take it either, and it stays enabled throughout
            requested = frozenset().union(*(enabled[v] for v in comp))
            requested |= {req for _, _, _, _, req in internal if req is not None}
            untaken = {lab for lab in requested if strength(lab) == STRONG and lab not in taken}
            if accept and not all(cset & acc for acc in accept):
                continue  # no sub-cycle can visit an acceptance set this component misses
            if not untaken:
                found.append((cset, banned))
                continue
            rest = {v for v in comp if not (enabled[v] & untaken)}
            ban = banned | {(v, k) for v, _, _, k, req in internal if req in untaken}
            if rest:
                work.append((rest, ban))
    return found


def bfs_within(g: Graph, starts, allowed: set | None, start_dist: dict | None = None,
               banned: frozenset = frozenset()) -> dict:
    """Shortest-path tree from ``starts`` inside ``allowed`` (None = the whole graph).

    ``start_dist`` gives each start an initial distance (e.g. its depth from the initial
    states), so distances are totals. Returns {node: (parent, action index, distance, start)},
    parent None at the starts.
    """
    sd = start_dist or {}
    order = sorted((s for s in starts if allowed is None or s in allowed),
                   key=lambda s: (sd.get(s, 0), s))
    tree: dict = {}
    q: deque = deque()
    i = 0
    while q or i < len(order):
        # merge the sorted sources into the queue so distances stay nondecreasing
        if i < len(order) and (not q or sd.get(order[i], 0) <= tree[q[0]][2]):
            s = order[i]
            i += 1
            if s not in tree:
                tree[s] = (None, -1, sd.get(s, 0), s)
                q.append(s)
            continue
        v = q.popleft()
        d, root = tree[v][2], tree[v][3]
        for w, _, k, _ in g.succ[v]:
            if w not in tree and (allowed is None or w in allowed) and (v, k) not in banned:
                tree[w] = (v, k, d + 1, root)
                q.append(w)
    return tree


def path_to(tree: dict, v: int) -> list:
    """Edges (u, k, w) from a start of ``tree`` to v."""
    out = []
    while True:
        u, k = tree[v][0], tree[v][1]
        if u is None:
            break
        out.append((u, k, v))
        v = u
    return out[::-1]


def fair_loop(g: Graph, comp: set, banned: frozenset, entry: int, strength,
              accept: list | None = None) -> list:
    """A cycle from ``entry`` inside ``comp`` (avoiding ``banned`` edges) that is fair.

    It takes one internal edge of every weak or strong label requested in the component
    (each exists after refinement; for a weak label that has none, it visits a state where
    the label is disabled instead), and visits a node of every ``accept`` set.
    """
    enabled = g.enabled
    members = sorted(comp)   # a fixed order, so the loop is reproducible (fair_arrays.py)
    internal = [(u, k, w, lab, req) for u in members for w, lab, k, req in g.succ[u]
                if w in comp and (u, k) not in banned]
    labels = set().union(*(enabled[v] for v in comp))
    labels |= {req for *_, req in internal if req is not None}
    waypoints = []   # ("edge", u, k, w) or ("node", v)
    for lab in sorted(labels, key=repr):
        st = strength(lab)
        if st is None:
            continue
        edge = next(((u, k, w) for u, k, w, l2, _ in internal if lab in discharged(l2)), None)
        if edge is not None:
            waypoints.append(("edge",) + edge)
        elif st == WEAK:
            waypoints.append(("node", next(v for v in members if lab not in enabled[v])))
    for acc in accept or ():
        waypoints.append(("node", min(comp & acc)))

    def walk(a, b):
        return path_to(bfs_within(g, [a], comp, banned=banned), b) if a != b else []

    loop = []
    cur = entry
    for wp in waypoints:
        loop += walk(cur, wp[1])
        if wp[0] == "edge":
            loop.append(wp[1:])
            cur = wp[3]
        else:
            cur = wp[1]
    if not loop:  # take at least one step: out along an internal edge and back
        u, k, w, _, _ = next(e for e in internal if e[0] == entry)
        loop.append((u, k, w))
        cur = w
    loop += walk(cur, entry)
    return loop


@dataclass
class Lasso:
    stem: list            # edges (u, k, w) from an initial state
    loop: list            # edges of the cycle, empty if the run ends in a terminal state
    end: int              # the terminal state or the loop's entry


def find_lasso(g: Graph, avoid: set | None, starts, strength, *, start_dist: dict | None = None,
               init_tree: dict | None = None, ends=None, accept: list | None = None,
               loop_graph: Graph | None = None):
    """A shortest run that reaches one of ``starts`` and from there stays in ``avoid`` forever
    (None: anywhere).

    The run either stops in a dead end (``ends(v)``; default: a terminal node) or ends in a
    fair cycle (visiting every ``accept`` set; built from ``loop_graph``'s edges if given).
    ``start_dist`` and ``init_tree`` (a shortest-path tree from the initial states) make the
    stem shortest in total; without them the starts are taken as initial. Returns a Lasso or None.
    """
    reach = bfs_within(g, starts, avoid, start_dist)
    if not reach:
        return None
    ends = ends or g.terminal
    lg = loop_graph or g
    best = None   # (distance, kind, node, component)
    for v in reach:
        if ends(v):
            cand = (reach[v][2], 0, v, None)
            best = cand if best is None or cand[:3] < best[:3] else best
    for comp, banned in fair_components(lg, set(reach), strength, accept):
        v = min(comp, key=lambda x: (reach[x][2], x))
        cand = (reach[v][2], 1, v, (comp, banned))
        best = cand if best is None or cand[:3] < best[:3] else best
    if best is None:
        return None
    _, kind, v, comp = best
    root = reach[v][3]
    stem = (path_to(init_tree, root) if init_tree is not None else []) + path_to(reach, v)
    loop = fair_loop(lg, comp[0], comp[1], v, strength, accept) if comp is not None else []
    return Lasso(stem, loop, v)
