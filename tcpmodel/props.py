"""Properties: temporal formulas over the composed system, compiled from the expression language.

A formula is one of::

    always P              P holds in every reachable state (and on every step, if P reads step.*)
    sometimes P           some reachable state (or step) satisfies P: a witness against vacuity
    eventually P          on every fair run P eventually holds            (liveness engine)
    P leads_to Q          always (P implies eventually Q)                 (liveness engine)
    always eventually P   P holds infinitely often on every fair run      (liveness engine)

P reads ``a.*``/``b.*`` (state, TCB fields, ``inc``, ``pc``, ``done``), ``ab.size``,
``ba.size``, ``terminal`` (no action is enabled) and, on steps, ``prev.a.*``,
``actor.*``, ``prev.actor.*``, ``peer.*``, ``step.event``, ``step.actor``,
``step.signal``, ``step.rule``, ``step.stale``, ``step.kind``, the segment an arrival
received (``step.seg.seq``, ``step.seg.RST``, ...), whether the step sent one
(``step.sends``) and which (``step.sent.*``); and the channels through
``all(ab, P)``, ``any(ab, P)``, ``count(ab, P)`` (likewise ``ba``) where P reads the segment's
``seg.*`` (see ``SEG_ELEMENT``), e.g. ``all(ab, seg.SYN implies seg.seq == a.iss)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter

from . import expr as E
from . import ltl
from .errors import InputError
from .spec import Src, Text, parse_text
from .system import INCA, PCA, SIDES, System

STEP_ROOTS = ("step", "prev", "actor", "peer")
# what a quantifier's body reads of one segment in flight (the ghost tag included)
SEG_ELEMENT = (("seq", E.SEQ), ("ack", E.SEQ), ("SYN", E.BOOL), ("ACK", E.BOOL), ("FIN", E.BOOL),
               ("RST", E.BOOL), ("data", E.INT), ("len", E.INT), ("sender_inc", E.INT),
               ("receiver_inc", E.INT))
# step.seg.* (the segment an arrival received) and step.sent.* (the segment a step sent)
STEP_SEGMENT = SEG_ELEMENT[:8]
TEMPORAL = ("always", "sometimes", "eventually")
SAFETY_KINDS = ("always", "sometimes")


@dataclass
class PropertyDef:
    """A named formula as written in a property library or check file."""
    name: str
    formula: str
    doc: str
    src: Src
    fairness: dict = None   # overrides of the check's fairness table for this property
    strengthen: str | None = None      # an inductive strengthening (a state formula)
    strengthen_src: Src | None = None  # where it was written, if not on the property itself


@dataclass
class Formula:
    kind: str              # always, sometimes, eventually, leads_to, always_eventually, ltl
    body: Text | None      # P (None for ltl)
    goal: Text | None = None  # Q of leads_to
    ltl: tuple | None = None  # ltl: the formula (tcpmodel.ltl), its atoms numbered...
    atoms: list | None = None  # ... as Texts


def _is_classic(toks) -> bool:
    """The formula is one of the forms before full LTL: ``always P``, ``sometimes P``,
    ``eventually P``, ``always eventually P`` or ``P leads_to Q`` with temporal-free P, Q."""
    words = [t for i, t in enumerate(toks) if t.kind == "name" and t.text in ltl.TEMPORAL_WORDS
             and not (i and toks[i - 1].text == ".")
             and not (i + 1 < len(toks) and toks[i + 1].text == ".")]
    first = toks[0]
    if (first.kind == "name" and first.text == "sometimes") or not words:
        return True   # (no temporal operator at all: the classic parse explains the forms)
    lead = 0
    if words and words[0] is first and first.text in ("always", "eventually"):
        lead = 1
        if first.text == "always" and len(words) > 1 and words[1] is toks[1] \
                and words[1].text == "eventually":
            lead = 2
    rest = words[lead:]
    if lead:
        return not rest
    if len(rest) != 1 or rest[0].text != "leads_to":
        return False
    depth = 0
    for t in toks:   # the classic parse splits at leads_to: it must not be inside parentheses
        if t is rest[0]:
            return depth == 0
        depth += {"(": 1, ")": -1}.get(t.text, 0) if t.kind == "op" else 0
    return False


def _parse_ltl(p: PropertyDef, text: str) -> Formula:
    try:
        f, atoms = ltl.parse(text)
    except E.ExprError as err:
        raise E.located(err, text, file=p.src.file, where=p.src.where("formula")) from None
    texts = [Text(text, node, p.src, "formula") for node in atoms]
    return Formula("ltl", None, ltl=f, atoms=texts)


def parse_formula(p: PropertyDef) -> Formula:
    """Split the temporal operator from its state/step expression(s)."""
    text = p.formula
    if not isinstance(text, str) or not text.strip():
        raise p.src.error("formula must be a non-empty string", "formula",
                          'formula = "always (terminal implies end)"')
    try:
        toks = E.tokenize(text)
    except E.ExprError as err:
        raise E.located(err, text, file=p.src.file, where=p.src.where("formula")) from None
    first = toks[0]
    second = toks[1] if len(toks) > 1 else None
    if first.kind != "end" and not _is_classic(toks):
        return _parse_ltl(p, text)

    def sub(start: int, stop: int | None = None) -> Text:
        body = text[start:stop] if stop is not None else text[start:]
        pad = " " * start + body  # keep column numbers in errors
        try:
            node = E.Parser(pad, stop=frozenset({"leads_to"})).parse_all()
        except E.ExprError as err:
            raise E.located(err, text, file=p.src.file, where=p.src.where("formula")) from None
        return Text(pad, node, p.src, "formula")

    if first.kind == "name" and first.text == "always" and second is not None \
            and second.kind == "name" and second.text == "eventually":
        return Formula("always_eventually", sub(second.pos + len("eventually")))
    if first.kind == "name" and first.text in TEMPORAL:
        return Formula(first.text, sub(first.pos + len(first.text)))
    lt = [t for t in toks if t.kind == "name" and t.text == "leads_to"]
    if len(lt) == 1:
        return Formula("leads_to", sub(0, lt[0].pos), sub(lt[0].pos + len("leads_to")))
    if len(lt) > 1:
        raise E.located(E.ExprError("only one 'leads_to' per formula", lt[1].pos), text,
                        file=p.src.file, where=p.src.where("formula"))
    raise E.located(E.ExprError("a formula starts with always, sometimes or eventually, or is "
                                "'P leads_to Q'", first.pos, 'e.g. "always (terminal implies end)"'),
                    text, file=p.src.file, where=p.src.where("formula"))


@dataclass
class Property:
    """A compiled property: ``test(env)`` on env = (state, terminal, prev_state, action)."""
    name: str
    kind: str
    formula: str
    doc: str
    test: object
    goal: object = None
    on_steps: bool = False     # reads step names: evaluated on transitions
    uses_terminal: bool = False
    fairness: dict = None      # resolved fairness assumptions (liveness properties)
    src: Src | None = None
    reads: frozenset = frozenset()   # names the formula reads, definitions expanded
    parsed: Formula | None = None    # the formula's syntax (for exporters)
    atoms: list | None = None          # ltl: the compiled atoms (state tests), by number
    strengthen: Text | None = None     # the strengthening, parsed and type-checked
    strengthen_test: object = None     # ... and compiled: the explicit engine can check it
    premise: "Property | None" = None  # always (P implies Q): "sometimes P", against vacuity


def system_scope(system: System, macros: dict, params: dict) -> E.Scope:
    """Names a property may read over the env tuple (state, terminal, prev, action)."""
    ma = system.machines[0]
    sc = E.Scope(params["seq_space"], what="property")
    state_enum = ma.state_enum
    decs = tuple(m.decode for m in system.machines)
    scripts = system.scripts

    def endpoint_names(prefix: str, pick):
        """pick(env) -> (state tuple, side) for this prefix."""
        def field_getter(k):
            def get(e):
                st, side = pick(e)
                return decs[side](st[side])[k]
            return get
        sc.slot(f"{prefix}.state", state_enum, field_getter(0))
        for i, f in enumerate(ma.fields):
            t = E.SEQ if f.kind == "seq" else E.BOOL if f.kind == "bool" else E.INT
            sc.slot(f"{prefix}.{f.name}", t, field_getter(i + 1))
        sc.slot(f"{prefix}.inc", E.INT, lambda e: pick(e)[0][INCA + pick(e)[1]])
        sc.slot(f"{prefix}.pc", E.INT, lambda e: pick(e)[0][PCA + pick(e)[1]])

        def done(e):
            st, side = pick(e)
            sc_ = scripts[side]
            return sc_ is not None and st[PCA + side] >= len(sc_)
        sc.slot(f"{prefix}.done", E.BOOL, done)

    endpoint_names("a", lambda e: (e[0], 0))
    endpoint_names("b", lambda e: (e[0], 1))
    endpoint_names("prev.a", lambda e: (e[2], 0))
    endpoint_names("prev.b", lambda e: (e[2], 1))
    endpoint_names("actor", lambda e: (e[0], e[3].side))
    endpoint_names("prev.actor", lambda e: (e[2], e[3].side))
    endpoint_names("peer", lambda e: (e[0], 1 - e[3].side))
    endpoint_names("prev.peer", lambda e: (e[2], 1 - e[3].side))
    sc.slot("ab.size", E.INT, lambda e: len(e[0][9]))
    sc.slot("ba.size", E.INT, lambda e: len(e[0][10]))
    elements: dict = {}

    def element(full):
        x = elements.get(full)
        if x is None:
            segr, sinc, rinc = system.split(full)
            x = elements[full] = ma.seg.fields(segr) + (sinc, rinc)
        return x
    sc.slot("ab", E.CHAN, lambda e: [element(f) for f in e[0][9]])
    sc.slot("ba", E.CHAN, lambda e: [element(f) for f in e[0][10]])
    sc.slot("terminal", E.BOOL, itemgetter(1))
    sc.slot("losses", E.INT, lambda e: e[0][6])
    sc.slot("dups", E.INT, lambda e: e[0][7])
    sc.slot("crashes", E.INT, lambda e: e[0][8])
    actor_enum = E.Enum("actor", SIDES + ("network", "attacker"))
    event_enum = E.Enum("event", system.events)
    signal_enum = E.Enum("signal", tuple(ma.signals) + ("none",))
    rule_enum = E.Enum("rule", tuple(r.id for r in ma.rules) + ("none",))
    kind_enum = E.Enum("step kind", ("call", "rcv", "timer", "loss", "dup", "crash", "drop",
                                      "inject", "replay"))
    who = {"loss": 2, "dup": 2, "drop": 3, "inject": 3, "replay": 3}
    sc.slot("step.actor", actor_enum, lambda e: who.get(e[3].kind, e[3].side))
    sc.slot("step.event", event_enum,
            lambda e: system.events.index(e[3].kind) if e[3].event < 0 else e[3].event)
    sigs = {s: i for i, s in enumerate(ma.signals)}
    none_sig = len(ma.signals)
    sc.slot("step.signal", signal_enum,
            lambda e: sigs[e[3].out.signal] if e[3].out and e[3].out.signal else none_sig)
    none_rule = len(ma.rules)
    sc.slot("step.rule", rule_enum, lambda e: e[3].out.rule if e[3].out else none_rule)
    kinds = {k: i for i, k in enumerate(kind_enum.values)}
    sc.slot("step.kind", kind_enum, lambda e: kinds[e[3].kind])
    sc.slot("step.stale", E.BOOL, lambda e: e[3].stale)
    # the segment an arrival received, and the segment an endpoint step sent (zeros if none)
    none_seg = (0, 0, False, False, False, False, 0, 0)

    def received(e):
        # a forged segment arrives in the inject step itself
        return element(e[3].seg)[:8] if e[3].kind in ("rcv", "inject") else none_seg

    def sent(e):
        return element(e[3].sent)[:8] if e[3].out is not None and e[3].sent >= 0 else none_seg
    sc.slot("step.sends", E.BOOL, lambda e: e[3].out is not None and e[3].sent >= 0)
    for j, (name, t) in enumerate(STEP_SEGMENT):
        sc.slot(f"step.seg.{name}", t, lambda e, j=j: received(e)[j])
        sc.slot(f"step.sent.{name}", t, lambda e, j=j: sent(e)[j])
    for g, members in ma.spec.groups.items():
        sc.names[g] = E.Binding(("list", state_enum), const=tuple(members), is_const=True)
    for k, v in params.items():
        if isinstance(v, bool):
            sc.const(f"param.{k}", E.BOOL, v)
        elif isinstance(v, int):
            sc.const(f"param.{k}", E.INT, v)
    sc.macros = dict(macros)
    sc.element = lambda key: element_scope(sc)
    return sc


def element_scope(sc: E.Scope) -> E.Scope:
    """The scope of a quantifier body: env is (outer env, segment tuple in SEG_ELEMENT order)."""
    inner = E.Scope(sc.seq_space, what="channel condition")
    for name, b in sc.names.items():
        inner.names[name] = b if b.is_const else E.Binding(b.type, getter=_outer(b.getter))
    for j, (name, t) in enumerate(SEG_ELEMENT):
        inner.slot(f"seg.{name}", t, _element_field(j))
    inner.macros = sc.macros
    return inner


def _outer(getter):
    return lambda e: getter(e[0])


def _element_field(j: int):
    return lambda e: e[1][j]


def compile_property(p: PropertyDef, scope: E.Scope) -> Property:
    f = parse_formula(p)
    macros = scope.macros

    def comp(t: Text):
        try:
            return E.Compiler(scope).compile(t.node, E.BOOL)
        except E.ExprError as err:
            raise t.fail(err) from None

    if f.kind == "ltl":
        return _compile_ltl(p, f, comp, macros)

    body = comp(f.body)
    goal = comp(f.goal) if f.goal else None
    used = E.names_used(f.body.node, macros) | (E.names_used(f.goal.node, macros) if f.goal else set())
    on_steps = any(n.split(".")[0] in STEP_ROOTS for n in used)
    if on_steps and f.kind not in SAFETY_KINDS:
        raise p.src.error(f"a {f.kind} property cannot read step names ({', '.join(sorted(used))})",
                          "formula", "use state names only, or an always/sometimes property")
    if on_steps and "terminal" in used:
        raise p.src.error("a step property cannot read 'terminal' (it describes states)", "formula",
                          "split it into a state property and a step property")
    prop = Property(p.name, f.kind, p.formula, p.doc, body.fn, goal.fn if goal else None,
                    on_steps, "terminal" in used, None, p.src, frozenset(used), f)
    if f.kind == "always":
        prop.premise = _premise(prop, f.body.node, scope)
    if p.strengthen is not None:
        src = p.strengthen_src or p.src
        key = "strengthen" if p.strengthen_src is None else p.name
        if f.kind not in SAFETY_KINDS:
            raise src.error(f"only always/sometimes properties take a strengthening, not {f.kind}",
                            key)
        t = parse_text(p.strengthen, src, key)
        if any(n.split(".")[0] in STEP_ROOTS for n in E.names_used(t.node, macros)):
            raise src.error("a strengthening is a state formula: it cannot read step names", key,
                            "use a.*, b.*, ab, ba and the other state names")
        prop.strengthen = t
        prop.strengthen_test = comp(t).fn
    return prop


def _compile_ltl(p: PropertyDef, f: Formula, comp, macros) -> Property:
    """A full-LTL property: atoms are state formulas, checked on the liveness engine."""
    if p.strengthen is not None:
        src = p.strengthen_src or p.src
        raise src.error("only always/sometimes properties take a strengthening, not ltl",
                        "strengthen" if p.strengthen_src is None else p.name)
    fns = [comp(t).fn for t in f.atoms]
    used: set = set()
    for t in f.atoms:
        used |= E.names_used(t.node, macros)
    if any(n.split(".")[0] in STEP_ROOTS for n in used):
        raise p.src.error(f"an LTL property cannot read step names ({', '.join(sorted(used))})",
                          "formula", "use state names only, or an always/sometimes property")
    return Property(p.name, "ltl", p.formula, p.doc, None, None, False, "terminal" in used,
                    None, p.src, frozenset(used), f, atoms=fns)


def premise_of(node: E.Node, macros: dict) -> E.Node | None:
    """P of a formula body ``P implies Q`` (looking through [define] names), else None."""
    seen = set()
    while isinstance(node, E.Name) and node.dotted in macros and node.dotted not in seen:
        seen.add(node.dotted)
        node = macros[node.dotted]
    if isinstance(node, E.Binary) and node.op == "implies":
        return node.left
    return None


def _premise(prop: Property, body: E.Node, scope: E.Scope) -> Property | None:
    """The companion witness ``sometimes P`` of ``always (P implies Q)``: an always property
    whose premise is never true holds vacuously, and the engines say so."""
    node = premise_of(body, scope.macros)
    if node is None:
        return None
    used = E.names_used(node, scope.macros)
    text = E.to_text(node)
    return Property(f"{prop.name} (premise)", "sometimes", f"sometimes {text}",
                    f"the premise of {prop.name}", E.Compiler(scope).compile(node, E.BOOL).fn,
                    on_steps=any(n.split(".")[0] in STEP_ROOTS for n in used),
                    uses_terminal="terminal" in used, src=prop.src, reads=frozenset(used))


def macro_nodes(defines: dict) -> dict:
    return {k: t.node for k, t in defines.items()}


def require_known(names, known: dict, src: Src) -> None:
    for n in names:
        if n not in known:
            from .errors import did_you_mean
            raise InputError(f"unknown property '{n}'", file=src.file, where=src.where("properties"),
                             fix=did_you_mean(n, known))
