"""One exploration session: the model, the states seen so far, and every question the page
asks about them.  A state is known by an id, given out when the state is first seen (the
initial states, then successors as the user asks for them): nothing is computed ahead of
time, so a large model stays responsive.  A path is a start id and a list of action
indices (the k-th action of ``System.successors``), so every path the page sends is replayed
and checked here, never trusted."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

from .. import expr as E
from ..errors import InputError
from ..props import STEP_ROOTS, Property, system_scope
from ..spec import Src, parse_text
from ..system import AB, ATTACK, BA, CRASH, DUP, INCA, LOSS, PCA, SIDES
from ..trace import build_trace, describe_step

QUERY_MAX_STATES = 2_000_000
QUERY_TIMEOUT = 120.0
MATCH_LIMIT = 100_000    # candidate states kept while matching a trace to the model


@dataclass
class Path:
    """A run from an initial state: ``start`` id, then the action index taken at each step."""
    start: int
    moves: list


class Session:
    def __init__(self, model):
        self.model = model
        self.system = model.system
        self.states: list = []
        self.index: dict = {}
        self._succ: dict = {}
        self._lock = threading.RLock()
        self.initial = [self.intern(s) for s in self.system.initial_states()]
        c = model.check
        self.scope = system_scope(self.system, {k: t.node for k, t in c.defines.items()},
                                  c.params)
        self._run = None
        self._run_error = None
        self._run_lock = threading.Lock()

    # ------------------------------------------------------------ states

    def intern(self, s: tuple) -> int:
        with self._lock:
            sid = self.index.get(s)
            if sid is None:
                sid = self.index[s] = len(self.states)
                self.states.append(s)
            return sid

    def state(self, sid) -> tuple:
        if not isinstance(sid, int) or isinstance(sid, bool) or not 0 <= sid < len(self.states):
            raise InputError(f"unknown state id {sid!r}", where="request",
                             fix="take a state the page was given (reload the page)")
        return self.states[sid]

    def successors(self, sid: int) -> list:
        """[(action, next state id)] of state ``sid``, in ``System.successors`` order."""
        got = self._succ.get(sid)
        if got is None:
            got = [(act, self.intern(t)) for act, t in self.system.successors(self.state(sid))]
            self._succ[sid] = got
        return got

    def replay(self, path: Path) -> list:
        """The ids of the states along ``path``; an action index that is not enabled is an
        error naming the step."""
        self.state(path.start)   # an unknown id is reported as such
        if path.start not in self.initial:
            raise InputError(f"state {path.start} is not an initial state", where="path")
        ids = [path.start]
        for i, k in enumerate(path.moves, start=1):
            succ = self.successors(ids[-1])
            if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(succ):
                raise InputError(f"step {i}: state {ids[-1]} has no action {k!r}", where="path",
                                 fix=f"choose one of the {len(succ)} enabled actions")
            ids.append(succ[k][1])
        return ids

    def trace(self, path: Path, loop_start: int | None = None):
        ids = self.replay(path)
        moves = [(self.successors(a)[k][0], self.states[b])
                 for a, k, b in zip(ids, path.moves, ids[1:])]
        return build_trace(self.system, self.states[ids[0]], moves, loop_start)

    # ------------------------------------------------------------ what the page shows

    def view(self, sid: int, prev: int | None = None, k: int | None = None) -> dict:
        """The state as TCP people read it, the properties at it, and its enabled actions.
        ``prev`` and ``k``: the step that reached it (step properties are judged on it)."""
        s = self.state(sid)
        sy = self.system
        succ = self.successors(sid)
        terminal = not succ
        endpoints = []
        for side in (0, 1):
            m = sy.machines[side]
            tcb = m.view(s[side])
            script = sy.scripts[side]
            endpoints.append({"name": f"TCP {SIDES[side]}", "state": tcb.pop("state"),
                              "tcb": [[k_, _value(v)] for k_, v in tcb.items()],
                              "incarnation": s[INCA + side],
                              "script": (None if script is None else
                                         {"done": s[PCA + side], "steps": len(script),
                                          "next": (script[s[PCA + side]].call
                                                   if s[PCA + side] < len(script) else None)})})
        channels = []
        for ch, (src, dst) in ((AB, (0, 1)), (BA, (1, 0))):
            segs = []
            for full in s[ch]:
                _, sinc, rinc = sy.split(full)
                segs.append({"text": sy.seg_text(full), "sender_inc": sinc, "receiver_inc": rinc,
                             "stale": 0 < rinc < s[INCA + dst]})
            channels.append({"name": f"{SIDES[src]} -> {SIDES[dst]}", "segments": segs,
                             "capacity": sy.cap, "order": "FIFO" if sy.fifo else "any order"})
        budgets = [{"name": n, "used": s[i], "bound": b} for n, i, b in (
            ("losses", LOSS, sy.loss_bound), ("duplicates", DUP, sy.dup_bound),
            ("crashes", CRASH, sy.crash_bound)) if b is None or b > 0]
        if sy.attacker is not None:   # the attacker's counters share one field (attacker.py)
            used = sy.attacker.used(s[ATTACK])
            budgets += [{"name": "attacker moves" if key == "total" else
                         f"attacker {key[1]}s {SIDES[key[0]]} -> {SIDES[1 - key[0]]}",
                         "used": used[key], "bound": bound} for key, bound in sy.attacker.counters]
        step = None
        if prev is not None:
            pre = self.state(prev)
            moves = self.successors(prev)
            if not isinstance(k, int) or not 0 <= k < len(moves) or moves[k][1] != sid:
                raise InputError(f"action {k!r} of state {prev} does not lead to state {sid}",
                                 where="request")
            step = (pre, moves[k][0])
        return {"id": sid, "endpoints": endpoints, "channels": channels, "budgets": budgets,
                "terminal": terminal, "properties": self._properties(s, terminal, step),
                "actions": [self._action(s, i, act, tid) for i, (act, tid) in enumerate(succ)]}

    def _action(self, s: tuple, k: int, act, tid: int) -> dict:
        st = describe_step(self.system, k + 1, s, act, self.states[tid])
        seg = st.received or st.moved or st.sent
        tags = [t for t in (st.rule, st.signal and f"signal: {st.signal}",
                            "STALE segment of an earlier incarnation" if st.stale else None,
                            "dropped: channel full" if st.overflow else None) if t]
        text = st.note
        if st.received:
            text += f" {st.received}"
        elif st.moved:
            text += f" {st.moved}"
        if st.sent and st.kind != "inject":
            text += f", sends {st.sent}"
        elif st.sent:
            text += f" {st.sent} towards {SIDES[1 - act.side]}"
        if tags:
            text += "  [" + "; ".join(tags) + "]"
        return {"k": k, "target": tid, "text": text, "kind": st.kind, "actor": st.actor,
                "note": st.note, "segment": seg, "sent": st.sent, "direction": st.direction,
                "rule": st.rule, "tags": tags, "a": st.a, "b": st.b,
                "changes": st.changes}

    def _properties(self, s, terminal, step) -> list:
        out = []
        for p in self.model.properties:
            status, value = _judge(p, s, terminal, step)
            out.append({"name": p.name, "kind": p.kind, "formula": " ".join(p.formula.split()),
                        "doc": " ".join(p.doc.split()), "status": status, "ok": value})
        return out

    # ------------------------------------------------------------ the check's verdicts

    def verdicts(self) -> dict:
        """The check's verdicts (the explicit engine, run once, on the first request), and the
        path of every counterexample and witness."""
        with self._run_lock:
            if self._run is None and self._run_error is None:
                from .. import api
                try:
                    self._run = api.run(self.model)
                except InputError as e:
                    self._run_error = str(e)
        if self._run_error:
            raise InputError(self._run_error, where="check")
        out = []
        for p in self._run.properties:
            entry = {"name": p.name, "kind": p.kind, "verdict": p.verdict, "detail": p.detail,
                     "steps": p.depth if p.trace is not None else None}
            if p.trace is not None:
                path = self.path_of(p.trace)
                entry.update(start=path.start, moves=path.moves, loop_start=p.trace.loop_start,
                             what="counterexample" if p.verdict == "violated" else "witness")
            out.append(entry)
        r = self._run.result
        return {"states": r.states, "transitions": r.transitions, "complete": r.complete,
                "properties": out}

    def path_of(self, trace) -> Path:
        """The path whose trace is ``trace`` (one written by any engine, ``tcpmodel check
        --json``/``--out`` or this explorer): each step is matched against the enabled
        actions, keeping every candidate state until the steps tell them apart."""
        want = [_key(st) for st in trace.steps]
        ma, mb = self.system.machines
        nodes = [(sid, -1, -1) for sid in self.initial
                 if (ma.state_name(self.states[sid][0]), mb.state_name(self.states[sid][1]))
                 == (trace.initial_a, trace.initial_b)]
        if not nodes:
            raise InputError(f"the trace starts in {trace.initial_a}/{trace.initial_b}, not in "
                             "an initial state of this check", where="trace",
                             fix="open it with the check, --variant and --set it was written for")
        frontier = list(range(len(nodes)))
        for i, key in enumerate(want, start=1):
            nxt, seen = [], set()
            for n in frontier:
                sid = nodes[n][0]
                for k, (act, tid) in enumerate(self.successors(sid)):
                    if tid in seen:
                        continue
                    st = describe_step(self.system, i, self.states[sid], act, self.states[tid])
                    if _key(st) == key:
                        seen.add(tid)
                        nodes.append((tid, n, k))
                        nxt.append(len(nodes) - 1)
            if not nxt:
                raise InputError(f"step {i} of the trace ({trace.steps[i - 1].note}) is not an "
                                 "enabled action of this check", where="trace",
                                 fix="open it with the check, --variant and --set it was written for")
            if len(nxt) > MATCH_LIMIT:
                raise InputError(f"step {i}: more than {MATCH_LIMIT:,} states match the trace",
                                 where="trace")
            frontier = nxt
        moves, n = [], frontier[0]
        while nodes[n][1] >= 0:
            moves.append(nodes[n][2])
            n = nodes[n][1]
        return Path(nodes[n][0], moves[::-1])

    # ------------------------------------------------------------ reachability

    def compile_query(self, text: str) -> Property:
        """A state formula of the expression language as a ``sometimes`` property."""
        if not isinstance(text, str) or not text.strip():
            raise InputError("type a state formula, e.g. a.state == 'TIME-WAIT'",
                             where="formula box")
        if len(text) > 10_000:
            raise InputError("the formula is too long (10,000 characters at most)",
                             where="formula box")
        t = parse_text(text, Src("", None, "formula box"), None)
        used = E.names_used(t.node, self.scope.macros)
        step_names = sorted(n for n in used if n.split(".")[0] in STEP_ROOTS)
        if step_names:
            raise InputError(f"a query is a state formula; it cannot read step names "
                             f"({', '.join(step_names)})", where="formula box",
                             fix="use a.*, b.*, ab, ba, terminal and the other state names")
        try:
            fn = E.Compiler(self.scope).compile(t.node, E.BOOL).fn
        except E.ExprError as err:
            raise t.fail(err) from None
        return Property("query", "sometimes", text, "", fn, uses_terminal="terminal" in used,
                        reads=frozenset(used))

    def reach(self, sid: int, text: str, *, max_states: int = QUERY_MAX_STATES,
              timeout: float = QUERY_TIMEOUT) -> dict:
        """The shortest path from state ``sid`` to a state satisfying formula ``text``
        (breadth-first, exhaustive): {"found": moves}, or unreachable, or unknown at a limit."""
        from ..engines.explicit import explore
        start = self.state(sid)
        prop = self.compile_query(text)
        system = copy.copy(self.system)
        system.initial_states = lambda: [start]
        ex = explore(system, [prop], max_states=max_states, timeout=timeout)
        hit = ex.found.get("query")
        if hit is not None:
            ids = ex.path(hit[0])
            moves = [int(ex.via[b]) for b in ids[1:]]
            return {"result": "reachable", "moves": moves, "states": len(ex.states),
                    "message": f"reachable in {len(moves)} step{'s' * (len(moves) != 1)} "
                               f"(shortest; {len(ex.states):,} states searched)"}
        if ex.complete:
            return {"result": "unreachable", "states": len(ex.states),
                    "message": f"unreachable: none of the {len(ex.states):,} states reachable "
                               "from here satisfies it"}
        return {"result": "unknown", "states": len(ex.states),
                "message": f"unknown: the search stopped ({ex.stop_reason}) after "
                           f"{len(ex.states):,} states without finding one"}


def _judge(p, s, terminal, step) -> tuple:
    """(status text, True/False/None) of property ``p`` at state ``s``."""
    if p.kind not in ("always", "sometimes"):
        return "a property of whole runs (see the check's verdict)", None
    if p.on_steps:
        if step is None:
            return "a property of steps: no step taken yet", None
        ok = bool(p.test((s, False, step[0], step[1])))
        where = "the last step"
    else:
        ok = bool(p.test((s, terminal, None, None)))
        where = "this state"
    if p.kind == "always":
        return (f"holds at {where}" if ok else f"VIOLATED at {where}"), ok
    return (f"witnessed at {where}" if ok else f"not at {where}"), ok


def _key(step) -> dict:
    d = step.to_json()
    d.pop("step", None)
    return d


def _value(v):
    return v if isinstance(v, (bool, int)) else str(v)
