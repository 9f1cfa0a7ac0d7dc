"""Attack synthesis: the distinct minimal attacks that violate a property, and where they transfer.

An *attack* is what the attacker does in a run, in order: which segment it drops or replays on
which direction, which control flags it forges towards whom (its *letters*, ``Letter``).  Runs
with the same letters are the same attack, whatever the honest steps between them and whatever
numbers the forged segments carry (the model picks one per class, ``forge.py``).  An attack is
*minimal* when no attack found for the property is a subsequence of it.

``synthesize`` searches by the number of attacker actions (0, 1, 2, ...): states reached with a
sequence of letters, closed under honest steps, pruned where a subsequence of that sequence
already reached the same state.  A property is violated when a state or step breaks a safety
property, or (liveness and LTL) when the honest network can go on from there to a fair run that
violates it (the attack ends, then the network is honest: Korg's attackers "with recovery").

``transfers`` replays an attack's letters against another property or variant: the attacker
must act exactly as the letters say (any forged numbers), honest steps are free.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from . import ltl
from .endpoint import CTL_ORDER, FLAG_BIT
from .engines.explicit.fair_cycles import Graph, bfs_within, fair_components, find_lasso
from .engines.explicit.liveness import LIVENESS_KINDS, strength_fn
from .system import ATTACKER_KINDS, SIDES
from .trace import build_trace

VERBS = {"drop": "drop", "replay": "replay", "inject": "forge"}


@dataclass(frozen=True, order=True)
class Letter:
    """One attacker action as an attack program states it."""
    kind: str         # drop, replay, inject
    direction: str    # "A->B": the segment travels, or is forged as travelling, from A to B
    flags: str        # "SYN,ACK"
    data: bool = False

    def text(self) -> str:
        return f"{VERBS[self.kind]} <{self.flags}{',data' if self.data else ''}> {self.direction}"

    def to_json(self) -> dict:
        return {"action": self.kind, "direction": self.direction, "flags": self.flags,
                "data": self.data}


def letter_of(system, act) -> Letter:
    """The letter of an attacker step (an Action of kind drop, replay or inject)."""
    segr = system.split(act.seg)[0]
    flags = system.machines[0].seg.unpack(segr)[2]
    data = bool(system.machines[0].seg.unpack(segr)[3])
    ctl = ",".join(f for f in CTL_ORDER if flags & FLAG_BIT[f])
    if act.kind == "inject":   # forged as if sent by the receiver's peer
        d = f"{SIDES[1 - act.side]}->{SIDES[act.side]}"
    else:
        d = f"{SIDES[act.side]}->{SIDES[1 - act.side]}"
    return Letter(act.kind, d, ctl, data)


def is_subsequence(a: tuple, b: tuple) -> bool:
    it = iter(b)
    return all(x in it for x in a)


@dataclass
class Attack:
    """A synthesised attack: its letters and one run that shows it (a replayable trace)."""
    prop: str
    letters: tuple
    trace: object                  # Trace
    moves: list                    # (Action, state) from ``start``
    start: tuple
    loop_start: int | None = None
    name: str = ""
    odds: list = field(default_factory=list)   # (class size, space) per forged segment

    def text(self) -> str:
        return "; ".join(x.text() for x in self.letters) if self.letters else "(no attacker action)"

    def to_json(self) -> dict:
        d = {"name": self.name, "property": self.prop, "actions": [x.to_json() for x in self.letters],
             "summary": self.text(), "steps": len(self.moves), "trace": self.trace.to_json()}
        if self.odds:
            d["forged_values"] = [{"class_size": a, "space": b} for a, b in self.odds]
        return d


@dataclass
class Synthesis:
    prop: str
    kind: str
    attacks: list
    complete: bool                 # every attack up to max_actions was found (no limit hit)
    honest_violation: bool = False  # violated without any attacker action
    nodes: int = 0
    seconds: float = 0.0
    max_actions: int = 0
    note: str = ""


# ---------------------------------------------------------------- the property as a goal

class Goal:
    """A property as a search goal on a graph of system states.

    ``graph``: Graph over state ids (``succ`` lists (target, label, action index, request)).
    Safety: a node (state) or edge (step) that violates it.  Liveness and LTL: the product with
    the Büchi automaton of its negation; a node is *bad* when the honest network can go on from
    it to a fair violating run (or a dead end the automaton accepts).
    """

    def __init__(self, model, prop, states: list, graph: Graph, *, honest_only_loops=True):
        self.model = model
        self.system = model.system
        self.prop = prop
        self.states = states
        self.g = graph
        self.kind = prop.kind
        self._succ_cache: dict = {}
        if prop.kind == "always":
            self.sys_of = None
            self.pg = graph
            if not prop.on_steps:
                self.bad = {v for v in range(len(states))
                            if not prop.test((states[v], graph.terminal(v), None, None))}
            else:
                self.bad = set()
            return
        if prop.kind not in LIVENESS_KINDS:
            raise ValueError(f"no attacks on a {prop.kind} property")
        formula, fns = _as_ltl(prop)
        truth = []
        interned: dict = {}
        for v in range(len(states)):
            env = (states[v], graph.terminal(v), None, None)
            key = frozenset(i for i, fn in enumerate(fns) if fn(env))
            truth.append(interned.setdefault(key, key))
        from .engines.explicit.ltl_check import product
        gba = ltl.to_gba(("not", formula))
        self.pg, self.sys_of, self.aut_of = product(graph, gba, truth)
        self.strength = strength_fn(prop.fairness)
        honest = self.pg.without_attacker()
        self.honest = honest
        n = len(self.sys_of)
        dead_cache: dict = {}

        def dead_end(p):
            v = self.sys_of[p]
            if not graph.terminal(v):
                return False
            good = dead_cache.get(truth[v])
            if good is None:
                good = dead_cache[truth[v]] = ltl.accepts_forever(gba, truth[v].__contains__)
            return self.aut_of[p] in good

        self.dead_end = dead_end
        self.accept = [{p for p in range(n) if self.aut_of[p] in acc} for acc in gba.accept]
        seeds = {p for p in range(n) if dead_end(p)}
        for comp, _ in fair_components(honest, set(range(n)), self.strength, self.accept):
            seeds |= comp
        # backwards over honest edges: from there the honest network can violate it
        pred: list = [[] for _ in range(n)]
        for u in range(n):
            for w, *_ in honest.succ[u]:
                pred[w].append(u)
        bad = set(seeds)
        todo = list(seeds)
        while todo:
            w = todo.pop()
            for u in pred[w]:
                if u not in bad:
                    bad.add(u)
                    todo.append(u)
        self.bad = bad

    def state_of(self, node: int) -> int:
        return node if self.sys_of is None else self.sys_of[node]

    def step_violates(self, node: int, k: int, target: int) -> bool:
        if self.prop.kind != "always" or not self.prop.on_steps:
            return False
        s = self.states[node]
        act, t = self.moves(node)[k]
        return not self.prop.test((t, False, s, act))

    def moves(self, v: int) -> list:
        m = self._succ_cache.get(v)
        if m is None:
            m = self._succ_cache[v] = self.system.successors(self.states[v])
        return m

    def continuation(self, node: int) -> tuple:
        """Edges (u, k, w) of an honest run from a bad node that violates the property:
        (stem, loop); the loop is empty when the run stops in a dead end."""
        if self.sys_of is None:
            return [], []
        lasso = find_lasso(self.honest, None, [node], self.strength, ends=self.dead_end,
                           accept=self.accept)
        return lasso.stem, lasso.loop


def _as_ltl(prop):
    """(formula, atom functions) of a liveness or LTL property."""
    if prop.kind == "ltl":
        return prop.parsed.ltl, prop.atoms
    p = ("ap", 0)
    if prop.kind == "eventually":
        return ("F", p), [prop.test]
    if prop.kind == "always_eventually":
        return ("G", ("F", p)), [prop.test]
    return ("G", ("implies", p, ("F", ("ap", 1)))), [prop.test, prop.goal]


# ---------------------------------------------------------------- synthesis

def explore_graph(model, *, max_states=None, timeout=None):
    """The reachable graph of a built model (states, Graph) with the fast engine."""
    from .engines.explicit import explore
    ex = explore(model.system, [], record_edges=True, max_states=max_states, timeout=timeout)
    edges = ex.edges if ex.edges is not None else ex.graph.to_lists()
    graph = Graph(edges, [i for i in range(len(ex.states)) if ex.parent[i] < 0])
    return ex, list(ex.states), graph


def synthesize(model, prop, states: list, graph: Graph, *, max_attacks: int = 10,
               max_actions: int = 2, max_nodes: int = 2_000_000,
               timeout: float | None = None) -> Synthesis:
    """The distinct minimal attacks (at most ``max_attacks``, each of at most ``max_actions``
    attacker actions) that violate ``prop`` on the graph of a model whose attacker may act
    ``max_actions`` times; shortest first."""
    t0 = time.monotonic()
    goal = Goal(model, prop, states, graph)
    pg = goal.pg
    system = model.system
    letters: dict = {}

    def letter(u: int, k: int) -> Letter:
        key = (u, k)
        x = letters.get(key)
        if x is None:
            v = goal.state_of(u)
            x = letters[key] = letter_of(system, goal.moves(v)[k][0])
        return x

    res = Synthesis(prop.name, prop.kind, [], True, max_actions=max_actions)
    found: list = []          # (letters, goal key, extra edge)
    reached: dict = {}        # node -> [letter tuples]
    parent: dict = {}         # (node, letters) -> ((node, letters), k) or None
    layer = [(p, ()) for p in pg.initial]
    for key in layer:
        reached.setdefault(key[0], []).append(())
        parent[key] = None

    def dominated(node, sig) -> bool:
        return any(is_subsequence(t, sig) for t in reached.get(node, ())) or \
            any(is_subsequence(f[0], sig) for f in found)

    count = len(layer)
    stop = False
    for depth in range(max_actions + 1):
        nxt = []
        q = deque(layer)
        while q and not stop:
            key = q.popleft()
            u, sig = key
            if u in goal.bad:
                if not any(is_subsequence(f[0], sig) for f in found):
                    found.append((sig, key, None))
                    stop = len(found) >= max_attacks
                continue
            for k_i, (w, lab, k, _) in enumerate(pg.succ[u]):
                attacker = lab is not None and lab[0] == "attacker"
                sig2 = sig + (letter(u, k),) if attacker else sig
                if goal.step_violates(goal.state_of(u), k, w):
                    if not any(is_subsequence(f[0], sig2) for f in found):
                        found.append((sig2, key, k_i))
                        stop = len(found) >= max_attacks
                    if stop:
                        break
                    continue
                if attacker and len(sig2) > max_actions:
                    continue
                if dominated(w, sig2):
                    continue
                reached.setdefault(w, []).append(sig2)
                parent[(w, sig2)] = (key, k_i)
                count += 1
                (nxt if attacker else q).append((w, sig2))
            if count > max_nodes or (timeout and time.monotonic() - t0 > timeout):
                res.complete = False
                res.note = "search limit reached"
                stop = True
        if stop:
            if len(found) < max_attacks:
                res.complete = False
            break
        layer = nxt
        if not layer:
            break
    res.nodes = count
    for i, (sig, key, extra) in enumerate(found):
        res.attacks.append(_witness(goal, parent, sig, key, extra, f"{prop.name}-{i + 1}"))
    res.honest_violation = any(not a.letters for a in res.attacks)
    res.seconds = time.monotonic() - t0
    return res


def _witness(goal: Goal, parent: dict, sig: tuple, key, extra, name: str) -> Attack:
    """The run that shows an attack: the path found, then the step or honest continuation
    that violates the property."""
    pg = goal.pg
    edges = []
    cur = key
    while parent[cur] is not None:
        prev, k_i = parent[cur]
        edges.append((prev[0], k_i, cur[0]))
        cur = prev
    edges.reverse()
    start_node = cur[0]
    loop: list = []
    if extra is not None:
        w = pg.succ[key[0]][extra][0]
        edges.append((key[0], extra, w))
    else:
        stem2, loop2 = goal.continuation(key[0])
        # continuation edges carry action indices; turn them into out-edge positions
        edges += [(u, _position(pg, u, k, w), w) for u, k, w in stem2]
        loop = [(u, _position(pg, u, k, w), w) for u, k, w in loop2]
    system = goal.system
    moves = []
    for u, k_i, w in edges + loop:
        v = goal.state_of(u)
        k = pg.succ[u][k_i][2]
        act, t = goal.moves(v)[k]
        assert t == goal.states[goal.state_of(w)], "replay diverged"
        moves.append((act, t))
    start = goal.states[goal.state_of(start_node)]
    loop_start = len(edges) if loop else None
    trace = build_trace(system, start, moves, loop_start)
    odds = []
    prev = start
    for act, t in moves:
        if act.kind == "inject":
            ch = system.forged_class(prev, act)
            if ch is not None:
                odds.append((ch.size, ch.space))
        prev = t
    return Attack(goal.prop.name, sig, trace, moves, start, loop_start, name, odds)


def _position(pg: Graph, u: int, k: int, w: int) -> int:
    return next(i for i, e in enumerate(pg.succ[u]) if e[2] == k and e[0] == w)


# ---------------------------------------------------------------- transfer

def transfers(model, props: list, letters: tuple, *, max_nodes: int = 500_000,
              timeout: float | None = None) -> dict:
    """Whether the attack ``letters`` violates each of ``props`` on ``model`` (another variant,
    or other properties): the attacker acts exactly as the letters say, in order (any forged
    numbers; it may stop early), honest steps are free.  {property name: True, False, or None
    when a limit was hit}."""
    t0 = time.monotonic()
    system = model.system
    index: dict = {}
    states: list = []
    succ: list = []
    todo: deque = deque()
    for s in system.initial_states():
        key = (s, 0)
        if key not in index:
            index[key] = len(states)
            states.append(key)
            succ.append(None)
            todo.append(key)
    initial = list(range(len(states)))
    while todo:
        key = todo.popleft()
        s, pos = key
        out = []
        for k, (act, t) in enumerate(system.successors(s)):
            if act.kind in ATTACKER_KINDS:
                if pos >= len(letters) or letter_of(system, act) != letters[pos]:
                    continue
                nk = (t, pos + 1)
            else:
                nk = (t, pos)
            j = index.get(nk)
            if j is None:
                j = index[nk] = len(states)
                states.append(nk)
                succ.append(None)
                todo.append(nk)
            out.append((j, system.fair_label(act), k, system.fair_request(act)))
        succ[index[key]] = out
        if len(states) > max_nodes or (timeout and time.monotonic() - t0 > timeout):
            return {p.name: None for p in props}
    graph = Graph(succ, initial)
    plain = [s for s, _ in states]
    out = {}
    for prop in props:
        goal = Goal(model, prop, plain, graph)
        if prop.kind == "always" and prop.on_steps:
            out[prop.name] = any(goal.step_violates(u, k, w) for u in range(len(plain))
                                 for w, _, k, _ in graph.succ[u])
        else:
            reach = bfs_within(goal.pg, goal.pg.initial, None)
            out[prop.name] = any(p in goal.bad for p in reach)
    return out


# ---------------------------------------------------------------- the whole run

@dataclass
class AttackReport:
    """Everything ``tcpmodel attack`` found: per property its attacks, and where each transfers."""
    check: str
    variant: str
    attacker: str                  # the threat model, described
    max_actions: int
    states: int
    graph_complete: bool
    syntheses: list
    variants: list                 # variants of the transfer matrix (those that exist)
    matrix: dict                   # attack name -> {(property, variant): True/False/None}
    seconds: float = 0.0
    notes: list = field(default_factory=list)
    models: dict = field(default_factory=dict)   # variant -> built model (for scenario files)

    @property
    def attacks(self) -> list:
        return [a for s in self.syntheses for a in s.attacks]

    def to_json(self) -> dict:
        props = [s.prop for s in self.syntheses]
        return {
            "check": self.check, "variant": self.variant, "attacker": self.attacker,
            "max_actions": self.max_actions, "states": self.states,
            "graph_complete": self.graph_complete, "seconds": round(self.seconds, 3),
            "notes": self.notes, "transfer_variants": self.variants,
            "properties": [{"name": s.prop, "kind": s.kind, "complete": s.complete,
                            "violated_without_attacker": s.honest_violation,
                            "search_nodes": s.nodes, "seconds": round(s.seconds, 3),
                            "attacks": [a.to_json() for a in s.attacks]} for s in self.syntheses],
            "transfer": [{"attack": name, "violates": [
                {"property": p, "variant": v, "result": _cell_json(row.get((p, v)))}
                for v in self.variants for p in props]} for name, row in self.matrix.items()],
        }


def _cell_json(x):
    return "yes" if x is True else "no" if x is False else "unknown"


def run_attack(name: str, *, properties=None, max_attacks: int = 10, max_actions=None,
               variant=None, overrides=None, transfer_variants=(), max_states=2_000_000,
               timeout=None) -> AttackReport:
    """Synthesise the attacks on a check's properties and their transfer matrix."""
    from dataclasses import replace

    from .check import build, load_check
    from .errors import InputError
    from .spec import load_variant

    t0 = time.monotonic()
    check = load_check(name, overrides=overrides, variant=variant)
    att = check.attacker
    if att is None:
        raise InputError(f"check '{check.name}' has no attacker", file=check.path,
                         fix="add an [attacker] table, or --set attacker=on-path (off-path, "
                             "lossy, or a budget)")
    notes = []
    k = max_actions or (att.budget if att.budget is not None else 2)
    if att.budget is not None and k > att.budget:
        notes.append(f"the check's attacker acts at most {att.budget} times: attacks of at most "
                     f"{att.budget} actions")
        k = att.budget
    if att.recovery is False:
        notes.append("attacks that end, then an honest network (with recovery): an attack that "
                     "must go on forever is not listed (tcpmodel check shows such lassos)")

    def for_variant(v):
        c = load_check(name, overrides=overrides, variant=v)
        c.attacker = replace(c.attacker, budget=k)
        return c

    check.attacker = replace(att, budget=k)
    model = build(check, properties or None)
    attackable = [p for p in model.properties if p.kind == "always" or p.kind in LIVENESS_KINDS]
    skipped = [p.name for p in model.properties if p not in attackable]
    if skipped:
        notes.append("not attacked (sometimes properties are witnesses): " + ", ".join(skipped))
    ex, states, graph = explore_graph(model, max_states=max_states, timeout=timeout)
    syntheses = []
    for p in attackable:
        if not ex.complete and p.kind != "always":
            syntheses.append(Synthesis(p.name, p.kind, [], False, max_actions=k,
                                       note=f"the attacker's graph is incomplete "
                                            f"({ex.stop_reason}): liveness needs all of it"))
            continue
        s = synthesize(model, p, states, graph, max_attacks=max_attacks, max_actions=k,
                       timeout=timeout)
        if not ex.complete:
            s.complete = False
        for i, a in enumerate(s.attacks, start=1):
            a.name = f"{check.name}-{p.name}-{i}"
        syntheses.append(s)
    variants, models = [], {check.variant: model}
    for v in transfer_variants:
        try:
            load_variant(v)
        except InputError:
            notes.append(f"variant '{v}' does not exist here: left out of the transfer matrix")
            continue
        variants.append(v)
    names = [p.name for p in attackable]
    matrix: dict = {}
    attacks = [a for s in syntheses for a in s.attacks if a.letters]
    for v in variants:
        mv = model if v == check.variant else build(for_variant(v), names)
        models[v] = mv
        props_v = [p for p in mv.properties if p.name in names]
        for a in attacks:
            got = transfers(mv, props_v, a.letters, timeout=timeout)
            row = matrix.setdefault(a.name, {})
            for pn, r in got.items():
                row[(pn, v)] = r
    return AttackReport(check.name, check.variant, att.describe(), k, len(states), ex.complete,
                        syntheses, variants, matrix, time.monotonic() - t0, notes, models)
