"""One endpoint's rules compiled for a parameter set: a memoised reaction table.

An endpoint's local state (TCP state + TCB fields) is packed into one integer
(mixed radix).  ``react(code, event, segment)`` returns the possible outcomes
of the first matching rule; results are cached, so after warm-up a successor
costs dictionary lookups rather than expression interpretation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter

from . import expr as E
from .errors import InputError
from .spec import FLAGS, EndpointSpec, Rule

FLAG_BIT = {f: 1 << i for i, f in enumerate(FLAGS)}  # SYN=1 ACK=2 FIN=4 RST=8
CTL_ORDER = ("SYN", "FIN", "RST", "ACK")  # as RFC 9293 writes them: <CTL=SYN,ACK>, <CTL=RST,ACK>
SEG_FIELDS = ("seq", "ack", "SYN", "ACK", "FIN", "RST", "data", "len")
NO_SEG = -1


class SegmentCodec:
    """Packs the rule-visible part of a segment (seq, ack, flags, data) into an int."""

    def __init__(self, n: int):
        self.n = n
        self.count = n * n * 16 * 2

    def pack(self, seq: int, ack: int, flags: int, data: int) -> int:
        return ((seq * self.n + ack) * 16 + flags) * 2 + data

    def unpack(self, code: int) -> tuple:
        data = code & 1
        code >>= 1
        flags = code & 15
        code >>= 4
        seq, ack = divmod(code, self.n)
        return seq, ack, flags, data

    def fields(self, code: int) -> tuple:
        """Values in SEG_FIELDS order."""
        seq, ack, flags, data = self.unpack(code)
        syn, fin = bool(flags & 1), bool(flags & 4)
        return (seq, ack, syn, bool(flags & 2), fin, bool(flags & 8), data, data + syn + fin)

    def text(self, code: int) -> str:
        """RFC notation: <SEQ=100><ACK=301><CTL=SYN,ACK> (plus <DATA=1> for an octet)."""
        seq, ack, flags, data = self.unpack(code)
        ctl = ",".join(f for f in CTL_ORDER if flags & FLAG_BIT[f])
        out = f"<SEQ={seq}>"
        if flags & FLAG_BIT["ACK"]:
            out += f"<ACK={ack}>"
        if ctl:
            out += f"<CTL={ctl}>"
        if data:
            out += f"<DATA={data}>"
        return out


@dataclass(frozen=True)
class Field:
    name: str
    kind: str       # seq, bool, range
    lo: int
    size: int       # number of values

    def default(self):
        return False if self.kind == "bool" else self.lo


@dataclass(frozen=True)
class Outcome:
    code: int        # new local state
    send: int        # segment code or NO_SEG
    rule: int        # index into machine.rules
    signal: str | None


class CompiledRule:
    __slots__ = ("rule", "when", "choose", "assign", "next", "send_seq", "send_ack", "flags",
                 "data")


class EndpointMachine:
    """The reaction table of one endpoint role ('A' or 'B') under given parameters."""

    def __init__(self, spec: EndpointSpec, params: dict, role: str,
                 reuse: "EndpointMachine | None" = None):
        """``reuse``: a machine of the same variant and parameters whose compiled rules are
        taken over wherever it has the very same Rule object (the other role of a system, or
        the unmutated variant of a mutant): compiling rules is most of a build."""
        self.spec = spec
        self.params = params
        self.role = role
        self.n = params["seq_space"]
        self.seg = SegmentCodec(self.n)
        self.states = spec.states
        self.state_enum = E.Enum("state", spec.states)
        self.events = spec.all_events
        self.event_index = {e: i for i, e in enumerate(self.events)}
        self.event_kind = [spec.event_kind(e) for e in self.events]
        self.user_events = [self.event_index[e] for e in spec.events.get("user", ())]
        self.timer_events = [self.event_index[e] for e in spec.events.get("timer", ())]
        # timers that outlast a round trip even when their firing changes the TCB (a counted
        # retransmission); any timer whose firing changes nothing but a resend does too
        self.round_trip = frozenset(self.event_index[e] for e in spec.round_trip)
        self.signals = spec.signals
        self.initial = self.states.index(spec.initial)
        self.clear = {self.states.index(s) for s in spec.clear_on_entry}
        self.fields = [self._field(name) for name in spec.tcb]
        self.field_index = {f.name: i for i, f in enumerate(self.fields)}
        self._radix = [len(self.states)] + [f.size for f in self.fields]
        self.iss_choices = self._iss_choices()
        self.rules = spec.rules
        self._rule_names: list[set] = []
        self._scopes: dict = {}
        prior = {}
        if reuse is not None and reuse.params == params and reuse.spec.defines == spec.defines \
                and reuse.spec.constants == spec.constants and reuse.spec.tcb == spec.tcb \
                and reuse.spec.states == spec.states:
            prior = {id(r): (r, c, n) for r, c, n in
                     zip(reuse.rules, reuse._compiled, reuse._rule_names)}
        else:
            self._check_redefinitions()
        self._compiled = []
        for r in spec.rules:
            old = prior.get(id(r))
            if old is not None and old[0] is r:
                self._compiled.append(old[1])
                self._rule_names.append(old[2])
            else:
                self._compiled.append(self._compile_rule(r))
        self._classify = self._compile_classify()
        # candidate rules per (state, event), in file order
        self._cands = {}
        self.uses_msl = set()
        for si, s in enumerate(self.states):
            for ei, e in enumerate(self.events):
                idx = [k for k, r in enumerate(self.rules) if s in r.states and e in r.events]
                self._cands[si, ei] = idx
                if any("msl_expired" in self._rule_names[k] for k in idx):
                    self.uses_msl.add((si, ei))
        self._memo: dict = {}
        self._decoded: dict = {}
        self._class_memo: dict = {}
        self.initial_code = self.encode((self.initial,) + tuple(f.default() for f in self.fields))

    # ------------------------------------------------------------ layout

    def _field(self, name: str) -> Field:
        t = self.spec.tcb[name]
        src = self.spec.tcb_src[name]
        if t == "seq":
            return Field(name, "seq", 0, self.n)
        if t == "bool":
            return Field(name, "bool", 0, 2)
        if ".." in t:
            lo, hi = (self._bound(x.strip(), name, src) for x in t.split("..", 1))
            if hi < lo:
                raise src.error(f"empty range {t} for TCB field '{name}'", name)
            return Field(name, "range", lo, hi - lo + 1)
        raise src.error(f"unknown type '{t}' for TCB field '{name}'", name,
                        '"seq", "bool" or a range such as "0..param.data"')

    def _bound(self, text: str, name: str, src) -> int:
        """A range bound: an integer expression over parameters and constants, such as
        ``param.data`` or ``max(param.retries, param.syn_retries)``."""
        sc = E.Scope(self.n, what=f"range bound of TCB field '{name}'")
        for k, v in self.params.items():
            if isinstance(v, int) and not isinstance(v, bool):
                sc.const(f"param.{k}", E.INT, v)
        for k, v in self.spec.constants.items():
            sc.const(k, E.INT, v)
        try:
            c = E.Compiler(sc).compile(E.parse(text), E.INT)
        except E.ExprError:
            c = None
        if c is None or not c.is_const:
            raise src.error(f"range bound '{text}' of TCB field '{name}' is not an integer "
                            "expression over parameters", name,
                            "use a number, param.<integer parameter> or max(param.x, param.y)")
        return c.value

    def encode(self, values: tuple) -> int:
        code = 0
        for v, r, f in zip(reversed(values), reversed(self._radix), reversed([None] + self.fields)):
            if f is not None and f.kind == "range":
                v -= f.lo
            code = code * r + int(v)
        return code

    def decode(self, code: int) -> tuple:
        """(state index, field values...) of a packed local state."""
        d = self._decoded.get(code)
        if d is None:
            out = []
            c = code
            for r, f in zip(self._radix, [None] + self.fields):
                c, v = divmod(c, r)
                if f is not None:
                    v = bool(v) if f.kind == "bool" else v + f.lo
                out.append(v)
            d = self._decoded[code] = tuple(out)
        return d

    def waits_round_trip(self, code: int, event: int, o: Outcome) -> bool:
        """A timer outcome that (with ``spurious_rto = false``) waits while its resend, or a
        segment that would change this endpoint, is in flight."""
        return o.code == code or event in self.round_trip

    def state_of(self, code: int) -> int:
        return code % self._radix[0]

    def state_name(self, code: int) -> str:
        return self.states[code % self._radix[0]]

    def _iss_choices(self) -> tuple:
        """ISS values per incarnation (index 0 = first incarnation)."""
        if self.params["iss"] == "any":
            return (range(self.n),)  # a range, not a tuple: the z3 engine allows n = 2^32
        v = self.params["iss_a" if self.role == "A" else "iss_b"]
        return tuple((x,) for x in v) if isinstance(v, list) else ((v,),)

    # ------------------------------------------------------------ compiling rules

    def scope(self, *, choose: tuple = (), what: str = "rule") -> E.Scope:
        """Names a rule expression may read, mapped onto the environment tuple."""
        sc = E.Scope(self.n, what=what)
        sc.slot("state", self.state_enum, itemgetter(0))
        for i, f in enumerate(self.fields):
            t = E.SEQ if f.kind == "seq" else E.BOOL if f.kind == "bool" else E.INT
            sc.slot(f.name, t, itemgetter(i + 1))
        base = 1 + len(self.fields)
        types = (E.SEQ, E.SEQ, E.BOOL, E.BOOL, E.BOOL, E.BOOL, E.INT, E.INT)
        for j, (name, t) in enumerate(zip(SEG_FIELDS, types)):
            sc.slot(f"seg.{name}", t, itemgetter(base + j))
        sc.slot("msl_expired", E.BOOL, itemgetter(base + len(SEG_FIELDS)))
        for j, (var, _) in enumerate(choose):
            sc.slot(var, E.SEQ, itemgetter(base + len(SEG_FIELDS) + 1 + j))
        for k, v in self.params.items():
            if isinstance(v, bool):
                sc.const(f"param.{k}", E.BOOL, v)
            elif isinstance(v, int):
                sc.const(f"param.{k}", E.INT, v)
        for k, v in self.spec.constants.items():
            sc.const(k, E.INT, v)
        for g, members in self.spec.groups.items():
            sc.names[g] = E.Binding(("list", self.state_enum), const=tuple(members), is_const=True)
        sc.macros = {k: t.node for k, t in self.spec.defines.items()}
        return sc

    def _rule_scope(self, choose: tuple) -> E.Scope:
        """``scope(choose=...)``, built once per choice list (compiling only reads a scope)."""
        sc = self._scopes.get(choose)
        if sc is None:
            sc = self._scopes[choose] = self.scope(choose=choose)
        return sc

    def _check_redefinitions(self) -> None:
        """An overlay's [define] must keep the type the base's rules were written against;
        otherwise the error would surface at some base rule, far from its cause."""
        scope = self.scope()
        for name, old in self.spec.redefined.items():
            new = self.spec.defines[name]
            try:
                was = E.Compiler(scope).compile(old.node).type
                now = E.Compiler(scope).compile(new.node).type
            except E.ExprError:
                continue  # reported where it is used, with its own location
            if was != now:
                raise new.src.error(f"'{name}' is {E.type_name(now)} here but {E.type_name(was)} "
                                    f"in {old.src.file}:{old.src.line}, where rules use it", name,
                                    f"keep '{name}' a {E.type_name(was)} expression")

    def _expr(self, text, scope: E.Scope, want):
        try:
            c = E.Compiler(scope).compile(text.node, want)
        except E.ExprError as err:
            raise text.fail(err) from None
        return c

    def _compile_rule(self, r: Rule) -> CompiledRule:
        texts = [t for t in (r.when, r.next) if t] + [t for _, t in r.assign]
        if r.send:
            texts += [t for t in (r.send.seq, r.send.ack) if t]
        macros = {k: t.node for k, t in self.spec.defines.items()}
        used = set()
        for t in texts:
            used |= E.names_used(t.node, macros)
        self._rule_names.append(used)
        kinds = {self.spec.event_kind(e) for e in r.events}
        if kinds != {"segment"}:
            for t in texts:
                if any(n.startswith("seg.") for n in E.names_used(t.node, macros)):
                    raise r.src.error("reads seg.* but the rule also handles events without a "
                                      "segment", t.key, "split the rule by event kind")
        for var, pname in r.choose:
            if pname != "param.iss_choices":
                raise r.src.error(f"cannot choose over '{pname}'", "choose",
                                  'only "param.iss_choices" is a choice list')
        cr = CompiledRule()
        cr.rule = r
        pre = self._rule_scope(())
        post = self._rule_scope(r.choose)
        # guards see no chosen values: the choice is made after the rule is selected
        cr.when = self._expr(r.when, pre, E.BOOL).fn if r.when else None
        cr.choose = bool(r.choose)
        assign = []
        pre_c = post
        for name, t in r.assign:
            f = self.fields[self.field_index[name]]
            want = E.SEQ if f.kind == "seq" else E.BOOL if f.kind == "bool" else E.INT
            assign.append((self.field_index[name] + 1, self._expr(t, pre_c, want).fn, f))
        cr.assign = assign
        cr.next = self._expr(r.next, post, self.state_enum).fn if r.next else None
        if r.send:
            cr.send_seq = self._expr(r.send.seq, post, E.SEQ).fn
            cr.send_ack = self._expr(r.send.ack, post, E.SEQ).fn if r.send.ack else None
            cr.flags = sum(FLAG_BIT[f] for f in r.send.flags)
            cr.data = r.send.data
        else:
            cr.send_seq = None
        return cr

    def _compile_classify(self):
        sc = self.scope(what="[classify]")
        out = []
        for ev, t in self.spec.classify:
            out.append((self.event_index[ev], self._expr(t, sc, E.BOOL).fn, t))
        return out

    # ------------------------------------------------------------ reacting

    def classify(self, segr: int) -> int:
        """The segment event an arriving segment triggers."""
        ev = self._class_memo.get(segr)
        if ev is None:
            env = (0,) * (1 + len(self.fields)) + self.seg.fields(segr) + (False,)
            for ei, fn, _ in self._classify:
                if fn(env):
                    ev = ei
                    break
            else:
                raise InputError(f"segment {self.seg.text(segr)} matches no [classify] entry",
                                 file=self.spec.files[0], where="[classify]",
                                 fix="add a catch-all classification")
            self._class_memo[segr] = ev
        return ev

    def react(self, code: int, event: int, segr: int = NO_SEG, msl: bool = False,
              inc: int = 1) -> tuple:
        """Outcomes of ``event`` (with segment ``segr`` for arrivals) in local state ``code``.

        ``inc`` is the incarnation the endpoint is in after the event; it only selects the
        ISS list entry when ISS values are given per incarnation.
        """
        issx = min(inc, len(self.iss_choices)) - 1 if len(self.iss_choices) > 1 else 0
        key = (code, event, segr, msl, issx)
        out = self._memo.get(key)
        if out is None:
            out = self._memo[key] = self._react(code, event, segr, msl, issx)
        return out

    @contextmanager
    def choices_only(self, values) -> Iterator[None]:
        """React as if each ISS list held only those of ``values`` it holds (a subset, so
        every outcome is one of the full machine's).  For replaying a known run when the
        lists are too long to enumerate (2^32 values in the z3 engine)."""
        keep = frozenset(values)
        saved = self.iss_choices, self._memo
        self.iss_choices = tuple(tuple(v for v in sorted(keep) if v in c) for c in saved[0])
        self._memo = {}
        try:
            yield
        finally:
            self.iss_choices, self._memo = saved

    def _react(self, code: int, event: int, segr: int, msl: bool, issx: int) -> tuple:
        local = self.decode(code)
        segf = self.seg.fields(segr) if segr != NO_SEG else (0, 0, False, False, False, False, 0, 0)
        env = local + segf + (msl,)
        for k in self._cands[local[0], event]:
            cr = self._compiled[k]
            if cr.when is not None and not cr.when(env):
                continue
            choices = self.iss_choices[issx] if cr.choose else (None,)
            outs = []
            for ch in choices:
                outs.append(self._fire(k, cr, env, local, ch))
            return tuple(dict.fromkeys(outs))
        raise AssertionError("completeness check let an event through")  # pragma: no cover

    def _fire(self, k: int, cr: CompiledRule, env: tuple, local: tuple, choice) -> Outcome:
        r = cr.rule
        cenv = env + (choice,) if choice is not None else env
        new = list(local)
        for pos, fn, f in cr.assign:
            v = fn(cenv)
            if f.kind == "range" and not f.lo <= v < f.lo + f.size:
                raise InputError(f"sets {f.name} = {v}, outside {f.lo}..{f.lo + f.size - 1}",
                                 file=r.src.file, where=r.src.where(f"set.{f.name}"),
                                 fix=f"guard the rule with 'when' so {f.name} stays in range")
            new[pos] = v
        post = tuple(new) + cenv[len(local):]
        if cr.next is not None:
            new[0] = cr.next(post)
            post = tuple(new) + cenv[len(local):]
        send = NO_SEG
        if cr.send_seq is not None:
            ack = cr.send_ack(post) if cr.send_ack else 0
            send = self.seg.pack(cr.send_seq(post), ack, cr.flags, cr.data)
        if new[0] in self.clear:
            new[1:] = [f.default() for f in self.fields]
        return Outcome(self.encode(tuple(new)), send, k, r.signal)

    def evaluated(self):
        """Every reaction computed so far, as (key, outcomes): key = (code, event, segment,
        msl, ISS index), the arguments ``react`` memoises on."""
        return self._memo.items()

    def react_key(self, key: tuple) -> tuple:
        """The outcomes for a key of another machine's ``evaluated`` (same layout)."""
        out = self._memo.get(key)
        if out is None:
            out = self._memo[key] = self._react(*key)
        return out

    def candidates(self, state: int, event: int) -> list:
        """Indices of the rules naming (state, event), in the order they are tried."""
        return self._cands[state, event]

    # ------------------------------------------------------------ views

    def view(self, code: int) -> dict:
        """Field name -> value, with the state name; for traces and JSON."""
        d = self.decode(code)
        out = {"state": self.states[d[0]]}
        for f, v in zip(self.fields, d[1:]):
            out[f.name] = v
        return out
