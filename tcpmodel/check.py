"""Check files: a variant, model parameters, application scripts and properties, built into a model."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from operator import itemgetter
from pathlib import Path

from . import expr as E
from . import params as P
from .attacker import resolve as resolve_attacker
from .engines.explicit.liveness import resolve_fairness
from .errors import InputError, did_you_mean
from .props import Property, PropertyDef, compile_property, system_scope
from .spec import EndpointSpec, Src, load_variant, parse_text, resolve_named, specs_dir
from .system import ScriptStep, System
from .tomlfile import TomlFile, check_keys, load_toml, names, table, table_array

CHECK_KEYS = {"description", "variant", "params", "scripts", "define", "properties", "property",
              "fairness", "strengthen", "attacker"}
PROPERTY_KEYS = {"name", "formula", "doc", "fairness", "strengthen"}


def checks_dir() -> Path:
    return specs_dir() / "checks"


def list_checks() -> list[str]:
    return sorted(p.stem for p in checks_dir().glob("*.toml"))


def resolve_check(name_or_path: str) -> Path:
    return resolve_named(name_or_path, checks_dir(), "check", list_checks)


@dataclass
class Check:
    """A loaded check: everything needed to build the model, plus where it came from."""
    name: str
    path: str
    description: str
    spec: EndpointSpec
    params: dict
    scripts_raw: dict
    defines: dict
    property_defs: list
    fairness: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)
    attacker: object = None      # attacker.Attacker, or None
    attacker_table: dict | None = None   # the [attacker] table as written (scenario files)

    @property
    def variant(self) -> str:
        return self.spec.name


@dataclass
class Model:
    """A check built for the engines: the transition system and its compiled properties."""
    check: Check
    system: System
    properties: list   # list[Property]


_library: dict = {}   # (path, mtime, size) -> load_library's result: read once per change


def load_library() -> tuple[dict, dict, TomlFile]:
    """The shared property library: (defines, property defs by name, file), as fresh dicts
    (loading and building a check asks three times; the file is parsed once per change)."""
    path = specs_dir() / "properties.toml"
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    if key not in _library:
        _library.clear()
        _library[key] = _read_library(path)
    defines, props, tf = _library[key]
    return dict(defines), dict(props), tf


def _read_library(path) -> tuple[dict, dict, TomlFile]:
    tf = load_toml(path)
    check_keys(tf.data, {"define", "property"}, file=tf.path, where="top level")
    defines = {k: parse_text(v, Src(tf.path, tf.key_line(k), "[define]"), k)
               for k, v in tf.data.get("define", {}).items()}
    props = {}
    for i, raw in enumerate(tf.data.get("property", [])):
        pd = _property_def(raw, tf, i)
        props[pd.name] = pd
    return defines, props, tf


def _property_def(raw: dict, tf: TomlFile, i: int) -> PropertyDef:
    line = tf.table_line("property", i)
    name = raw.get("name")
    src = Src(tf.path, line, f"property '{name}'" if isinstance(name, str) else f"property #{i + 1}")
    check_keys(raw, PROPERTY_KEYS, file=tf.path, where=src.where())
    if not isinstance(name, str) or not name:
        raise src.error("a property needs a name", "name", 'name = "my_invariant"')
    if "formula" not in raw:
        raise src.error("a property needs a formula", "formula",
                        'formula = "always (a.state != \'CLOSING\')"')
    fair = raw.get("fairness", {})
    if not isinstance(fair, dict):
        raise src.error("'fairness' must be a table", "fairness", 'fairness = { deliver_ab = "none" }')
    strengthen = raw.get("strengthen")
    if strengthen is not None and not isinstance(strengthen, str):
        raise src.error("'strengthen' must be a formula string", "strengthen",
                        'strengthen = "a.state == \'ESTABLISHED\' implies ..."')
    return PropertyDef(name, raw["formula"], str(raw.get("doc", "")), src, fair, strengthen)


def load_check(name_or_path: str, *, overrides: dict | None = None,
               variant: str | None = None) -> Check:
    """Read a check file; ``overrides`` are ``--set`` values, ``variant`` replaces the file's."""
    path = resolve_check(name_or_path)
    return check_from_toml(load_toml(path), overrides=overrides, variant=variant)


def named_variant(name, tf: TomlFile | None, key: str = "variant") -> EndpointSpec:
    """The variant ``name`` as written at ``key`` in ``tf`` (None: on the command line): a path is
    relative to the file that names it, and errors name that file and line."""
    where = f"--{key}" if tf is None else f"{tf.key_line(key) or 1}: {key}"
    if not isinstance(name, str) or not name:
        raise InputError(f"'{key}' must name a variant, not {name!r}", file=tf and tf.path,
                         where=where, fix='e.g. variant = "rfc1337" or a path to a rule file')
    ref = name
    if tf is not None and ("/" in name or name.endswith(".toml")) and not Path(name).is_absolute():
        ref = os.path.normpath(Path(tf.path).parent / name)
    if ("/" in ref or ref.endswith(".toml")) and not Path(ref).exists():
        raise InputError(f"variant file '{name}' not found" + (f" (looked for {ref})" if ref != name
                                                                else ""),
                         file=tf and tf.path, where=where,
                         fix="give a shipped variant's name (tcpmodel list variants) or a path"
                             + (" relative to this file" if tf is not None else ""))
    try:
        return load_variant(ref)
    except InputError as e:
        if e.file is None:
            raise e.located(file=tf and tf.path, where=where) from None
        raise


def check_from_toml(tf: TomlFile, *, overrides: dict | None = None, variant=None,
                    keys=CHECK_KEYS) -> Check:
    """A check from a parsed file (or the model part of a scenario file): ``variant`` (a name
    given on the command line, or a loaded spec) replaces the file's."""
    d = tf.data
    check_keys(d, keys, file=tf.path, where="top level")
    if isinstance(variant, EndpointSpec):
        spec = variant
    elif variant is not None:
        spec = named_variant(variant, None)
    else:
        spec = named_variant(d.get("variant", "rfc9293"), tf)
    raw_params = table(d, "params", tf, "[params] then key = value")

    def where_of(k):
        if overrides and k in overrides:
            return "--set"
        line = tf.key_line(k)
        return f"{line}: [params] {k}" if line else "[params]"

    overrides = dict(overrides or {})
    # --set attacker.KEY=VALUE edits the [attacker] table
    table_sets = {k.split(".", 1)[1]: overrides.pop(k) for k in list(overrides)
                  if k.startswith("attacker.")}
    for k, v in overrides.items():
        P.coerce(k, v, where=f"--set {k}")  # reported against the command line, not the file
    merged = dict(raw_params)
    merged.update(overrides)
    try:
        params = P.resolve(merged, file=tf.path, where_of=where_of)
    except InputError as e:
        if e.where == "--set":   # a value from the command line, not from this file
            raise InputError(e.what, where="--set", fix=e.fix) from None
        raise
    scripts = table(d, "scripts", tf, '[scripts] a = ["open_active"]')
    check_keys(scripts, {"a", "b"}, file=tf.path, where="[scripts]")
    lib_defines, lib_props, _ = load_library()
    defines = dict(lib_defines)
    for k, v in table(d, "define", tf, "[define] name = \"expression\"").items():
        defines[k] = parse_text(v, Src(tf.path, tf.key_line(k), "[define]"), k)
    wanted = names(d, "properties", tf, 'properties = ["no_deadlock"]')
    local = [_property_def(raw, tf, i)
             for i, raw in enumerate(table_array(d, "property", tf,
                                                 '[[property]] name = "x" formula = "..."'))]
    local_names = {p.name for p in local}
    defs = []
    for n in wanted:
        if n in local_names:
            continue  # a [[property]] of this file, listed too: checked once, where it is defined
        if n not in lib_props:
            raise InputError(f"unknown property '{n}'", file=tf.path,
                             where=f"{tf.key_line('properties')}: properties",
                             fix=did_you_mean(n, lib_props) + " (or define it in [[property]])")
        defs.append(lib_props[n])
    defs += local
    names_ = [p.name for p in defs]
    dup = {n for n in names_ if names_.count(n) > 1}
    if dup:
        raise InputError(f"property '{sorted(dup)[0]}' is defined twice", file=tf.path,
                         fix="give check-local properties their own names")
    fairness = resolve_fairness(d.get("fairness", {}), file=tf.path,
                                where=f"{tf.key_line('[fairness]') or ''}: [fairness]".lstrip(": "))
    for pd in defs:
        resolve_fairness(pd.fairness, file=pd.src.file, where=pd.src.where("fairness"))
    defs = _strengthenings(d.get("strengthen", {}), defs, tf)
    att_table = d.get("attacker")
    where = (f"{tf.key_line('[attacker]') or ''}: [attacker]".lstrip(": ")
             if att_table is not None else where_of("attacker"))
    if table_sets:
        if att_table is not None and not isinstance(att_table, dict):
            raise InputError("[attacker] must be a table", file=tf.path, where=where)
        att_table = dict(att_table or {}, **table_sets)
        where = "--set attacker." + ", attacker.".join(table_sets)
    flags_given = "attacker_flags" in raw_params or "attacker_flags" in overrides
    attacker = resolve_attacker(att_table, params, file=tf.path, flags_given=flags_given,
                                where=where)
    overrides.update({"attacker." + k: v for k, v in table_sets.items()})
    return Check(Path(tf.path).stem, tf.path, str(d.get("description", "")), spec, params,
                 scripts, defines, defs, fairness, overrides, attacker, att_table)


def script_scope(m) -> E.Scope:
    """Names a script condition reads: the endpoint's own state and TCB, and ``peer.state``."""
    scope = m.scope(what="script condition")
    # the peer's state lets a script order setup steps (connect once the server listens)
    scope.slot("peer.state", m.state_enum, itemgetter(1 + len(m.fields)))
    return scope


def _strengthenings(table, defs: list, tf: TomlFile) -> list:
    """``[strengthen]``: name = formula, an inductive strengthening for a listed property (used
    by the z3 engine's k-induction; it must itself hold on every reachable state)."""
    if not isinstance(table, dict):
        raise InputError("[strengthen] must be a table of property = formula", file=tf.path)
    by_name = {p.name: p for p in defs}
    for name, text in table.items():
        where = f"{tf.key_line(name) or ''}: [strengthen] {name}"
        if name not in by_name:
            raise InputError(f"[strengthen] names '{name}', which this check does not list",
                             file=tf.path, where=where, fix=did_you_mean(name, by_name))
        if not isinstance(text, str):
            raise InputError("a strengthening must be a formula string", file=tf.path, where=where)
        by_name[name] = dc_replace(by_name[name], strengthen=text,
                                   strengthen_src=Src(tf.path, tf.key_line(name), "[strengthen]"))
    return [by_name[p.name] for p in defs]


def compile_scripts(check: Check, machines) -> tuple:
    out = []
    for side, key in ((0, "a"), (1, "b")):
        raw = check.scripts_raw.get(key, "any")
        m = machines[side]
        src = Src(check.path, None, f"[scripts] {key}")
        if raw == "any":
            out.append(None)
            continue
        if not isinstance(raw, list):
            raise src.error("a script is \"any\" or a list of steps", None,
                            'a = ["open_active", { call = "close", when = "state == \'ESTABLISHED\'" }]')
        steps = []
        for i, st in enumerate(raw):
            ssrc = Src(check.path, None, f"[scripts] {key} step {i + 1}")
            if isinstance(st, str):
                st = {"call": st}
            if not isinstance(st, dict):
                raise ssrc.error("a step is a call name or { call = ..., when = ... }")
            for k in st:
                if k not in ("call", "when"):
                    raise ssrc.error(f"unknown key '{k}'", None, did_you_mean(k, ["call", "when"]))
            call = st.get("call")
            if call not in m.spec.events.get("user", ()):
                raise ssrc.error(f"unknown user call '{call}'", "call",
                                 did_you_mean(str(call), m.spec.events.get("user", ())))
            when = node = None
            if "when" in st:
                t = parse_text(st["when"], ssrc, "when")
                node = t.node
                if any(n.startswith("seg.") or n == "msl_expired" for n in E.names_used(t.node)):
                    raise ssrc.error("a script condition reads the endpoint's own state, TCB "
                                     "fields and peer.state only", "when")
                try:
                    when = E.Compiler(script_scope(m)).compile(t.node, E.BOOL).fn
                except E.ExprError as err:
                    raise t.fail(err) from None
            steps.append(ScriptStep(m.event_index[call], call, when, st.get("when"), node))
        out.append(steps)
    return tuple(out)


def _redefined(p: PropertyDef, defines: dict, lib: dict) -> list[str]:
    """The library definitions a property's formula reads (through other definitions too)
    that the check defines anew."""
    try:
        seen = E.definitions_used(E.parse(p.formula), {k: t.node for k, t in defines.items()})
    except E.ExprError:
        return []  # compile_property reports it
    return [k for k in seen if k in lib and defines[k].src.file != lib[k].src.file]


def _with_local_definitions(p: PropertyDef, defines: dict, lib: dict) -> PropertyDef:
    """A library property's doc describes the library's definitions (``lib``); where the
    check redefines one the formula reads (``end`` in close), the doc says so."""
    own = _redefined(p, defines, lib)
    if not own or not p.doc:
        return p
    local = "; ".join(f"{k} = {' '.join(defines[k].text.split())}" for k in own)
    return dc_replace(p, doc=f"{p.doc}; in this check {local}")


def build(check: Check, only: list[str] | None = None, reuse: System | None = None) -> Model:
    """Compose the system and compile the (selected) properties; ``reuse``: a system of the
    same check whose compiled rules may be taken over (a mutant of its variant)."""
    system = System(check.spec, check.params, (), check.attacker, reuse=reuse)
    system.scripts = compile_scripts(check, system.machines)
    defs = check.property_defs
    if only:
        # the check's own properties first, then anything from the shared library
        known = dict(load_library()[1])
        known.update({p.name: p for p in defs})
        for n in only:
            if n not in known:
                raise InputError(f"check '{check.name}' has no property '{n}' and the library "
                                 "has none either", where="--property", fix=did_you_mean(n, known))
        defs = [known[n] for n in only]
    scope = system_scope(system, {k: t.node for k, t in check.defines.items()}, check.params)
    lib_defines = load_library()[0]
    defs = [_with_local_definitions(p, check.defines, lib_defines) for p in defs]
    props: list[Property] = []
    for p in defs:
        try:
            prop = compile_property(p, scope)
        except InputError as e:
            own = _redefined(p, check.defines, lib_defines)
            if not own or e.file == check.path:
                raise
            src = check.defines[own[0]].src   # the check's definition broke a library formula
            raise InputError(f"this definition of '{own[0]}' does not fit library property "
                             f"'{p.name}' ({e.file}:{e.where}: {e.what})", file=src.file,
                             where=src.where(own[0]), fix=e.fix) from None
        prop.fairness = resolve_fairness(p.fairness, file=p.src.file, where=p.src.where("fairness"),
                                         base=check.fairness)
        props.append(prop)
    return Model(check, system, props)
