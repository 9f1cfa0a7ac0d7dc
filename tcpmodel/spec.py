"""Endpoint rule files: loading, overlays (variants), validation and the completeness check.

A variant is a base rule file (``specs/rfc9293.toml``) or an overlay that
``extends`` another and edits its rules (``replace``, ``before``, ``after``,
``remove``) and its ``[define]``/``[constants]`` tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace as dc_replace
from pathlib import Path

from . import expr as E
from .errors import InputError, did_you_mean
from .tomlfile import TomlFile, check_keys, load_toml, names, table, table_array

FLAGS = ("SYN", "ACK", "FIN", "RST")
RULE_KEYS = {"id", "state", "event", "when", "choose", "set", "send", "next", "signal", "note",
             "replace", "before", "after"}
SEND_KEYS = {"seq", "ack", "ctl", "data"}


def specs_dir() -> Path:
    """The shipped specs: the repository's ``specs/`` or the installed copy."""
    repo = Path(__file__).resolve().parent.parent / "specs"
    if (repo / "rfc9293.toml").exists():
        return repo
    from importlib.resources import files
    return Path(str(files("tcpmodel") / "specs"))


@dataclass(frozen=True)
class Src:
    """Where a piece of spec text came from, for error messages."""
    file: str
    line: int | None
    what: str

    def where(self, key: str | None = None) -> str:
        w = self.what + (f" key '{key}'" if key else "")
        return f"{self.line}: {w}" if self.line else w

    def error(self, msg: str, key: str | None = None, fix: str | None = None) -> InputError:
        return InputError(msg, file=self.file, where=self.where(key), fix=fix)


@dataclass(frozen=True)
class Text:
    """An expression with its source text and location."""
    text: str
    node: E.Node
    src: Src
    key: str

    def fail(self, err: E.ExprError) -> InputError:
        return E.located(err, self.text, file=self.src.file, where=self.src.where(self.key))


def parse_text(text, src: Src, key: str) -> Text:
    if isinstance(text, bool):
        text = "true" if text else "false"
    elif isinstance(text, int):
        text = str(text)
    if not isinstance(text, str):
        raise src.error(f"expected an expression string, got {type(text).__name__}", key,
                        "quote the expression, e.g. \"snd_nxt + 1\"")
    try:
        node = E.parse(text)
    except E.ExprError as err:
        raise E.located(err, text, file=src.file, where=src.where(key)) from None
    return Text(text, node, src, key)


@dataclass(frozen=True)
class SendSpec:
    seq: Text
    ack: Text | None
    flags: frozenset
    data: int

    @property
    def ctl(self) -> str:
        return ",".join(f for f in FLAGS if f in self.flags)


@dataclass(frozen=True)
class Rule:
    id: str
    states: tuple
    events: tuple
    when: Text | None
    choose: tuple          # ((var, param name), ...)
    assign: tuple          # ((field, Text), ...)
    send: SendSpec | None
    next: Text | None
    signal: str | None
    note: str
    src: Src
    replaces: str | None = None   # the base rule an overlay rule replaced (its original id)

    @property
    def is_noop(self) -> bool:
        return not (self.assign or self.send or self.next or self.choose)


@dataclass(frozen=True)
class DiagramSpec:
    """Presentation of the state diagram (``[diagram]``); the edges always come from the rules.

    ``rows``: states top to bottom (a state listed twice is drawn twice, like CLOSED in
    RFC 9293 Figure 5); ``main``: ids of the rules the RFC's figure draws; ``labels``: event ->
    text shown on edges."""
    rows: tuple
    main: tuple
    labels: dict


@dataclass
class EndpointSpec:
    """A loaded, validated variant: the endpoint's states, events, TCB and ordered rules."""
    name: str
    description: str
    files: list
    states: tuple
    initial: str
    clear_on_entry: tuple
    signals: tuple
    groups: dict
    events: dict              # kind -> tuple of event names (user, segment, timer)
    classify: list            # [(event, Text)] in order
    tcb: dict                 # field -> type string
    tcb_src: dict
    constants: dict
    defines: dict             # name -> Text
    rules: list = field(default_factory=list)
    redefined: dict = field(default_factory=dict)  # name -> the Text an overlay replaced
    round_trip: tuple = ()    # timer events that outlast a round trip ([events] round_trip)
    diagram: "DiagramSpec | None" = None   # how `tcpmodel diagram` lays the states out


    @property
    def all_events(self) -> tuple:
        return tuple(e for kind in ("user", "segment", "timer") for e in self.events.get(kind, ()))

    def event_kind(self, event: str) -> str:
        for kind, evs in self.events.items():
            if event in evs:
                return kind
        raise KeyError(event)

    def rules_for(self, state: str, event: str) -> list:
        return [r for r in self.rules if state in r.states and event in r.events]


# ---------------------------------------------------------------- loading

def resolve_named(name_or_path: str, directory: Path, kind: str, known) -> Path:
    """A shipped file by name (``directory/NAME.toml``), or any path as given."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or "/" in name_or_path:
        return p
    cand = directory / f"{name_or_path}.toml"
    if not cand.exists():
        raise InputError(f"unknown {kind} '{name_or_path}'",
                         fix=did_you_mean(name_or_path, known()) + " (or give a path)")
    return cand


def resolve_variant(name_or_path: str) -> Path:
    return resolve_named(name_or_path, specs_dir(), "variant", list_variants)


def list_variants() -> list[str]:
    out = []
    for p in sorted(specs_dir().glob("*.toml")):
        try:
            head = p.read_text(encoding="utf-8")
        except OSError:
            continue
        if re.search(r"^\s*\[endpoint\]|^\s*extends\s*=", head, re.M):
            out.append(p.stem)
    return out


def load_variant(name_or_path: str, _chain: tuple = ()) -> EndpointSpec:
    """Load a variant by name (``rfc1337``) or path, applying overlays down to the base."""
    path = resolve_variant(name_or_path)
    key = str(path.resolve()) if path.exists() else str(path)
    if key in _chain:
        raise InputError("overlays extend each other in a cycle", file=str(path),
                         fix="make one of them extend a base file")
    tf = load_toml(path)
    d = tf.data
    check_keys(d, {"name", "description", "extends", "endpoint", "groups", "events", "classify",
                   "tcb", "constants", "define", "rule", "remove", "diagram"}, file=tf.path,
               where="top level")
    if "extends" in d:
        base_name = d["extends"]
        if not isinstance(base_name, str):
            raise InputError("'extends' must name a variant", file=tf.path,
                             where=f"{tf.key_line('extends')}", fix='extends = "rfc9293"')
        if "/" not in base_name and not base_name.endswith(".toml"):
            sibling = path.parent / f"{base_name}.toml"
            base_ref = str(sibling) if sibling.exists() else base_name
        else:
            base_ref = str((path.parent / base_name)) if not Path(base_name).is_absolute() else base_name
            if not Path(base_ref).exists():
                raise InputError(f"the variant it extends, '{base_name}', is not found (looked "
                                 f"for {base_ref})", file=tf.path,
                                 where=f"{tf.key_line('extends')}: extends",
                                 fix="a path is relative to this file; or name a shipped variant")
        try:
            base = load_variant(base_ref, _chain + (key,))
        except InputError as e:
            if e.file is None:
                raise e.located(file=tf.path, where=f"{tf.key_line('extends')}: extends") from None
            raise
        spec = _apply_overlay(base, tf)
    else:
        spec = _load_base(tf)
    validate(spec)
    return spec


def _str_list(v, src: Src, key: str) -> tuple:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return tuple(v)
    raise src.error(f"'{key}' must be a string or a list of strings", key, f'{key} = ["A", "B"]')


def _text(d: dict, key: str, default: str, tf: TomlFile) -> str:
    v = d.get(key, default)
    if not isinstance(v, str):
        raise InputError(f"'{key}' must be a string", file=tf.path,
                         where=tf.where(tf.key_line(key), key), fix=f'{key} = "..."')
    return v


def _load_base(tf: TomlFile) -> EndpointSpec:
    d = tf.data
    f = tf.path
    for sec in ("endpoint", "events", "tcb", "rule"):
        if sec not in d:
            raise InputError(f"missing [{sec}] section", file=f,
                             fix="a base rule file needs [endpoint], [events], [tcb] and [[rule]]s;"
                                 " an overlay needs extends = \"rfc9293\"")
    ep = table(d, "endpoint", tf, '[endpoint] states = ["CLOSED", ...]')
    check_keys(ep, {"states", "initial", "clear_on_entry", "signals"}, file=f,
               where=f"{tf.key_line('[endpoint]') or ''}[endpoint]")
    src = Src(f, None, "[endpoint]")
    states = _str_list(ep.get("states", []), src, "states")
    if not states:
        raise src.error("no states declared", "states")
    initial = ep.get("initial", states[0])
    if not isinstance(initial, str):
        raise src.error("'initial' must name a state", "initial", 'initial = "CLOSED"')
    spec = EndpointSpec(
        name=_text(d, "name", Path(f).stem, tf), description=_text(d, "description", "", tf),
        files=[f],
        states=states, initial=initial,
        clear_on_entry=_str_list(ep.get("clear_on_entry", []), src, "clear_on_entry"),
        signals=_str_list(ep.get("signals", []), src, "signals"),
        groups={}, events={}, classify=[], tcb={}, tcb_src={}, constants={}, defines={})
    for k, v in table(d, "groups", tf, '[groups] synchronized = ["ESTABLISHED", ...]').items():
        spec.groups[k] = _str_list(v, Src(f, tf.key_line(k), "[groups]"), k)
    ev = table(d, "events", tf, '[events] user = ["open_active", ...]')
    check_keys(ev, {"user", "segment", "timer", "round_trip"}, file=f, where="[events]")
    for k, v in ev.items():
        if k != "round_trip":
            spec.events[k] = _str_list(v, Src(f, tf.key_line(k), "[events]"), k)
    if "round_trip" in ev:
        rt_src = Src(f, tf.key_line("round_trip"), "[events]")
        spec.round_trip = _str_list(ev["round_trip"], rt_src, "round_trip")
        for e in spec.round_trip:
            if e not in spec.events.get("timer", ()):
                raise rt_src.error(f"'{e}' is not a timer event", "round_trip",
                                   did_you_mean(e, spec.events.get("timer", ())))
    for k, v in table(d, "classify", tf, '[classify] rcv_syn = "seg.SYN"').items():
        spec.classify.append((k, parse_text(v, Src(f, tf.key_line(k), "[classify]"), k)))
    for k, v in table(d, "tcb", tf, '[tcb] snd_nxt = "seq"').items():
        s = Src(f, tf.key_line(k), "[tcb]")
        if not isinstance(v, str):
            raise s.error(f"type of TCB field '{k}' must be a string", k,
                          '"seq", "bool" or a range such as "0..param.data"')
        spec.tcb[k] = v
        spec.tcb_src[k] = s
    _merge_constants(spec, table(d, "constants", tf, "[constants] name = 1"), tf)
    _merge_defines(spec, table(d, "define", tf, '[define] name = "expression"'), tf)
    for i, raw in enumerate(table_array(d, "rule", tf, '[[rule]] id = "..." state = "..."')):
        spec.rules.append(_load_rule(raw, tf, i))
    if "diagram" in d:
        spec.diagram = _load_diagram(d["diagram"], spec, tf)
    return spec


def _load_diagram(table, spec: EndpointSpec, tf: TomlFile) -> DiagramSpec:
    """The ``[diagram]`` table, checked against the file's states, rules and events."""
    f = tf.path
    # keys such as rcv_syn also appear in [classify]: look for them below the [diagram] header
    head = next((i for i, ln in enumerate(tf.text.splitlines()) if ln.strip().startswith("[diagram")),
                0)

    def src(key):
        return Src(f, tf.key_line(key, after=head), "[diagram]")

    if not isinstance(table, dict):
        raise InputError("[diagram] must be a table", file=f, fix="[diagram] then rows = [...]")
    check_keys(table, {"rows", "main", "labels"}, file=f, where="[diagram]")
    rows = table.get("rows", [[s] for s in spec.states])
    if not isinstance(rows, list) or not all(isinstance(r, list) and r for r in rows):
        raise src("rows").error("'rows' must be a list of non-empty lists of states", "rows",
                                'rows = [["CLOSED"], ["LISTEN"], ...]')
    rows = tuple(_str_list(r, src("rows"), "rows") for r in rows)
    drawn = {s for r in rows for s in r}
    for s in sorted(drawn - set(spec.states)):
        raise src("rows").error(f"unknown state '{s}'", "rows", did_you_mean(s, spec.states))
    for s in spec.states:
        if s not in drawn:
            raise src("rows").error(f"state '{s}' is in no row", "rows", "add it to a row")
    main = _str_list(table.get("main", []), src("main"), "main")
    ids = [r.id for r in spec.rules]
    for rid in main:
        if rid not in ids:
            raise src("main").error(f"no rule with id '{rid}'", "main", did_you_mean(rid, ids))
    labels = table.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise src("labels").error("'labels' must map events to text", "labels",
                                  'labels = { rcv_syn = "rcv SYN" }')
    for ev in labels:
        if ev not in spec.all_events:
            raise src(ev).error(f"unknown event '{ev}'", f"labels.{ev}",
                                did_you_mean(ev, spec.all_events))
    return DiagramSpec(rows, main, dict(labels))


def _merge_constants(spec: EndpointSpec, table: dict, tf: TomlFile) -> None:
    for k, v in table.items():
        if not isinstance(v, int) or isinstance(v, bool):
            raise InputError(f"constant '{k}' must be an integer", file=tf.path,
                             where=f"{tf.key_line(k)}: [constants]", fix=f"{k} = 1")
        spec.constants[k] = v


def _merge_defines(spec: EndpointSpec, table: dict, tf: TomlFile) -> None:
    for k, v in table.items():
        spec.defines[k] = parse_text(v, Src(tf.path, tf.key_line(k), "[define]"), k)


def _load_rule(raw: dict, tf: TomlFile, index: int) -> Rule:
    line = tf.table_line("rule", index)
    rid = raw.get("id") if isinstance(raw.get("id"), str) else None
    src = Src(tf.path, line, f"rule '{rid}'" if rid else f"rule #{index + 1}")
    check_keys(raw, RULE_KEYS, file=tf.path, where=src.where())
    if rid is None:
        raise src.error("rule has no id", "id", 'add id = "state-event-what"')
    if "state" not in raw or "event" not in raw:
        raise src.error("rule needs 'state' and 'event'", None,
                        'e.g. state = "LISTEN" and event = "rcv_syn"')
    states = _str_list(raw["state"], src, "state")
    events = _str_list(raw["event"], src, "event")
    when = parse_text(raw["when"], src, "when") if "when" in raw else None
    choose = raw.get("choose", {})
    if not isinstance(choose, dict) or not all(isinstance(v, str) for v in choose.values()):
        raise src.error("'choose' must map names to parameter lists", "choose",
                        'choose = { isn = "param.iss_choices" }')
    assign = raw.get("set", {})
    if not isinstance(assign, dict):
        raise src.error("'set' must be a table of field = expression", "set",
                        'set = { snd_nxt = "snd_nxt + 1" }')
    assign_t = tuple((k, parse_text(v, src, f"set.{k}")) for k, v in assign.items())
    if "next" in raw and not isinstance(raw["next"], str):
        raise src.error("'next' must be a state or an expression string", "next",
                        "next = \"ESTABLISHED\" or next = \"if C then 'A' else 'B'\"")
    send = None
    if "send" in raw:
        send = _load_send(raw["send"], src)
    nxt = parse_text(f"'{raw['next']}'" if _is_state_literal(raw.get("next")) else raw["next"],
                     src, "next") if "next" in raw else None
    signal = raw.get("signal")
    if signal is not None and not isinstance(signal, str):
        raise src.error("'signal' must be a string", "signal")
    note = raw.get("note", "")
    return Rule(rid, states, events, when, tuple(choose.items()), assign_t, send, nxt, signal,
                note if isinstance(note, str) else "", src)


def _is_state_literal(v) -> bool:
    return isinstance(v, str) and re.fullmatch(r"[A-Z][A-Z0-9-]*", v) is not None


def _load_send(raw, src: Src) -> SendSpec:
    if not isinstance(raw, dict):
        raise src.error("'send' must be a table", "send", 'send = { seq = "snd_nxt", ctl = "ACK" }')
    for k in raw:
        if k not in SEND_KEYS:
            raise src.error(f"unknown key '{k}' in send", "send", did_you_mean(k, SEND_KEYS))
    ctl = raw.get("ctl", "")
    if not isinstance(ctl, str):
        raise src.error("'ctl' must be a string of flags", "send.ctl", 'ctl = "SYN,ACK"')
    flags = frozenset(x.strip() for x in ctl.split(",") if x.strip())
    for fl in flags:
        if fl not in FLAGS:
            raise src.error(f"unknown control flag '{fl}'", "send.ctl", did_you_mean(fl, FLAGS))
    if "seq" not in raw:
        raise src.error("a sent segment needs 'seq'", "send", 'seq = "snd_nxt"')
    if "ack" in raw and "ACK" not in flags:
        raise src.error("'ack' given but ctl has no ACK flag", "send.ack",
                        "add ACK to ctl or remove ack")
    if "ACK" in flags and "ack" not in raw:
        raise src.error("ctl has ACK but no 'ack' field", "send.ack", 'add ack = "rcv_nxt"')
    data = raw.get("data", 0)
    if data not in (0, 1) or isinstance(data, bool):
        raise src.error("'data' must be 0 or 1 octets", "send.data", "data = 1")
    return SendSpec(parse_text(raw["seq"], src, "send.seq"),
                    parse_text(raw["ack"], src, "send.ack") if "ack" in raw else None,
                    flags, data)


def _apply_overlay(base: EndpointSpec, tf: TomlFile) -> EndpointSpec:
    d = tf.data
    f = tf.path
    for sec in ("endpoint", "tcb", "classify", "groups"):
        if sec in d:
            raise InputError(f"an overlay cannot redefine [{sec}]", file=f,
                             fix="edit rules, [define] or [constants]; or write a base file")
    spec = dc_replace(base, files=base.files + [f], constants=dict(base.constants),
                      defines=dict(base.defines), rules=list(base.rules),
                      events=dict(base.events),
                      name=_text(d, "name", Path(f).stem, tf),
                      description=_text(d, "description", base.description, tf))
    if "events" in d:
        _add_events(spec, table(d, "events", tf, '[events] timer = ["name"]'), tf)
    if "diagram" in d:
        spec.diagram = _overlay_labels(spec, table(d, "diagram", tf, '[diagram.labels] name = "label"'), tf)
    _merge_constants(spec, table(d, "constants", tf, "[constants] name = 1"), tf)
    spec.redefined = dict(base.redefined)
    defines = table(d, "define", tf, '[define] name = "expression"')
    for k in defines:
        if k in base.defines:
            spec.redefined.setdefault(k, base.defines[k])
    _merge_defines(spec, defines, tf)
    for rid in names(d, "remove", tf, 'remove = ["rule-id"]'):
        idx = _rule_index(spec, rid, Src(f, tf.key_line("remove"), "remove"))
        del spec.rules[idx]
    for i, raw in enumerate(table_array(d, "rule", tf, '[[rule]] replace = "rule-id"')):
        line = tf.table_line("rule", i)
        src = Src(f, line, f"rule #{i + 1}")
        edits = [k for k in ("replace", "before", "after") if k in raw]
        if len(edits) != 1:
            raise src.error("an overlay rule needs exactly one of replace, before, after",
                            None, 'e.g. replace = "sync-rst"')
        target = raw[edits[0]]
        idx = _rule_index(spec, target, src)
        merged = dict(raw)
        del merged[edits[0]]
        if edits[0] == "replace":
            old = spec.rules[idx]
            # the replacement is another rule: traces must not show the base rule's name
            merged.setdefault("id", f"{old.id}@{spec.name}")
            merged.setdefault("state", list(old.states))
            merged.setdefault("event", list(old.events))
            spec.rules[idx] = dc_replace(_load_rule(merged, tf, i),
                                         replaces=old.replaces or old.id)
        else:
            rule = _load_rule(merged, tf, i)
            spec.rules.insert(idx if edits[0] == "before" else idx + 1, rule)
    return spec


def _add_events(spec: EndpointSpec, table, tf: TomlFile) -> None:
    """An overlay's own user calls and timers, appended to the base's (the system offers them
    like the base's: a timer fires wherever a rule gives it an effect).  Segment events stay
    the base's: an arriving segment is classified by the base's [classify]."""
    f = tf.path
    if not isinstance(table, dict):
        raise InputError("[events] must be a table", file=f, fix='[events] then timer = ["x"]')
    if "segment" in table:
        raise InputError("an overlay cannot add segment events", file=f,
                         where=f"{tf.key_line('segment') or ''}: [events] segment".lstrip(": "),
                         fix="arriving segments are classified by the base's [classify]; add "
                             "user or timer events, or write a base file")
    check_keys(table, {"user", "timer"}, file=f, where="[events]")
    known = set(spec.all_events)
    for kind, listed in table.items():
        src = Src(f, tf.key_line(kind), "[events]")
        new = _str_list(listed, src, kind)
        for e in new:
            if e in known:
                raise src.error(f"event '{e}' exists already", kind,
                                "give the overlay's event a new name")
            if not re.fullmatch(r"[a-z][a-z0-9_]*", e):
                raise src.error(f"event name '{e}' is not a lower-case identifier", kind,
                                'e.g. timer = ["fin_wait_2"]')
            known.add(e)
        spec.events[kind] = tuple(spec.events.get(kind, ())) + new


def _overlay_labels(spec: EndpointSpec, table, tf: TomlFile) -> DiagramSpec | None:
    """An overlay's ``[diagram]`` may only label events (its own, or relabel the base's); the
    layout stays the base's."""
    f = tf.path
    if not isinstance(table, dict) or set(table) - {"labels"}:
        raise InputError("an overlay cannot redefine [diagram] (only [diagram.labels])", file=f,
                         fix="the layout comes from the base; label events with [diagram.labels]")
    labels = table.get("labels", {})
    head = next((i for i, ln in enumerate(tf.text.splitlines()) if ln.strip().startswith("[diagram")),
                0)
    src = Src(f, tf.key_line("labels", after=head), "[diagram.labels]")
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise src.error("'labels' must map events to text", None, 'fin_wait_2 = "FIN-WAIT-2 timeout"')
    for ev in labels:
        if ev not in spec.all_events:
            raise src.error(f"unknown event '{ev}'", None, did_you_mean(ev, spec.all_events))
    base = spec.diagram
    if base is None:
        return DiagramSpec(tuple((s,) for s in spec.states), (), dict(labels))
    return dc_replace(base, labels={**base.labels, **labels})


def _rule_index(spec: EndpointSpec, rid, src: Src) -> int:
    for i, r in enumerate(spec.rules):
        if r.id == rid:
            return i
    raise src.error(f"no rule with id '{rid}' in {spec.name}", None,
                    did_you_mean(str(rid), [r.id for r in spec.rules]))


# ---------------------------------------------------------------- validation

def _expand(names: tuple, singles: tuple, groups: dict, kind: str, src: Src) -> tuple:
    """Names, group names and "*" to the list of members, in order, without repeats."""
    out = []
    for n in names:
        if n == "*":
            out.extend(singles)
        elif n in groups:
            out.extend(groups[n])
        elif n in singles:
            out.append(n)
        else:
            raise src.error(f"unknown {kind} '{n}'", kind,
                            did_you_mean(n, list(singles) + list(groups)))
    return tuple(dict.fromkeys(out))


def expand_states(spec: EndpointSpec, names: tuple, src: Src) -> tuple:
    return _expand(names, spec.states, spec.groups, "state", src)


def expand_events(spec: EndpointSpec, names: tuple, src: Src) -> tuple:
    return _expand(names, spec.all_events, spec.events, "event", src)


def validate(spec: EndpointSpec) -> None:
    """Structural checks that need no parameters, ending with the completeness check."""
    src = Src(spec.files[0], None, "[endpoint]")
    if len(set(spec.states)) != len(spec.states):
        raise src.error("a state is listed twice", "states")
    if spec.initial not in spec.states:
        raise src.error(f"initial state '{spec.initial}' is not a state", "initial",
                        did_you_mean(spec.initial, spec.states))
    for s in spec.clear_on_entry:
        if s not in spec.states:
            raise src.error(f"unknown state '{s}'", "clear_on_entry", did_you_mean(s, spec.states))
    for g, members in spec.groups.items():
        if g in spec.states:
            raise InputError(f"group '{g}' has the name of a state", file=spec.files[0],
                             where="[groups]", fix="rename the group")
        for s in members:
            if s not in spec.states:
                raise InputError(f"unknown state '{s}' in group '{g}'", file=spec.files[0],
                                 where="[groups]", fix=did_you_mean(s, spec.states))
    seg_events = spec.events.get("segment", ())
    for ev, t in spec.classify:
        if ev not in seg_events:
            raise t.src.error(f"'{ev}' is not a segment event", ev,
                              did_you_mean(ev, seg_events))
    ids: dict = {}
    rules = []
    for r in spec.rules:
        if r.id in ids:  # blame the rule from the later file: an overlay reusing a base id
            order = {f: i for i, f in enumerate(spec.files)}
            first, again = sorted((ids[r.id], r), key=lambda x: order.get(x.src.file, -1))
            raise again.src.error(f"duplicate rule id '{r.id}' (also {first.src.file}:"
                                  f"{first.src.line})", "id",
                                  "give each rule its own id, or 'replace' the other rule")
        ids[r.id] = r
        states = expand_states(spec, r.states, r.src)
        events = expand_events(spec, r.events, r.src)
        for k, _ in r.assign:
            if k not in spec.tcb:
                raise r.src.error(f"'set' assigns unknown TCB field '{k}'", f"set.{k}",
                                  did_you_mean(k, spec.tcb))
        if r.signal is not None and r.signal not in spec.signals:
            raise r.src.error(f"unknown signal '{r.signal}'", "signal",
                              did_you_mean(r.signal, spec.signals))
        rules.append(dc_replace(r, states=states, events=events))
    spec.rules = rules
    check_complete(spec)


def check_complete(spec: EndpointSpec) -> None:
    """Every (state, event) pair must end in an unconditional rule: nothing is implicit."""
    missing = []
    for s in spec.states:
        for e in spec.all_events:
            rs = spec.rules_for(s, e)
            if not rs or rs[-1].when is not None:
                missing.append((s, e, rs[-1].id if rs else None))
    if missing:
        s, e, last = missing[0]
        more = f" (and {len(missing) - 1} more pairs)" if len(missing) > 1 else ""
        why = (f"its last rule '{last}' has a 'when', so some cases match nothing" if last
               else "no rule names it")
        raise InputError(f"incomplete rules: state {s} x event {e}: {why}{more}",
                         file=spec.files[-1], where="completeness check",
                         fix=f"add a rule with state = \"{s}\", event = \"{e}\" and no 'when' "
                             "(a rule with no effect drops the event explicitly)")


def rule_summary(spec: EndpointSpec, rule: Rule) -> str:
    """``states x events [if when] [-> next]`` of a loaded rule, with group names (``*`` for
    all) where they cover the rule's states or events: a line for listings and coverage."""
    def names(items, everything, groups):
        if set(items) == set(everything):
            return "*"
        rest = list(items)
        out = []
        for g, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            if len(members) > 1 and set(members) <= set(rest):
                out.append(g)
                rest = [x for x in rest if x not in members]
        return ",".join(rest + out)

    text = (f"{names(rule.states, spec.states, spec.groups)} x "
            f"{names(rule.events, spec.all_events, spec.events)}")
    if rule.when is not None:
        text += " if " + " ".join(rule.when.text.split())
    if rule.next is not None:
        text += " -> " + " ".join(rule.next.text.split()).replace("'", "")
    return text
