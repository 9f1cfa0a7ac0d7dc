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

import re
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from . import expr as E
from .check import Check, build, resolve_named
from .errors import InputError, did_you_mean
from .params import require_enumerable
from .props import STEP_ROOTS, system_scope
from .spec import FLAGS, Src, parse_text, specs_dir
from .system import SIDES
from .tomlfile import TomlFile, check_keys, load_toml, names, table_array, toml_value
from .trace import build_trace

LINE_KEYS = {"send", "by", "via", "fate", "name", "where", "arrive", "call", "crash", "timeout",
             "dup", "then", "note", "data", "signal", "inject", "to", "lose", "drop", "replay",
             "rule", "reply", "where_arrival", "never", "nothing"}
FATES = ("arrives", "lost", "dropped", "delayed")
KINDS = ("call", "rcv", "timer", "loss", "dup", "crash", "drop", "inject", "replay")
LINE_KINDS = ("send", "inject", "arrive", "call", "crash", "timeout", "dup", "lose", "drop",
              "replay", "never", "nothing")
NAMED_KINDS = {"arrive": "rcv", "dup": "dup", "lose": "loss", "drop": "drop", "replay": "replay"}
ENDPOINT_KINDS = ("call", "rcv", "timer")   # steps an endpoint takes ("and then nothing")
# keys that mean something only on some kinds of line (a typo'd kind must not be ignored)
LINE_ONLY = {"via": ("send", "inject"), "fate": ("send", "inject"), "name": ("send", "inject"),
             "where": ("send", "inject", "arrive"), "data": ("send", "inject"),
             "by": ("send", "call", "timeout"), "to": ("inject",)}
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
    signal: str | None = None                  # the completing step must signal this ("none")
    rule: str | None = None                    # ... and be handled by this rule
    holds: object = None                       # then's formula, on the completing step
    holds_text: str | None = None
    reply_none: bool = False                   # the arrival sends nothing
    arrival: object = None                     # where_arrival: on the arrival step
    arrival_text: str | None = None
    never: object = None                       # never/nothing: a predicate on states and steps
    never_steps: bool = False                  # ... that reads step names
    note: str = ""
    src: Src | None = None

    def describe(self, machines) -> str:
        who = SIDES[self.side] if self.side is not None else ""
        if self.kind in ("send", "inject"):
            ctl = ",".join(f for f in ("SYN", "FIN", "RST", "ACK") if self.flags & _bit(f))
            seg = (f"<CTL={ctl}>" if ctl else "<no flags>") + ("<DATA=1>" if self.data else "")
            extra = f" where {self.where_text}" if self.where_text else ""
            fate = {"arrives": "", "lost": ", lost", "dropped": ", dropped by the attacker",
                    "delayed": ", delayed"}[self.fate]
            if self.arrival_text:
                fate += f", arriving where {self.arrival_text}"
            if self.reply_none:
                fate += ", and the arrival sends nothing"
            if self.kind == "inject":
                return f"the attacker injects {seg} towards {who}{extra}{fate}"
            return f"{who} sends {seg}{extra}{fate}"
        if self.kind == "arrive":
            extra = f" where {self.arrival_text}" if self.arrival_text else ""
            quiet = ", and sends nothing" if self.reply_none else ""
            return f"the delayed segment '{self.target}' arrives{extra}{quiet}"
        if self.kind == "never":
            return f"and then never {self.where_text}"
        if self.kind == "nothing":
            return "and then nothing: no endpoint takes another step"
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
    from .check import check_from_toml

    path = resolve_scenario(name_or_path)
    tf = load_toml(path)
    d = tf.data
    check_keys(d, SCENARIO_KEYS, file=tf.path, where="top level")
    expect = _expect(tf)
    # the scenario's model is a check: the same params, scripts and definitions
    model = {k: d[k] for k in ("params", "scripts", "define", "attacker") if k in d}
    if "attacker" in d or model.get("params", {}).get("attacker", 0) not in (0, None):
        # a scenario may pin forged numbers with 'where': search every value, not one per class
        att = d.get("attacker", {})
        model["attacker"] = dict({"values": "all"}, **att) if isinstance(att, dict) else att
    model_part = TomlFile(tf.path, model, tf.text)
    check = check_from_toml(model_part, overrides=overrides,
                            variant=_variant(variant, tf, expect))
    allow = names(d, "allow", tf, 'allow = ["loss", "timer"]')
    for k in allow:
        if k not in KINDS:
            raise InputError(f"unknown step kind '{k}' in allow", file=tf.path, where="allow",
                             fix=did_you_mean(k, KINDS))
    sc = Scenario(path.stem, tf.path, str(d.get("title", path.stem)), str(d.get("source", "")),
                  check, expect, frozenset(allow), None, d.get("start"), [], str(d.get("note", "")))
    raw_lines = table_array(d, "line", tf, '[[line]] send = "SYN" by = "A"')
    if not raw_lines:
        raise InputError("a scenario needs at least one [[line]]", file=tf.path,
                         fix='add [[line]] send = "SYN" by = "A"')
    sc._raw_lines = [(raw, tf.table_line("line", i)) for i, raw in enumerate(raw_lines)]
    return sc


def _variant(name: str | None, tf, expect: dict):
    """The variant to search: ``name`` if given (from --variant, or one the file names), else
    the file's own or the first it expects something of; a path is relative to the file."""
    from .check import named_variant

    own = tf.data.get("variant")
    if name is None:
        name = own or (next(iter(expect)) if expect else "rfc9293")
    if name == own:
        return named_variant(name, tf)
    if name in expect:
        return named_variant(name, tf, "expect")
    return name   # from the command line: check_from_toml resolves it as --variant


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
        for k in raw:
            if k in LINE_ONLY and kind not in LINE_ONLY[k]:
                owners = LINE_ONLY[k]
                owners = " and ".join([", ".join(owners[:-1]), owners[-1]] if len(owners) > 1
                                      else owners)
                raise src.error(f"'{k}' belongs to {owners} lines, not to a "
                                f"{kind} line", k, f"remove {k}, or make the line a "
                                                   f"{LINE_ONLY[k][0]} line")
        ln = Line(i, kind, None, note=str(raw.get("note", "")), src=src)
        arrives = kind == "arrive" or (kind in ("send", "inject")
                                       and raw.get("fate", "arrives") == "arrives")
        for key in ("reply", "where_arrival"):
            if key in raw and not arrives:
                raise src.error(f"'{key}' describes an arrival, and this line has none", key,
                                "use it on a send or inject line whose segment arrives, or on "
                                "an arrive line")
        if kind in ("send", "call", "timeout"):
            ln.side = _side(raw.get("by"), src, "by")
        if kind == "inject":
            ln.side = _side(raw.get("to"), src, "to")
        if kind == "crash":
            ln.side = _side(raw["crash"], src, "crash")
        if kind in ("send", "inject"):
            ln.flags, with_data = _flags(raw[kind], src, kind)
            if with_data:
                ln.data = True
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
            if kind == "inject":
                _check_injectable(system, ln, src)
            ln.name = raw.get("name")
            if ln.name is not None and not (isinstance(ln.name, str)
                                            and re.fullmatch(r"[A-Za-z_]\w*", ln.name)):
                raise src.error("'name' must be a simple name", "name", 'name = "old_syn"')
            if ln.fate == "delayed" and not ln.name:
                raise src.error("a delayed segment needs a name for its later arrival", "name",
                                'name = "old_syn"')
            if "where" in raw:
                ln.where, ln.where_text = _where(raw, "where", src, system, macros, sc,
                                                 names_so_far)
            if "where_arrival" in raw:
                ln.arrival, ln.arrival_text = _where(raw, "where_arrival", src, system, macros,
                                                     sc, names_so_far)
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
            if "where" in raw:
                if kind == "dup":
                    raise src.error("'where' on a dup line: the duplicate is the named segment",
                                    "where", "describe the segment where it is sent")
                # an arrive line's condition holds at the arrival (seg.* is the arriving segment)
                ln.arrival, ln.arrival_text = _where(raw, "where", src, system, macros, sc,
                                                     names_so_far)
        elif kind == "never":
            ln.never, ln.never_steps, ln.where_text = _never(raw, src, system, macros, sc,
                                                             names_so_far)
        elif kind == "nothing":
            if raw["nothing"] is not True:
                raise src.error("'nothing' is written nothing = true", "nothing",
                                "nothing = true (and then no endpoint takes another step)")
            ln.never = lambda e: e[3] is not None and e[3].kind in ENDPOINT_KINDS
            ln.never_steps = True
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
        if kind in ("never", "nothing"):
            extra = [k for k in ("then", "signal", "by", "to", "rule") if k in raw]
            if extra:
                raise src.error(f"a '{kind}' line takes no step, so no '{extra[0]}'", extra[0],
                                "put it on the line before")
        if raw.get("reply", "none") != "none":
            raise src.error(f"reply = {toml_value(raw['reply'])}: only \"none\" is a reply "
                            "assertion (a reply segment is matched by the next send line)",
                            "reply", 'reply = "none"')
        ln.reply_none = "reply" in raw
        ln.signal = raw.get("signal")
        if ln.signal is not None and ln.signal not in ma.signals + ("none",):
            raise src.error(f"unknown signal '{ln.signal}'", "signal",
                            did_you_mean(str(ln.signal), ma.signals + ("none",)))
        then = raw.get("then", {})
        if isinstance(then, str):
            then = {"holds": then}
        if not isinstance(then, dict):
            raise src.error("'then' maps a and b to states (and holds to a formula), or is a "
                            "formula", "then", 'then = { a = "ESTABLISHED", holds = "a.sent == 1" }')
        for k, v in then.items():
            if k == "holds":
                names = names_so_far + ([ln.name] if ln.name and ln.name not in names_so_far
                                        else [])
                ln.holds, ln.holds_text = _where(then, "holds", src, system, macros, sc, names,
                                                 shown="then.holds", segment=False)
                continue
            if k not in ("a", "b"):
                raise src.error(f"'then' key '{k}' is not a, b or holds", "then")
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


def _flags(v, src: Src, key: str) -> tuple:
    """(control bits, whether DATA was named) of a send/inject line's segment."""
    if not isinstance(v, str) or not v.strip():
        raise src.error(f"{key} names the control flags", key, f'{key} = "SYN,ACK"')
    bits = 0
    data = False
    for f in v.split(","):
        f = f.strip()
        if f == "DATA":
            data = True   # an octet of data: "ACK,DATA", or "DATA" alone (no flags)
            continue
        if f not in FLAGS:
            raise src.error(f"unknown control flag '{f}'", key, did_you_mean(f, FLAGS + ("DATA",)))
        bits |= _bit(f)
    return bits, data


def _check_injectable(system, ln: Line, src: Src) -> None:
    """The attacker's patterns (``attacker_flags``) must allow the segment the line forges."""
    seg = system.machines[0].seg
    for code in system.injectable:
        _, _, flags, data = seg.unpack(code)
        if flags == ln.flags and (ln.data is None or bool(data) == ln.data):
            return
    ctl = ",".join(f for f in FLAGS if ln.flags & _bit(f))
    want = ",".join(x for x in (ctl, "DATA" if ln.data else "") if x)
    raise src.error(f"the attacker cannot forge {want or 'this segment'}: attacker_flags has no "
                    "such pattern", "inject", f'add "{want}" to attacker_flags in [params]')


def _where(raw: dict, key: str, src: Src, system, macros, sc, names, *, segment: bool = True,
           shown: str | None = None):
    """A line's condition ``raw[key]``, compiled: (predicate, its text); errors name the key
    as ``shown``."""
    t = parse_text(raw[key], src, shown or key)
    scope = _where_scope(system, macros, sc.check.params, names, segment=segment)
    try:
        fn = E.Compiler(scope).compile(t.node, E.BOOL).fn
    except E.ExprError as err:
        raise t.fail(err) from None
    return fn, " ".join(str(raw[key]).split())


def _never(raw: dict, src: Src, system, macros, sc, names):
    """``never = "P"``: (predicate, reads step names, text); P reads the system (and, to be
    checked on steps, step.*, prev.*, actor.*), and earlier named segments."""
    fn, text = _where(raw, "never", src, system, macros, sc, names, segment=False)
    used = E.names_used(E.parse(raw["never"]), macros)
    return fn, any(n.split(".")[0] in STEP_ROOTS for n in used), text


def _where_scope(system, macros, params, names, *, segment: bool = True) -> E.Scope:
    """Names of a line's ``where``: the system after the step, seg.* (the line's segment, if
    ``segment``), and earlier named segments."""
    sc = system_scope(system, macros, params)
    types = (("seq", E.SEQ, 0), ("ack", E.SEQ, 1), ("data", E.INT, 6), ("len", E.INT, 7))
    for fname, t, i in types:
        if segment:
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
        signal = act.out.signal if act.out is not None else None
        if ln.signal is not None and (signal or "none") != ln.signal:
            fails.append((ln.index, s, act, pre, "signal"))
            return None
        if ln.rule is not None and system.rule_id(act) != ln.rule:
            fails.append((ln.index, s, act, pre, "rule"))
            return None
        if not then_ok(ln, s):
            fails.append((ln.index, s, act, pre, "then"))
            return None
        if ln.holds is not None and not ln.holds((s, False, pre, act, None,
                                                   bindings_env(binds))):
            fails.append((ln.index, s, act, pre, "holds"))
            return None
        return (k + 1, 0, -1, binds)

    def arrival_ok(ln, act, s, pre, binds) -> bool:
        """The arrival of the line's segment: it sends nothing (``reply``), its condition
        (``where_arrival``, an arrive line's ``where``) holds."""
        if ln.reply_none and act.sent >= 0:
            fails.append((ln.index, s, act, pre, "reply"))
            return False
        if ln.arrival is not None:
            f = seg_fields(system.split(act.seg)[0])
            if not ln.arrival((s, False, pre, act, f, bindings_env(binds))):
                fails.append((ln.index, s, act, pre, "arrival"))
                return False
        return True

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
        # where: the state after the sending step; a forgery changes no endpoint, and its
        # arrival (the same step here) is where_arrival's business, so an inject line's where
        # reads the state the attacker forged in
        sent = pre if ln.kind == "inject" else s
        if ln.where is not None and not ln.where((sent, False, pre, act, f, bindings_env(binds))):
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
            if act.seg == cur and ((ln.fate == "arrives" and act.kind == "rcv"
                                    and arrival_ok(ln, act, s, pre, binds))
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
        elif ln.kind == "arrive" and act.kind == "rcv" and act.seg == dict(binds)[ln.target]:
            matched = arrival_ok(ln, act, s, pre, binds)
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
            if not arrival_ok(ln, act, s, pre, binds):
                return []
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
    never_memo: dict = {}
    while q:
        node = q.popleft()
        s, m = node
        progress = m[0] * 2 + m[1]
        if progress > best[0]:
            best = (progress, node)
        if m[0] >= len(lines):
            goal = node
            break
        if lines[m[0]].kind in ("never", "nothing"):
            # a line that takes no step: it holds here, or this run does not match
            ln = lines[m[0]]
            key = (ln.index, s, m[3])
            ok = never_memo.get(key)
            if ok is None:
                ok = never_memo[key] = _never_holds(system, ln, s, bindings_env(m[3]),
                                                   max_states)
            if ok is None:
                out.states = max(len(parent), max_states)
                out.seconds = time.monotonic() - t0
                return out
            if not ok:
                fails.append((ln.index, s, None, None, "never"))
                continue
            nxt = (s, (m[0] + 1, 0, -1, m[3]))
            if nxt not in parent:
                parent[nxt] = (node, None)
                q.appendleft(nxt)   # no step taken: same distance (0-1 BFS)
            continue
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


def _never_holds(system, ln: Line, s0, binds: dict, max_states: int) -> bool | None:
    """No run from ``s0`` (every step the model offers) reaches a state, or takes a step,
    satisfying the line's predicate; None if ``max_states`` states did not settle it."""
    test = ln.never
    if not ln.never_steps and test((s0, False, None, None, None, binds)):
        return False
    seen = {s0}
    todo = deque([s0])
    while todo:
        s = todo.popleft()
        for act, t in system.successors(s):
            if ln.never_steps and test((t, False, s, act, None, binds)):
                return False
            if t in seen:
                continue
            if not ln.never_steps and test((t, False, None, None, None, binds)):
                return False
            seen.add(t)
            todo.append(t)
        if len(seen) > max_states:
            return None
    return True


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
    moves = list(prefix) + [(act, nd[0]) for _, act, nd in path if act is not None]
    trace = build_trace(system, start, moves)
    offset = len(prefix)
    line_steps: dict = {}
    i = 0
    for prev, act, nd in path:
        i += act is not None      # a never/nothing line takes no step: it sits at the last one
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
            if why == "never":
                desc = (f"from A {ma.state_name(st[0])}, B {mb.state_name(st[1])} some run "
                        f"reaches what line {idx} excludes")
                if desc not in seen:
                    seen.append(desc)
                continue
            desc = _act_text(system, act)
            if why == "then":
                desc += f" (leaves A {ma.state_name(st[0])}, B {mb.state_name(st[1])})"
            elif why == "rule":
                desc += f" (handled by {system.rule_id(act)})"
            elif why == "signal":
                desc += f" (signals {act.out.signal if act.out and act.out.signal else 'nothing'})"
            elif why == "holds":
                desc += " (then's 'holds' is false)"
            elif why == "reply":
                desc += " (the arrival sends a segment)"
            elif why == "arrival":
                desc += " (its arrival condition is false)"
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
    require_enumerable(model.system.params, "scenario search")
    compile_lines(sc, model)
    return search(sc, model, max_states=max_states, timeout=timeout)


def variants_of(name_or_path: str) -> list[str]:
    """The variants a scenario states an expectation for (or its own variant)."""
    from .check import named_variant

    tf = load_toml(resolve_scenario(name_or_path))
    exp = _expect(tf)
    for v in exp:
        named_variant(v, tf, "expect")  # fail early on a misspelt variant
    return list(exp) or [tf.data.get("variant", "rfc9293")]


def _expect(tf) -> dict:
    expect = tf.data.get("expect", {})
    if not isinstance(expect, dict) or any(v not in ("found", "impossible") for v in expect.values()):
        raise InputError("expect maps variants to \"found\" or \"impossible\"", file=tf.path,
                         where=tf.where(tf.key_line("expect"), "expect"),
                         fix='expect = { rfc9293 = "found", rfc1337 = "impossible" }')
    return expect
