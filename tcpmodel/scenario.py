"""Scenario search: find an execution of the model that matches a described partial run.

A scenario file lists *lines* in the manner of the RFC's figures (who sends which segment,
what becomes of it, user calls, crashes, timeouts, and the endpoint states afterwards).  The
search is a breadth-first search over the product of the system and a small matcher: each
line is matched by one model step (a call, a crash, a timeout, a delayed segment's arrival)
or two (a segment's send, then its arrival or loss); between lines only the step kinds listed
in ``allow`` may interleave.  Nothing is replayed from a fixed script: every interleaving the
model admits is considered, and the shortest matching run is returned.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from . import expr as E
from .check import Check, build, resolve_named
from .errors import InputError, did_you_mean
from .props import system_scope
from .spec import FLAGS, Src, load_variant, parse_text, specs_dir
from .system import SIDES
from .tomlfile import check_keys, load_toml, toml_value
from .trace import build_trace

LINE_KEYS = {"send", "by", "via", "fate", "name", "where", "arrive", "call", "crash", "timeout",
             "dup", "then", "note", "data", "signal", "inject", "to", "lose", "drop", "replay",
             "rule"}
FATES = ("arrives", "lost", "dropped", "delayed")
KINDS = ("call", "rcv", "timer", "loss", "dup", "crash", "drop", "inject", "replay")
LINE_KINDS = ("send", "inject", "arrive", "call", "crash", "timeout", "dup", "lose", "drop",
              "replay")
NAMED_KINDS = {"arrive": "rcv", "dup": "dup", "lose": "loss", "drop": "drop", "replay": "replay"}
SCENARIO_KEYS = {"title", "source", "variant", "expect", "params", "scripts", "allow", "start",
                 "line", "define", "note", "attacker"}


def scenarios_dir() -> Path:
    return specs_dir() / "scenarios"


def list_scenarios() -> list[str]:
    return sorted(p.stem for p in scenarios_dir().glob("*.toml"))


@dataclass
class Line:
    index: int              # 1-based, as written
    kind: str               # send, inject, arrive, call, crash, timeout, dup
    side: int | None        # acting endpoint
    flags: int = 0          # send: exact control bits
    data: bool | None = None
    via: str | None = None  # send: call, rcv or timer
    fate: str = "arrives"
    name: str | None = None
    target: str | None = None   # arrive/dup: the named segment
    event: str | None = None    # call/timeout: the user call or timer
    where: object = None
    where_text: str | None = None
    then: dict = field(default_factory=dict)   # side -> state index
    signal: str | None = None                  # the completing step must signal this
    rule: str | None = None                    # ... and be handled by this rule
    note: str = ""
    src: Src | None = None

    def describe(self, machines) -> str:
        who = SIDES[self.side] if self.side is not None else ""
        if self.kind in ("send", "inject"):
            ctl = ",".join(f for f in ("SYN", "FIN", "RST", "ACK") if self.flags & _bit(f))
            extra = f" where {self.where_text}" if self.where_text else ""
            fate = {"arrives": "", "lost": ", lost", "dropped": ", dropped by the attacker",
                    "delayed": ", delayed"}[self.fate]
            if self.kind == "inject":
                return f"the attacker injects <CTL={ctl}> towards {who}{extra}{fate}"
            return f"{who} sends <CTL={ctl}>{extra}{fate}"
        if self.kind == "arrive":
            return f"the delayed segment '{self.target}' arrives"
        if self.kind == "dup":
            return f"the network duplicates '{self.target}'"
        if self.kind == "lose":
            return f"the network loses '{self.target}'"
        if self.kind in ("drop", "replay"):
            return f"the attacker {self.kind}s '{self.target}'"
        if self.kind == "crash":
            return f"{who} crashes"
        return f"{who}: {self.event}"


def _bit(flag: str) -> int:
    return 1 << FLAGS.index(flag)


@dataclass
class Scenario:
    name: str
    path: str
    title: str
    source: str
    check: Check
    expect: dict            # variant -> "found" | "impossible"
    allow: frozenset
    start: object           # compiled predicate or None
    start_text: str | None
    lines: list
    note: str = ""


@dataclass
class Outcome:
    scenario: Scenario
    variant: str
    found: bool | None      # None: the search hit a limit
    trace: object = None
    line_steps: dict = field(default_factory=dict)   # line index -> trace step numbers
    states: int = 0
    seconds: float = 0.0
    reached: int = 0        # lines matched on the best partial run
    stuck: list = field(default_factory=list)        # what the model could do instead
    stuck_states: tuple = ()
    start: tuple | None = None      # the run found: its first state and its (action, state)
    moves: list = field(default_factory=list)   # moves, for replaying it (tcpmodel conform)

    @property
    def expected(self) -> str | None:
        return self.scenario.expect.get(self.variant)

    @property
    def as_expected(self) -> bool | None:
        exp = self.expected
        if exp is None or self.found is None:
            return None
        return (exp == "found") == self.found


def resolve_scenario(name_or_path: str) -> Path:
    return resolve_named(name_or_path, scenarios_dir(), "scenario", list_scenarios)


def load_scenario(name_or_path: str, *, variant: str | None = None,
                  overrides: dict | None = None) -> Scenario:
    """Read a scenario file; the model is a check built from its params and scripts."""
    from .check import load_check

    path = resolve_scenario(name_or_path)
    tf = load_toml(path)
    d = tf.data
    check_keys(d, SCENARIO_KEYS, file=tf.path, where="top level")
    expect = d.get("expect", {})
    if not isinstance(expect, dict) or any(v not in ("found", "impossible") for v in expect.values()):
        raise InputError("expect maps variants to \"found\" or \"impossible\"", file=tf.path,
                         where="expect", fix='expect = { rfc9293 = "found", rfc1337 = "impossible" }')
    vname = variant or d.get("variant") or (next(iter(expect)) if expect else "rfc9293")
    # the scenario's model is a check: the same params, scripts and definitions
    check = load_check_from_text(load_check, tf.path, _check_text(d), vname, overrides)
    allow = d.get("allow", [])
    if isinstance(allow, str):
        allow = [allow]
    for k in allow:
        if k not in KINDS:
            raise InputError(f"unknown step kind '{k}' in allow", file=tf.path, where="allow",
                             fix=did_you_mean(k, KINDS))
    sc = Scenario(path.stem, tf.path, str(d.get("title", path.stem)), str(d.get("source", "")),
                  check, expect, frozenset(allow), None, d.get("start"), [], str(d.get("note", "")))
    raw_lines = d.get("line", [])
    if not raw_lines:
        raise InputError("a scenario needs at least one [[line]]", file=tf.path,
                         fix='add [[line]] send = "SYN" by = "A"')
    sc._raw_lines = [(raw, tf.table_line("line", i)) for i, raw in enumerate(raw_lines)]
    return sc


def load_check_from_text(load_check, path: str, text: str, variant: str, overrides):
    """Build the scenario's check by writing its model part as an in-memory check file."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(text)
        tmp = f.name
    try:
        chk = load_check(tmp, variant=variant, overrides=overrides)
    except InputError as e:
        raise InputError(e.what, file=path, where=e.where, fix=e.fix) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    chk.path = path
    chk.name = Path(path).stem
    return chk


def _check_text(d: dict) -> str:
    """The model part of a scenario (params, scripts, define, attacker) as check-file TOML."""
    out = []
    params = d.get("params", {})
    if "attacker" in d or params.get("attacker", 0) not in (0, None):
        # a scenario may pin forged numbers with 'where': search every value, not one per class
        d = dict(d, attacker=dict({"values": "all"}, **d.get("attacker", {})))
    for table in ("params", "scripts", "define", "attacker"):
        if table in d:
            out.append(f"[{table}]")
            for k, v in d[table].items():
                out.append(f"{k} = {toml_value(v)}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- compiling lines

def compile_lines(sc: Scenario, model) -> None:
    system = model.system
    ma = system.machines[0]
    macros = {k: t.node for k, t in sc.check.defines.items()}
    names_so_far: list[str] = []
    lines = []
    for i, (raw, line_no) in enumerate(sc._raw_lines, start=1):
        src = Src(sc.path, line_no, f"line {i}")
        check_keys(raw, LINE_KEYS, file=sc.path, where=src.where())
        kinds = [k for k in LINE_KINDS if k in raw]
        if len(kinds) != 1:
            raise src.error("a line is exactly one of " + ", ".join(LINE_KINDS), None,
                            'e.g. send = "SYN,ACK" with by = "B"')
        kind = kinds[0]
        ln = Line(i, kind, None, note=str(raw.get("note", "")), src=src)
        if kind in ("send", "call", "timeout"):
            ln.side = _side(raw.get("by"), src, "by")
        if kind == "inject":
            ln.side = _side(raw.get("to"), src, "to")
        if kind == "crash":
            ln.side = _side(raw["crash"], src, "crash")
        if kind in ("send", "inject"):
            ln.flags = _flags(raw[kind], src)
            ln.via = raw.get("via")
            if ln.via is not None and ln.via not in ("call", "rcv", "timer"):
                raise src.error(f"unknown via '{ln.via}'", "via", "call, rcv or timer")
            ln.fate = raw.get("fate", "arrives")
            if ln.fate not in FATES:
                raise src.error(f"unknown fate '{ln.fate}'", "fate", did_you_mean(ln.fate, FATES))
            if (kind == "inject" or ln.fate == "dropped") and system.attacker is None:
                raise src.error("only the attacker injects or drops segments, and attacker = 0",
                                kind if kind == "inject" else "fate",
                                "set attacker = 1 (or more) in [params]")
            if kind == "inject" and ln.fate != "arrives":
                raise src.error("a forged segment reaches its receiver at once", "fate",
                                "leave out fate (its reply may be delayed, lost or dropped)")
            if "data" in raw:
                ln.data = bool(raw["data"])
            ln.name = raw.get("name")
            if ln.fate == "delayed" and not ln.name:
                raise src.error("a delayed segment needs a name for its later arrival", "name",
                                'name = "old_syn"')
            if "where" in raw:
                t = parse_text(raw["where"], src, "where")
                scope = _where_scope(system, macros, sc.check.params, names_so_far)
                try:
                    ln.where = E.Compiler(scope).compile(t.node, E.BOOL).fn
                except E.ExprError as err:
                    raise t.fail(err) from None
                ln.where_text = " ".join(str(raw["where"]).split())
            if ln.name:
                names_so_far.append(ln.name)
        elif kind in NAMED_KINDS:
            if kind in ("drop", "replay") and system.attacker is None:
                raise src.error(f"only the attacker can {kind} a segment, and there is none",
                                kind, "add an [attacker] table, or attacker = 1 in [params]")
            ln.target = raw[kind]
            if ln.target not in names_so_far:
                raise src.error(f"no earlier line is named '{ln.target}'", kind,
                                did_you_mean(str(ln.target), names_so_far or ["(none)"]))
        elif kind == "call":
            ln.event = raw["call"]
            if ln.event not in ma.spec.events.get("user", ()):
                raise src.error(f"unknown user call '{ln.event}'", "call",
                                did_you_mean(str(ln.event), ma.spec.events.get("user", ())))
        elif kind == "timeout":
            ln.event = raw["timeout"]
            if ln.event not in ma.spec.events.get("timer", ()):
                raise src.error(f"unknown timer '{ln.event}'", "timeout",
                                did_you_mean(str(ln.event), ma.spec.events.get("timer", ())))
        ln.rule = raw.get("rule")
        if ln.rule is not None and ln.rule not in {r.id for r in ma.rules}:
            raise src.error(f"unknown rule '{ln.rule}'", "rule",
                            did_you_mean(str(ln.rule), [r.id for r in ma.rules]))
        ln.signal = raw.get("signal")
        if ln.signal is not None and ln.signal not in ma.signals:
            raise src.error(f"unknown signal '{ln.signal}'", "signal",
                            did_you_mean(str(ln.signal), ma.signals))
        then = raw.get("then", {})
        if not isinstance(then, dict):
            raise src.error("'then' maps a and b to states", "then", 'then = { a = "ESTABLISHED" }')
        for k, v in then.items():
            if k not in ("a", "b"):
                raise src.error(f"'then' key '{k}' is not a or b", "then")
            if v not in ma.states:
                raise src.error(f"unknown state '{v}'", "then", did_you_mean(str(v), ma.states))
            ln.then[0 if k == "a" else 1] = ma.states.index(v)
        lines.append(ln)
    sc.lines = lines
    if sc.start_text:
        t = parse_text(sc.start_text, Src(sc.path, None, "start"), "start")
        scope = system_scope(system, macros, sc.check.params)
        try:
            sc.start = E.Compiler(scope).compile(t.node, E.BOOL).fn
        except E.ExprError as err:
            raise t.fail(err) from None


def _side(v, src: Src, key: str) -> int:
    if v in ("A", "a"):
        return 0
    if v in ("B", "b"):
        return 1
    if v is None:
        raise src.error(f"this line needs '{key}', the endpoint", key, f'{key} = "A" or {key} = "B"')
    raise src.error(f"endpoint '{v}' is not A or B", key, f'{key} = "A"')


def _flags(v, src: Src) -> int:
    if not isinstance(v, str) or not v.strip():
        raise src.error("send names the control flags", "send", 'send = "SYN,ACK"')
    bits = 0
    for f in v.split(","):
        f = f.strip()
        if f not in FLAGS:
            raise src.error(f"unknown control flag '{f}'", "send", did_you_mean(f, FLAGS))
        bits |= _bit(f)
    return bits


def _where_scope(system, macros, params, names) -> E.Scope:
    """Names of a line's ``where``: the system after the step, seg.*, and earlier named segments."""
    sc = system_scope(system, macros, params)
    types = (("seq", E.SEQ, 0), ("ack", E.SEQ, 1), ("data", E.INT, 6), ("len", E.INT, 7))
    for fname, t, i in types:
        sc.slot(f"seg.{fname}", t, lambda e, i=i: e[4][i])
        for n in names:
            sc.slot(f"{n}.{fname}", t, lambda e, i=i, n=n: e[5][n][i])
    return sc


# ---------------------------------------------------------------- search

def search(sc: Scenario, model, *, max_states: int = 2_000_000,
           timeout: float | None = None) -> Outcome:
    """Shortest run of the model matching the scenario's lines, or why there is none."""
    system = model.system
    lines = sc.lines
    seg_fields = system.machines[0].seg.fields
    t0 = time.monotonic()
    out = Outcome(sc, sc.check.variant, None)

    def bindings_env(binds):
        return {n: seg_fields(system.split(c)[0]) for n, c in binds}

    def then_ok(ln: Line, s) -> bool:
        return all(system.machines[side].state_of(s[side]) == st for side, st in ln.then.items())

    def advance(k, binds, ln, s, act, pre):
        """After line ``ln`` completes on this step: the next matcher position, or None."""
        if ln.signal is not None and (act.out is None or act.out.signal != ln.signal):
            fails.append((ln.index, s, act, pre, "signal"))
            return None
        if ln.rule is not None and system.rule_id(act) != ln.rule:
            fails.append((ln.index, s, act, pre, "rule"))
            return None
        if not then_ok(ln, s):
            fails.append((ln.index, s, act, pre, "then"))
            return None
        return (k + 1, 0, -1, binds)

    def match_send(ln, act, s, pre, binds, chained=False):
        """The step sends (or, for an inject line, forges) the line's segment; a reply to a
        forged segment matches a send line only right after the inject line."""
        if ln.kind == "inject":
            if act.kind != "inject" or act.side != ln.side:
                return False
            seg = act.seg
        else:
            if act.sent < 0 or act.side != ln.side or (act.kind == "inject" and not chained):
                return False
            seg = act.sent
        if ln.via is not None and act.kind != ln.via:
            return False
        segr = system.split(seg)[0]
        f = seg_fields(segr)
        flags = f[2] | (f[3] << 1) | (f[4] << 2) | (f[5] << 3)
        if flags != ln.flags or (ln.data is not None and bool(f[6]) != ln.data):
            return False
        if ln.where is not None and not ln.where((s, False, pre, act, f, bindings_env(binds))):
            fails.append((ln.index, s, act, pre, "where"))
            return False
        return True

    def completed(k, binds, ln, s, act, pre, chain=True):
        """Positions after line ``ln`` completes on this step; its reply may start the next
        line (once: one sent segment matches at most one line)."""
        nxt = advance(k, binds, ln, s, act, pre)
        if nxt is None:
            return []
        res = [nxt]
        if chain and nxt[0] < len(lines) and act.sent >= 0:
            ln2 = lines[nxt[0]]
            if ln2.kind == "send" and match_send(ln2, act, s, pre, binds, chained=True):
                res += _after_send(ln2, nxt[0], act, s, pre, binds, chain=False)
        return res

    def step(m, pre, act, s):
        """Matcher positions after taking ``act`` from ``pre`` to ``s`` (empty: rejected)."""
        k, phase, cur, binds = m
        if k >= len(lines):
            return []
        ln = lines[k]
        res = []
        if phase == 1:
            if act.seg == cur and ((ln.fate == "arrives" and act.kind == "rcv")
                                   or (ln.fate == "lost" and act.kind == "loss")
                                   or (ln.fate == "dropped" and act.kind == "drop")):
                res = completed(k, binds, ln, s, act, pre)
            elif act.kind in sc.allow:
                res.append(m)
            return res
        matched = False
        if ln.kind in ("send", "inject") and match_send(ln, act, s, pre, binds):
            res += _after_send(ln, k, act, s, pre, binds)
        elif ln.kind == "call" and act.kind == "call" and act.side == ln.side and \
                system.event_name(act) == ln.event:
            matched = True
        elif ln.kind == "timeout" and act.kind == "timer" and act.side == ln.side and \
                system.event_name(act) == ln.event:
            matched = True
        elif ln.kind == "crash" and act.kind == "crash" and act.side == ln.side:
            matched = True
        elif ln.kind in NAMED_KINDS and act.kind == NAMED_KINDS[ln.kind] and \
                act.seg == dict(binds)[ln.target]:
            matched = True
        if matched:
            res += completed(k, binds, ln, s, act, pre)
        if not res and act.kind in sc.allow:
            res.append(m)
        return res

    def _after_send(ln, k, act, s, pre, binds, chain=True):
        seg = act.seg if ln.kind == "inject" else act.sent
        if ln.name:
            binds = tuple(sorted(dict(binds, **{ln.name: seg}).items()))
        if ln.kind == "inject":   # a forged segment has arrived already; its reply may follow
            return completed(k, binds, ln, s, act, pre, chain=chain)
        if ln.fate == "delayed":
            return completed(k, binds, ln, s, act, pre, chain=False)
        if act.overflow:
            return []  # dropped at a full channel: it can neither arrive nor be lost later
        return [(k, 1, act.sent, binds)]

    fails: list = []
    parent: dict = {}
    q: deque = deque()
    starts = _start_states(system, sc.start, max_states)
    if starts is None:  # the start condition was not reached within the limit
        out.states = max_states
        out.seconds = time.monotonic() - t0
        return out
    for s0, origin, pre_path in starts:
        node = (s0, (0, 0, -1, ()))
        if node not in parent:
            parent[node] = ("prefix", origin, pre_path)
            q.append(node)
    best = (-2, None)
    goal = None
    while q:
        node = q.popleft()
        s, m = node
        progress = m[0] * 2 + m[1]
        if progress > best[0]:
            best = (progress, node)
        if m[0] >= len(lines):
            goal = node
            break
        for act, t in system.successors(s):
            for m2 in step(m, s, act, t):
                nxt = (t, m2)
                if nxt not in parent:
                    parent[nxt] = (node, act)
                    q.append(nxt)
        if len(parent) > max_states or (timeout and time.monotonic() - t0 > timeout):
            out.states = len(parent)
            out.seconds = time.monotonic() - t0
            return out
    out.states = len(parent)
    out.seconds = time.monotonic() - t0
    if goal is not None:
        out.found = True
        out.trace, out.line_steps, out.start, out.moves = _trace(system, parent, goal, lines)
        out.reached = len(lines)
        return out
    out.found = False
    node = best[1]
    out.reached = max(0, node[1][0]) if node is not None else 0
    _explain(out, system, node, lines, fails)
    return out


def _start_states(system, start, max_states: int) -> list | None:
    """Where matching begins: the initial states, or (with ``start``) the states satisfying it
    that are reached in the fewest steps; each with its initial state and the moves from it.
    None if the search for them passes ``max_states``."""
    inits = system.initial_states()
    if start is None:
        return [(s, s, []) for s in inits]
    parent = {s: None for s in inits}
    level = list(inits)
    while level:
        hits = [s for s in level if start((s, False, None, None))]
        if hits:
            out = []
            for s in hits:
                moves, cur = [], s
                while parent[cur] is not None:
                    prev, act = parent[cur]
                    moves.append((act, cur))
                    cur = prev
                out.append((s, cur, moves[::-1]))
            return out
        nxt = []
        for s in level:
            for act, t in system.successors(s):
                if t not in parent:
                    parent[t] = (s, act)
                    nxt.append(t)
        if len(parent) > max_states:
            return None
        level = nxt
    return []


def _trace(system, parent, goal, lines):
    path = []
    node = goal
    while parent[node][0] != "prefix":
        prev, act = parent[node]
        path.append((prev, act, node))
        node = prev
    path.reverse()
    _, start, prefix = parent[node]
    moves = list(prefix) + [(act, nd[0]) for _, act, nd in path]
    trace = build_trace(system, start, moves)
    offset = len(prefix)
    line_steps: dict = {}
    for i, (prev, _act, nd) in enumerate(path, start=1):
        (k0, p0), (k1, p1) = prev[1][:2], nd[1][:2]
        touched = set(range(max(k0, 0), max(k1, 0)))        # lines completed by this step
        if p1 == 1 and (k1 != k0 or p0 == 0):
            touched.add(k1)                                   # a line whose segment was sent
        for k in sorted(touched):
            line_steps.setdefault(lines[k].index, []).append(i + offset)
    return trace, line_steps, start, moves


def _explain(out: Outcome, system, node, lines, fails) -> None:
    """What the model could do at the furthest point reached (for 'not found' reports)."""
    if node is None:
        return
    s, m = node
    k = max(m[0], 0)
    ma, mb = system.machines
    out.stuck_states = (ma.state_name(s[0]), mb.state_name(s[1]))
    seen = []
    for idx, st, act, pre, why in fails:
        if idx == k + 1:
            desc = _act_text(system, act)
            if why == "then":
                desc += f" (leaves A {ma.state_name(st[0])}, B {mb.state_name(st[1])})"
            elif why == "rule":
                desc += f" (handled by {system.rule_id(act)})"
            elif why == "signal":
                desc += f" (signals {act.out.signal if act.out else 'nothing'})"
            else:
                desc += " (its 'where' is false)"
            if desc not in seen:
                seen.append(desc)
    for act, t in system.successors(s):
        desc = _act_text(system, act)
        if desc not in seen:
            seen.append(desc)
    out.stuck = seen[:8]


def _act_text(system, act) -> str:
    who = ("network" if act.kind in ("loss", "dup") else
           "attacker" if act.kind in ("drop", "replay") else SIDES[act.side])
    text = f"{who}: {system.event_name(act)}"
    if act.kind == "rcv":
        text += f" of {system.seg_text(act.seg)}"
    if act.kind == "inject":
        text += f" of the forged {system.seg_text(act.seg)}"
    if act.kind in ("loss", "dup", "drop", "replay"):
        text += f" {system.seg_text(act.seg)}"
    if act.sent >= 0:
        text += f", sends {system.seg_text(act.sent)}"
    return text


def run(name_or_path: str, *, variant: str | None = None, overrides: dict | None = None,
        max_states: int = 2_000_000, timeout: float | None = None) -> Outcome:
    sc = load_scenario(name_or_path, variant=variant, overrides=overrides)
    model = build(sc.check, [])
    compile_lines(sc, model)
    return search(sc, model, max_states=max_states, timeout=timeout)


def variants_of(name_or_path: str) -> list[str]:
    """The variants a scenario states an expectation for (or its own variant)."""
    tf = load_toml(resolve_scenario(name_or_path))
    exp = tf.data.get("expect", {})
    if exp:
        for v in exp:
            try:
                load_variant(v)  # fail early on a misspelt variant
            except InputError as e:
                raise e.located(file=tf.path, where="expect") from None
        return list(exp)
    return [tf.data.get("variant", "rfc9293")]
