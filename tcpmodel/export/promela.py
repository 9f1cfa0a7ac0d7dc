"""``tcpmodel export promela``: a check's composed system as a Promela model for SPIN.

Generated from the same data as the engines (the compiled rule files, scripts, parameters
and properties; expressions are translated by ``pml_expr.py``), so that SPIN's ``pan``
(``-DSAFETY -DNOREDUCE -DNOCLAIM``, depth-first) stores exactly as many states as tcpmodel finds and
decides the same safety properties.  What makes the counts equal:

- one process, global variables only; every stored state is the loop head of
  ``do :: atomic { d_step {enabled}; if :: pick :: ... fi; d_step {step} } od``, and pan
  stores no state inside an atomic sequence (depth-first mode);
- the step-selection variables (``en``, ``sel``) are zero in every stored state, the
  temporaries are ``hidden`` (not in the state vector);
- channels are arrays with a length: a bag is kept sorted (equal multisets are equal
  vectors), a FIFO in sending order, unused slots zero;
- enabledness is exact (a step is offered only when ``System.successors`` offers it), so a
  state with no step is terminal in both tools; pan then takes a ``skip`` back to the state.

Safety properties become assertions: a state property is checked after the enabled steps
are known (so ``terminal`` is exact), a step property after each step.  Each property is
reported once (a hidden flag, not part of the state, remembers it): run pan with ``-c0``
and read ``assertion violated violated_NAME`` (an ``always`` property fails) or
``assertion violated witness_NAME`` (a ``sometimes`` property has a witness).
Liveness properties become ``ltl`` blocks (``_ltl``): SPIN decides them without fairness,
the same question as tcpmodel's only for properties whose fairness is all "none".
"""

from __future__ import annotations

from .. import expr as E
from ..endpoint import FLAG_BIT, SEG_FIELDS
from ..errors import InputError
from ..params import require_enumerable
from ..props import system_scope
from ..system import NET_EVENTS
from .pml_expr import PromelaCompiler

LTL = ("eventually", "leads_to", "always_eventually")
CALL, RCV, TIMER, LOSS, DUP, CRASH = range(6)   # step.kind order of props.system_scope
SEG_NAMES = {"seq": "sg_seq", "ack": "sg_ack", "SYN": "sg_syn", "ACK": "sg_ackf",
             "FIN": "sg_fin", "RST": "sg_rst", "data": "sg_data", "len": "sg_len"}
BITS = 30   # enabled-step bits per int (stays clear of the sign bit)


def _ctype(lo: int, hi: int) -> str:
    if 0 <= lo and hi <= 255:
        return "byte"
    if -32768 <= lo and hi <= 32767:
        return "short"
    return "int"


class Writer:
    def __init__(self):
        self.lines: list = []
        self.ind = 0

    def __call__(self, *lines):
        for ln in lines:
            self.lines.append("  " * self.ind + ln if ln else "")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class PromelaExport:
    def __init__(self, model, hidden: bool = True):
        self.model = model
        # pan refuses hidden variables with -DBFS and -DNCORE: then the temporaries are
        # plain globals, zeroed at the end of every step (same states, a longer vector)
        self.hidden = hidden
        self.temps: list = []
        sysm = self.sys = model.system
        self.m = sysm.machines
        self.spec = sysm.spec
        self.n = sysm.params["seq_space"]
        self.cap = sysm.cap
        self.g1 = sysm.g1
        self.K = max(len(c) for m in self.m for c in m.iss_choices)
        self.fields = self.m[0].fields
        self.items = self._items()
        self.nw = (len(self.items) + BITS - 1) // BITS
        seg_max = self.m[0].seg.count * self.g1 * self.g1
        self.chtype = _ctype(0, seg_max)
        self.props = [p for p in model.properties if p.kind in ("always", "sometimes")]
        self.live = [p for p in model.properties if p.kind in LTL]
        self.skipped = [p.name for p in model.properties
                        if p not in self.props and p not in self.live]

    # ------------------------------------------------------------ steps

    def _items(self) -> list:
        """Every step the system may offer, as (kind, side, event, slot, choice), in blocks
        that ``item()`` decodes arithmetically (an if-chain would overflow SPIN's d_step)."""
        sysm = self.sys
        m = self.m[0]
        for evs in (m.user_events, m.timer_events):
            if evs != list(range(evs[0], evs[0] + len(evs))):
                raise InputError("the Promela export needs the user and timer events listed "
                                 "together in [events]", where="export")
        self.ec = max(len(m.user_events) if sysm.scripts[x] is None else 1 for x in (0, 1))
        self.et = len(m.timer_events)
        self.slots = 1 if sysm.fifo else self.cap
        self.block = (self.ec + self.et + self.slots) * self.K + 1
        out = []
        for x in (0, 1):
            for q in range(self.ec + self.et + self.slots):
                for k in range(self.K):
                    if q < self.ec:
                        ev = -1 if sysm.scripts[x] is not None else m.user_events[q]
                        out.append((CALL, x, ev, 0, k))
                    elif q < self.ec + self.et:
                        out.append((TIMER, x, m.timer_events[q - self.ec], 0, k))
                    else:
                        out.append((RCV, x, -1, q - self.ec - self.et, k))
            out.append((CRASH, x, -1, 0, 0))
        out += [(LOSS, x, -1, j, 0) for x in (0, 1) for j in range(self.cap)]
        out += [(DUP, x, -1, j, 0) for x in (0, 1) for j in range(self.cap)]
        return out

    # ------------------------------------------------------------ expressions

    def _pc(self, scope, names):
        return PromelaCompiler(scope, names)

    def _tr(self, compiler, text, want):
        try:
            return compiler.compile(text.node, want).text
        except E.ExprError as err:
            raise text.fail(err) from None

    def rule_names(self, stage: str) -> dict:
        """Promela names of a rule's environment: ``pre`` (guards and set), ``post`` (next:
        fields after set, state before), ``send`` (fields and state after)."""
        names = {"state": "rst" if stage == "send" else "st[rx]"}
        for f in self.fields:
            names[f.name] = f"f_{f.name}[rx]" if stage == "pre" else f"r_{f.name}"
        for k in SEG_FIELDS:
            names[f"seg.{k}"] = SEG_NAMES[k]
        names["msl_expired"] = "rmsl"
        return names

    # ------------------------------------------------------------ output

    def text(self) -> str:
        w = Writer()
        self._header(w)
        self._globals(w)
        self._macros(w)
        self._defines(w)
        self._react(w)
        self._inlines(w)
        self._enabled(w)
        self._step(w)
        self._process(w)
        self._ltl(w)
        return w.text()

    def _ltl(self, w):
        """Liveness properties as LTL formulas over the stored states (pan builds the never
        claims).  SPIN's only fairness is weak fairness among processes (pan -f); with one
        process it assumes nothing, so SPIN decides these properties *without fairness*:
        the same question as tcpmodel only where the property's fairness is all "none"."""
        if not self.live:
            return
        check = self.model.check
        scope = system_scope(self.sys, {k: t.node for k, t in check.defines.items()},
                             check.params)
        comp = PromelaCompiler(scope, self._prop_names("x"))
        w("", "/* liveness: verify one with gcc -DNOREDUCE (no -DSAFETY) and ./pan -a -N NAME.",
          "   SPIN assumes no fairness here (pan -f is weak fairness among processes, and this",
          "   model is one process); tcpmodel's per-segment strong fairness has no SPIN",
          "   equivalent, so the verdicts are comparable where a property assumes none. */")
        for p in self.live:
            def tr(t):
                try:
                    return comp.compile(t.node, E.BOOL).text
                except E.ExprError as err:
                    raise t.fail(err) from None
            body = tr(p.parsed.body)
            if p.kind == "eventually":
                f = f"<> ({body})"
            elif p.kind == "always_eventually":
                f = f"[] <> ({body})"
            else:
                f = f"[] (({body}) -> <> ({tr(p.parsed.goal)}))"
            fair = ", ".join(f"{k}={v}" for k, v in p.fairness.items() if v != "none")
            w(f"ltl {_ident(p.name)} {{ {f} }}   /* tcpmodel assumes: {fair or 'no fairness'} */")

    def _header(self, w):
        mc = self.model.check
        params = " ".join(f"{k}={v}" for k, v in mc.params.items())
        w(f"/* tcpmodel export promela: check '{mc.name}' ({mc.variant})",
          f"   parameters: {params}",
          "   Generated from the rule file, scripts and properties; see tcpmodel/export/promela.py.",
          "   Verify: spin -a THIS.pml && gcc -O2 -DSAFETY -DNOREDUCE -DNOCLAIM -o pan pan.c && ./pan -c0 -m20000000",
          "   (-DNOCLAIM: without it pan searches the product with the first ltl block's claim).",
          "   'states, stored' equals tcpmodel's state count (depth-first mode; with -DBFS read",
          "   'nominal states').",
          "   Properties: 'assertion violated violated_NAME': the always property NAME fails;",
          "   'assertion violated witness_NAME': the sometimes property NAME holds."
          + (f"\n   Liveness, as ltl blocks at the end (SPIN assumes no fairness there): "
             f"{', '.join(p.name for p in self.live)}." if self.live else "")
          + (f"\n   Not exported: {', '.join(self.skipped)}." if self.skipped else "")
          + " */", "")

    def _globals(self, w):
        m = self.m[0]
        init = m.decode(m.initial_code)
        w(f"#define N {self.n}", f"#define CAP {self.cap}", f"#define G1 {self.g1}",
          f"#define NONE_STEP {len(self.items)}", "")
        w("/* TCP states */")
        for i, s in enumerate(m.states):
            w(f"#define {_ident('S_' + s)} {i}")
        w("", "/* endpoints A (index 0) and B (index 1): state and TCB */")
        w(f"byte st[2] = {init[0]};")
        for f, v in zip(self.fields, init[1:]):
            t = "bool" if f.kind == "bool" else _ctype(f.lo, f.lo + f.size - 1)
            w(f"{t} f_{f.name}[2] = {int(v)};")
        w("byte pc[2];        /* script position */",
          "byte inc[2];       /* incarnation */",
          "byte losses; byte dups; byte crashes;",
          "/* channel A->B is ch[0..CAP-1], B->A is ch[CAP..2*CAP-1]: segment codes */",
          f"{self.chtype} ch[2 * CAP];", "byte clen[2];",
          "/* step selection: zero in every stored state */",
          f"int en[{self.nw}];", f"{_ctype(0, len(self.items))} sel;", "")
        h = "hidden " if self.hidden else ""
        # sized by range: a byte step offset or sequence number wraps silently in pan and
        # loses steps (seen as missing states with 32 ISS choices, 9 blocks: offsets to 288)
        step = _ctype(0, max(255, len(self.items)))
        seq = _ctype(0, max(255, self.n, self.K))
        decl = [("byte", "rx, ix, ik, ij, tw"), (step, "uw, it"), (seq, "ikk, rk, rissx, rnout"),
                ("short", "rev, iev, rrule, rsig"), ("byte", "rmsl, ok, changed, leaving, term"),
                ("int", "rseg, rfull, rsent"), ("byte", "msl[2]"), ("byte", "news[2]"),
                ("byte", "sg_data, sg_len, sg_syn, sg_ackf, sg_fin, sg_rst"), (seq, "sg_seq, sg_ack"),
                ("byte", "rst, rsfl, rsdata, rsnd"), (seq, "risn, rsseq, rsack"),
                ("byte", "sactor, sx, skind, sstale"), ("short", "sevent, srule, ssig"),
                ("byte", "p_st[2], p_pc[2], p_inc[2]")]
        for f in self.fields:
            t = _ctype(min(0, f.lo), max(255, f.lo + f.size))   # no hidden bools in Promela
            decl.append((t, f"r_{f.name}, p_{f.name}[2]"))
        w("/* temporaries: " + ("hidden, so not part of the state vector */" if self.hidden
                                else "zeroed at the end of every step (pan -DBFS/-DNCORE "
                                "refuse hidden variables) */"))
        for t, names in decl:
            w(f"{h}{t} {names};")
            self.temps += [x.strip() for x in names.split(",")]
        if self.hidden:
            for p in self.props:
                w(f"hidden byte seen_{_ident(p.name)};   /* reported once */")
        for p in self.props:
            w(f"{h}byte {self._tag(p)};")
        w("")

    def _tag(self, p) -> str:
        return ("violated_" if p.kind == "always" else "witness_") + _ident(p.name)

    def _macros(self, w):
        w("/* segment code = ((((seq*N + ack)*16 + flags)*2 + data)*G1 + sender inc)*G1 + "
          "receiver inc */",
          "#define SEGR(c) ((c) / (G1 * G1))", "#define SINC(c) (((c) / G1) % G1)",
          "#define RINC(c) ((c) % G1)",
          "#define OUTB(x) ((x) * CAP)         /* first slot of the channel x sends on */",
          "#define INB(x) ((1 - (x)) * CAP)    /* first slot of the channel x receives from */",
          "")

    # the rules of one endpoint: select the first matching rule, then fire it
    def _react(self, w):
        m = self.m[0]
        w("/* the fields of segment rseg (rule-visible code), for [classify] and the rules */",
          "inline seg_fields() {",
          "  if",
          "  :: rseg >= 0 ->",
          "     sg_data = rseg % 2; tw = (rseg / 2) % 16; sg_ack = (rseg / 32) % N; "
          "sg_seq = rseg / (32 * N);",
          "     sg_syn = tw & 1; sg_ackf = (tw / 2) & 1; sg_fin = (tw / 4) & 1; sg_rst = (tw / 8) & 1;",
          "     sg_len = sg_data + sg_syn + sg_fin",
          "  :: else -> sg_data = 0; sg_ack = 0; sg_seq = 0; sg_syn = 0; sg_ackf = 0; sg_fin = 0;",
          "     sg_rst = 0; sg_len = 0",
          "  fi", "}", "")
        w("/* in: rx (side), rev (event), rseg (rule-visible segment code or -1), rmsl, rissx",
          "   (ISS list), rk (which choice); out: rrule, rnout (choices), rst and r_<field> (the",
          "   endpoint after the rule), rsnd and rsseq/rsack/rsfl/rsdata (the segment sent) */",
          "inline react() {")
        w.ind += 1
        w("seg_fields();")
        # one conditional expression per event (over the states, then the rules' guards):
        # an if-branch per (state, event) pair would overflow SPIN's d_step (MAXDSTEP jumps)
        w("/* the first rule for (state, event) whose 'when' holds (file order) */", "if")
        pre = self._pc(m.scope(), self.rule_names("pre"))
        for ei in range(len(m.events)):
            by_state = None
            for si in reversed(range(len(m.states))):
                chain = None
                for k in reversed(m._cands[si, ei]):
                    r = m.rules[k]
                    if r.when is None:
                        chain = str(k)
                    else:
                        chain = f"({self._tr(pre, r.when, E.BOOL)} -> {k} : {chain})"
                by_state = chain if by_state is None else f"(st[rx] == {si} -> {chain} : {by_state})"
            w(f":: rev == {ei} ->  /* {m.events[ei]} */", f"   rrule = {by_state}")
        w("fi;")
        w("rst = st[rx];" + "".join(f" r_{f.name} = f_{f.name}[rx];" for f in self.fields))
        w("rsnd = 0; rnout = 1; rsig = " + str(len(m.signals)) + ";")
        w("if")
        for k, r in enumerate(m.rules):
            body = self._fire(k, r)
            if body:
                w(f":: rrule == {k} ->  /* {r.id} */")
                w.ind += 1
                w(*body)
                w.ind -= 1
        w(":: else", "fi;")
        clear = sorted(m.clear)
        if clear:
            cond = " || ".join(f"rst == {s}" for s in clear)
            w(f"if :: {cond} ->" + "".join(
                f" r_{f.name} = {int(f.default())};" for f in self.fields) + " :: else fi")
        w.ind -= 1
        w("}", "")

    def _fire(self, k: int, r) -> list:
        m = self.m[0]
        out = []
        if r.signal:
            out.append(f"rsig = {m.signals.index(r.signal)};")
        choose = {var: "risn" for var, _ in r.choose}
        if r.choose:
            out.append("rnout = NCHOICE(rx, rissx); risn = CHOICE(rx, rissx, rk);")
        pre = self._pc(m.scope(choose=r.choose), {**self.rule_names("pre"), **choose})
        for name, t in r.assign:
            f = self.fields[m.field_index[name]]
            want = E.SEQ if f.kind == "seq" else E.BOOL if f.kind == "bool" else E.INT
            out.append(f"r_{name} = {self._tr(pre, t, want)};")
            if f.kind == "range":
                out.append(f"assert(r_{name} >= {f.lo} && r_{name} <= {f.lo + f.size - 1});")
        if r.next is not None:
            post = self._pc(m.scope(choose=r.choose), {**self.rule_names("post"), **choose})
            out.append(f"rst = {self._tr(post, r.next, m.state_enum)};")
        if r.send:
            snd = self._pc(m.scope(choose=r.choose), {**self.rule_names("send"), **choose})
            ack = self._tr(snd, r.send.ack, E.SEQ) if r.send.ack else "0"
            flags = sum(FLAG_BIT[f] for f in r.send.flags)
            out.append(f"rsnd = 1; rsseq = {self._tr(snd, r.send.seq, E.SEQ)}; rsack = {ack}; "
                       f"rsfl = {flags}; rsdata = {r.send.data};")
        return out

    def _defines(self, w):
        sysm = self.sys
        w("#define CLASSIFY(s) " + self._classify_expr())
        # ISS choices: per side, per ISS list (incarnation), per choice index
        for x in (0, 1):
            ch = self.m[x].iss_choices
            w(f"#define ISSX{x}(i) " + (f"((i) < {len(ch)} -> (i) - 1 : {len(ch) - 1})"
                                        if len(ch) > 1 else "0"))
        w("#define ISSX(x, i) ((x) == 0 -> ISSX0(i) : ISSX1(i))")

        def table(x, what):
            ch = self.m[x].iss_choices
            expr = None
            for i in reversed(range(len(ch))):
                vals = ch[i]
                if what == "n":
                    v = str(len(vals))
                elif list(vals) == list(range(len(vals))):
                    v = "(k)"
                else:
                    v = None
                    for j in reversed(range(len(vals))):
                        v = str(vals[j]) if v is None else f"((k) == {j} -> {vals[j]} : {v})"
                expr = v if expr is None else f"((s) == {i} -> {v} : {expr})"
            return expr

        w("#define NCHOICE(x, s) ((x) == 0 -> " + table(0, "n") + " : " + table(1, "n") + ")",
          "#define CHOICE(x, s, k) ((x) == 0 -> " + table(0, "v") + " : " + table(1, "v") + ")",
          "")
        # scripts: next call and its condition
        for x in (0, 1):
            script = sysm.scripts[x]
            m = self.m[x]
            if script is None:
                continue
            w(f"#define LEN{x} {len(script)}")
            sc = m.scope(what="script condition")
            sc.slot("peer.state", m.state_enum, None)
            names = {"state": f"st[{x}]", "peer.state": f"st[{1 - x}]"}
            names.update({f.name: f"f_{f.name}[{x}]" for f in self.fields})
            ev = when = "0"
            for i in reversed(range(len(script))):
                stp = script[i]
                cond = "1"
                if stp.when_text is not None:
                    cond = self._tr(self._pc(sc, names), _script_text(self.model.check, x, i),
                                    E.BOOL)
                ev = f"(pc[{x}] == {i} -> {stp.event} : {ev})"
                when = f"(pc[{x}] == {i} -> {cond} : {when})"
            w(f"#define SCRIPT_EV{x} {ev}", f"#define SCRIPT_OK{x} {when}")
        w("")

    def _inlines(self, w):
        sysm = self.sys
        # item table
        m = self.m[0]
        ec, et, K, B, cap = self.ec, self.et, self.K, self.block, self.cap
        w("/* step i: kind (0 call, 1 arrival, 2 timer, 3 loss, 4 dup, 5 crash), side (the",
          "   sender for loss/dup), event, slot, choice; see PromelaExport._items */",
          "inline item(i) {", "  if",
          f"  :: i < {2 * B} ->",
          f"     ix = i / {B}; uw = i % {B}; ikk = uw % {K}; uw = uw / {K}; ij = 0; iev = -1;",
          "     if",
          f"     :: uw >= {(ec + et + self.slots)} -> ik = {CRASH}",
          f"     :: uw < {ec} -> ik = {CALL}; ij = uw; iev = {m.user_events[0]} + uw",
          f"     :: uw >= {ec} && uw < {ec + et} -> ik = {TIMER}; iev = {m.timer_events[0]} + uw - {ec}",
          f"     :: uw >= {ec + et} && uw < {ec + et + self.slots} -> ik = {RCV}; "
          f"ij = uw - {ec + et}",
          "     fi",
          f"  :: i >= {2 * B} && i < {2 * B + 2 * cap} -> ik = {LOSS}; ix = (i - {2 * B}) / {cap}; "
          f"ij = (i - {2 * B}) % {cap}; ikk = 0",
          f"  :: i >= {2 * B + 2 * cap} && i < {2 * B + 4 * cap} -> ik = {DUP}; "
          f"ix = (i - {2 * B + 2 * cap}) / {cap}; ij = (i - {2 * B + 2 * cap}) % {cap}; ikk = 0",
          "  :: else -> ik = 255   /* NONE_STEP */", "  fi", "}", "")
        w("/* slot j of channel base b holds the first copy of its segment */",
          "inline first_copy(b, j) {", "  ok = (j < clen[b / CAP]); tw = 0;",
          "  do :: tw < j -> ok = ok && ch[b + tw] != ch[b + j]; tw++ :: else -> break od", "}", "")
        w("/* the inputs of react() for endpoint step i (item() first); ok: the step is there */",
          "inline inputs() {", "  rx = ix; rk = ikk; rseg = -1; rmsl = 0; ok = 1;", "  if")
        calls = []
        for x in (0, 1):
            if sysm.scripts[x] is None:
                calls.append(f"  :: ik == {CALL} && ix == {x} -> rev = iev; "
                             f"rissx = ISSX({x}, inc[{x}] + (st[{x}] == {self.m[x].initial}))")
            else:
                calls.append(f"  :: ik == {CALL} && ix == {x} -> ok = ij == 0 && pc[{x}] < LEN{x} && "
                             f"SCRIPT_OK{x}; rev = SCRIPT_EV{x}; "
                             f"rissx = ISSX({x}, inc[{x}] + (st[{x}] == {self.m[x].initial}))")
        w(*calls)
        w(f"  :: ik == {TIMER} -> rev = iev; rmsl = msl[ix]; rissx = ISSX(ix, 1)",
          f"  :: ik == {RCV} ->", "       first_copy(INB(ix), ij);",
          "       if :: ok -> rfull = ch[INB(ix) + ij]; rseg = SEGR(rfull); seg_fields();",
          "                   rev = CLASSIFY(rseg); rmsl = msl[ix]; rissx = ISSX(ix, inc[ix])",
          "       :: else fi", "  fi", "}", "")
        w("/* msl_expired of each side: no segment of its current incarnation in flight */",
          "inline msl_all() {", "  tw = 0; do :: tw < 2 ->",
          "    msl[tw] = 1; uw = 0;",
          "    do :: uw < clen[tw] -> msl[tw] = msl[tw] && SINC(ch[OUTB(tw) + uw]) != inc[tw]; uw++",
          "    :: else -> break od;",
          "    uw = 0;",
          "    do :: uw < clen[1 - tw] -> msl[tw] = msl[tw] && RINC(ch[INB(tw) + uw]) != inc[tw]; uw++",
          "    :: else -> break od;",
          "    tw++", "  :: else -> break od", "}", "")
        self._channel_inlines(w)

    def _classify_expr(self) -> str:
        m = self.m[0]
        sc = m.scope(what="[classify]")
        names = {"state": "0", "msl_expired": "0"}
        names.update({f.name: "0" for f in self.fields})
        names.update({f"seg.{k}": SEG_NAMES[k] for k in SEG_FIELDS})
        cl = "-1"
        for ei, _, t in reversed(m._classify):
            cl = f"({self._tr(self._pc(sc, names), t, E.BOOL)} -> {ei} : {cl})"
        return cl

    def _outcome_ok(self) -> list:
        """After react(): is the outcome a step (System._endpoint and _apply)?"""
        sysm = self.sys
        init = self.m[0].initial
        changed = " || ".join(["rst != st[ix]"] + [f"r_{f.name} != f_{f.name}[ix]"
                                                    for f in self.fields])
        out = [f"changed = {changed};",
               "ok = ok && rk < rnout;"]
        anyx = [x for x in (0, 1) if sysm.scripts[x] is None]
        if anyx:
            cond = " || ".join(f"ix == {x}" for x in anyx)
            out.append(f"if :: ik == {CALL} && ({cond}) -> ok = ok && (changed || rsnd) "
                       ":: else fi;")
        out.append(f"if :: ik == {TIMER} -> ok = ok && (changed || rsnd) :: else fi;")
        if not sysm.spurious_rto:
            rt = "".join(f" || rev == {e}" for e in sorted(self.m[0].round_trip))
            out += [f"if :: ok && ik == {TIMER} && (!changed{rt}) ->",
                    "     /* the timer outlasts a round trip: not while the resend or news for",
                    "        this endpoint is in flight */",
                    "     ok = !news[ix];",
                    "     if :: rsnd -> rsent = ((rsseq * N + rsack) * 16 + rsfl) * 2 + rsdata;",
                    "        tw = 0;",
                    "        do :: tw < clen[ix] -> ok = ok && SEGR(ch[OUTB(ix) + tw]) != rsent; tw++",
                    "        :: else -> break od",
                    "     :: else ->   /* sends nothing (gives up): waits for its SYN, FIN, data */",
                    "        tw = 0;",
                    "        do :: tw < clen[ix] -> rsent = SEGR(ch[OUTB(ix) + tw]);",
                    "              ok = ok && (SINC(ch[OUTB(ix) + tw]) != inc[ix] || (rsent % 2 == 0",
                    "                          && ((rsent / 2) % 16) % 2 == 0 && ((rsent / 8) % 16) % 2 == 0));",
                    "              tw++",
                    "        :: else -> break od",
                    "     fi",
                    ":: else fi;"]
        out.append(f"leaving = st[ix] == {init} && rst != {init};")
        out.append(f"if :: leaving && inc[ix] >= {sysm.max_inc} -> ok = 0 :: else fi;")
        if not sysm.overflow_drop:
            # block: the step waits while the channel is full (after purging, on reopening)
            if sysm.old_segments:
                out.append("if :: rsnd && clen[ix] >= CAP -> ok = 0 :: else fi;")
            else:
                out += ["if :: rsnd ->", "     uw = 0; tw = 0;",
                        "     do :: tw < clen[ix] -> uw = uw + (!leaving || SINC(ch[OUTB(ix) + tw]) "
                        ">= inc[ix] + 1); tw++ :: else -> break od;",
                        "     ok = ok && uw < CAP", ":: else fi;"]
        return out

    def _enabled(self, w):
        sysm = self.sys
        w("/* which steps the current state offers (bits of en), msl and news per side */",
          "inline offered() {")
        w.ind += 1
        w("msl_all();")
        if not sysm.spurious_rto:
            w("/* news: some segment on its way to x would change x (any choice) */",
              "ix = 0; do :: ix < 2 ->", "  news[ix] = 0; ij = 0;",
              "  do :: ij < clen[1 - ix] ->",
              "    rx = ix; rfull = ch[INB(ix) + ij]; rseg = SEGR(rfull); seg_fields();",
              "    rev = CLASSIFY(rseg);",
              "    rmsl = msl[ix]; rissx = ISSX(ix, inc[ix]); rk = 0;",
              "    do :: rk == 0 || rk < rnout -> react();",
              "          news[ix] = news[ix] || rst != st[ix]" + "".join(
                  f" || r_{f.name} != f_{f.name}[ix]" for f in self.fields) + "; rk++",
              "    :: else -> break od;", "    ij++", "  :: else -> break od;", "  ix++",
              ":: else -> break od;")
        w("it = 0; do :: it < NONE_STEP ->")
        w.ind += 1
        w("item(it);", "if")
        w(f":: ik <= {TIMER} ->   /* an endpoint step */", "   inputs();",
          "   if :: ok -> react() :: else fi;")
        w.ind += 2
        w(*self._outcome_ok())
        w.ind -= 2
        lb = sysm.loss_bound
        loss_ok = "1" if lb is None else f"losses < {lb}"
        w(f":: ik == {LOSS} -> first_copy(OUTB(ix), ij); ok = ok && {loss_ok}",
          f":: ik == {DUP} -> first_copy(OUTB(ix), ij); ok = ok && dups < {sysm.dup_bound} "
          "&& clen[ix] < CAP",
          f":: ik == {CRASH} -> ok = crashes < {sysm.crash_bound} && st[ix] != "
          f"{self.m[0].initial} && ("
          + (" || ".join(f"ix == {x}" for x in sysm.crash_sides) or "0") + ")", "fi;")
        w("if :: ok -> en[it / %d] = en[it / %d] | (1 << (it %% %d)) :: else fi;"
          % (BITS, BITS, BITS), "it++")
        w.ind -= 1
        w(":: else -> break od;")
        w("term = " + " && ".join(f"en[{i}] == 0" for i in range(self.nw)) + ";")
        w.ind -= 1
        w("}", "")

    def _step(self, w):
        sysm = self.sys
        m = self.m[0]
        init = m.initial
        w("/* take step sel (the pick in the process); NONE_STEP: the state is terminal */",
          "inline step() {")
        w.ind += 1
        w("tw = 0; do :: tw < 2 -> p_st[tw] = st[tw]; p_pc[tw] = pc[tw]; p_inc[tw] = inc[tw];" + "".join(
            f" p_{f.name}[tw] = f_{f.name}[tw];" for f in self.fields) + " tw++ :: else -> break od;")
        w("msl_all();   /* recomputed: hidden values do not survive backtracking */",
          "it = sel; item(it); sstale = 0; srule = %d; rsig = %d; sx = ix;"
          % (len(m.rules), len(m.signals)))
        w("if", f":: ik <= {TIMER} ->")
        w.ind += 1
        w("inputs(); react();", "leaving = st[ix] == %d && rst != %d;" % (init, init))
        w(f"if :: ik == {RCV} ->", "     sstale = 0 < RINC(rfull) && RINC(rfull) < inc[ix];",
          "     tw = INB(ix) + ij;   /* the segment leaves its channel */",
          "     do :: tw + 1 < INB(ix) + clen[1 - ix] -> ch[tw] = ch[tw + 1]; tw++ "
          ":: else -> break od;",
          "     ch[tw] = 0; clen[1 - ix]--", ":: else fi;")
        w("st[ix] = rst;" + "".join(f" f_{f.name}[ix] = r_{f.name};" for f in self.fields))
        for x in (0, 1):
            if sysm.scripts[x] is not None:
                w(f"if :: ik == {CALL} && ix == {x} -> pc[{x}]++ :: else fi;")
        w("if :: leaving ->", "     inc[ix]++;")
        if not sysm.old_segments:
            w("     /* old_segments = false: segments of earlier incarnations vanish */",
              "     purge(OUTB(ix), ix, 1); purge(INB(ix), 1 - ix, 0)")
        w(":: else fi;")
        w("if :: rsnd ->",
          "     rfull = ((((rsseq * N + rsack) * 16 + rsfl) * 2 + rsdata) * G1 + inc[ix]) * G1"
          f" + (st[1 - ix] == {init} -> 0 : inc[1 - ix]);",
          "     if :: clen[ix] < CAP -> add(OUTB(ix), ix, rfull)",
          "     :: else   /* tail drop at a full channel */", "     fi",
          ":: else fi;",
          "srule = rrule; sevent = rev; skind = ik; sactor = ix")
        w.ind -= 1
        w(f":: ik == {LOSS} ->", "   tw = OUTB(ix) + ij;",
          "   do :: tw + 1 < OUTB(ix) + clen[ix] -> ch[tw] = ch[tw + 1]; tw++ :: else -> break od;",
          "   ch[tw] = 0; clen[ix]--;"
          + (" losses++;" if sysm.loss_bound is not None else ""),
          f"   sevent = {len(m.events) + NET_EVENTS.index('loss')}; skind = {LOSS}; sactor = 2",
          f":: ik == {DUP} ->", "   rfull = ch[OUTB(ix) + ij];",
          "   tw = OUTB(ix) + clen[ix];   /* a copy right after the original */",
          "   do :: tw > OUTB(ix) + ij + 1 -> ch[tw] = ch[tw - 1]; tw-- :: else -> break od;",
          "   ch[tw] = rfull; clen[ix]++; dups++;",
          f"   sevent = {len(m.events) + NET_EVENTS.index('dup')}; skind = {DUP}; sactor = 2",
          f":: ik == {CRASH} ->",
          f"   st[ix] = {init};" + "".join(f" f_{f.name}[ix] = {int(f.default())};"
                                            for f in self.fields) + " crashes++;")
        for x in (0, 1):
            s = sysm.scripts[x]
            if s is not None:
                w(f"   if :: ix == {x} -> pc[{x}] = {0 if sysm.crash_restart else len(s)} "
                  ":: else fi;")
        w(f"   sevent = {len(m.events) + NET_EVENTS.index('crash')}; skind = {CRASH}; "
          "sactor = ix",
          ":: else   /* NONE_STEP */", "fi")
        w.ind -= 1
        w("}", "")
    def _channel_inlines(self, w):
        sysm = self.sys
        w("/* insert a segment into channel x (base b): sorted for a bag, at the end for FIFO */",
          "inline add(b, x, s) {")
        if sysm.fifo:
            w("  ch[b + clen[x]] = s; clen[x]++")
        else:
            w("  tw = b + clen[x];",
              "  do :: tw > b && ch[tw - 1] > s -> ch[tw] = ch[tw - 1]; tw-- :: else -> break od;",
              "  ch[tw] = s; clen[x]++")
        w("}", "")
        if not sysm.old_segments:
            w("/* keep the segments of channel x (base b) whose sender (s = 1) or receiver",
              "   (s = 0) incarnation is the current one of the endpoint that reopened */",
              "inline purge(b, x, s) {", "  tw = 0; uw = 0;",
              "  do :: tw < clen[x] ->",
              "       if :: (s == 1 && SINC(ch[b + tw]) >= inc[ix]) || (s == 0 && "
              "RINC(ch[b + tw]) >= inc[ix]) ->",
              "            ch[b + uw] = ch[b + tw]; uw++ :: else fi; tw++",
              "  :: else -> break od;",
              "  tw = uw; do :: tw < clen[x] -> ch[b + tw] = 0; tw++ :: else -> break od;",
              "  clen[x] = uw", "}", "")

    # ------------------------------------------------------------ properties

    def _prop_names(self, stage: str) -> dict:
        sysm = self.sys
        names = {}
        for prefix, idx, pre in (("a", "0", ""), ("b", "1", ""), ("prev.a", "0", "p_"),
                                 ("prev.b", "1", "p_"), ("actor", "sx", ""),
                                 ("prev.actor", "sx", "p_"), ("peer", "1 - sx", ""),
                                 ("prev.peer", "1 - sx", "p_")):
            names[f"{prefix}.state"] = f"{pre}st[{idx}]"
            for f in self.fields:
                names[f"{prefix}.{f.name}"] = f"{pre or 'f_'}{f.name}[{idx}]" if pre \
                    else f"f_{f.name}[{idx}]"
            names[f"{prefix}.inc"] = f"{pre}inc[{idx}]"
            names[f"{prefix}.pc"] = f"{pre}pc[{idx}]"
            done = []
            for x in (0, 1):
                s = sysm.scripts[x]
                if s is not None:
                    done.append(f"({idx} == {x} && {pre}pc[{x}] >= {len(s)})")
            names[f"{prefix}.done"] = "(" + (" || ".join(done) or "0") + ")"
        names.update({"ab.size": "clen[0]", "ba.size": "clen[1]", "terminal": "term",
                      "losses": "losses", "dups": "dups", "crashes": "crashes",
                      "step.actor": "sactor", "step.event": "sevent", "step.kind": "skind",
                      "step.signal": "rsig", "step.rule": "srule", "step.stale": "sstale"})
        return names

    def _asserts(self, on_steps: bool) -> list:
        check = self.model.check
        scope = system_scope(self.sys, {k: t.node for k, t in check.defines.items()},
                             check.params)
        comp = PromelaCompiler(scope, self._prop_names("x"))
        out = []
        for p in self.props:
            if p.on_steps != on_steps:
                continue
            try:
                body = comp.compile(p.parsed.body.node, E.BOOL).text
            except E.ExprError as err:
                raise p.parsed.body.fail(err) from None
            bad = f"!{body}" if p.kind == "always" else body
            if self.hidden:
                out.append(f"if :: !seen_{_ident(p.name)} && {bad} -> seen_{_ident(p.name)} = 1; "
                           f"assert({self._tag(p)}) :: else fi;   /* {p.name} */")
            else:   # no flag outside the state: reported at every state where it holds
                out.append(f"if :: {bad} -> assert({self._tag(p)}) :: else fi;   /* {p.name} */")
        return out

    def _process(self, w):
        w("active proctype tcp() {")
        w.ind += 1
        w("do", ":: atomic {")
        w.ind += 1
        w("d_step {", "  offered();")
        w.ind += 1
        w(*self._asserts(False))
        w.ind -= 1
        w("};", "if")
        for i in range(len(self.items)):
            w(f":: (en[{i // BITS}] & {1 << (i % BITS)}) != 0 -> sel = {i}")
        w(":: else -> sel = NONE_STEP", "fi;", "d_step {", "  step();")
        w.ind += 1
        steps = self._asserts(True)
        if steps:
            w("if :: sel != NONE_STEP ->")
            w(*["     " + s for s in steps])
            w(":: else fi;")
        if not self.hidden:
            zero = []
            for t in self.temps:
                zero += [f"{t[:-3]}[0] = 0; {t[:-3]}[1] = 0;"] if t.endswith("[2]") else [f"{t} = 0;"]
            for i in range(0, len(zero), 8):
                w(" ".join(zero[i:i + 8]))
        w(" ".join(f"en[{i}] = 0;" for i in range(self.nw)) + " sel = 0")
        w.ind -= 1
        w("}")
        w.ind -= 1
        w("}", "od")
        w.ind -= 1
        w("}")


def _ident(name: str) -> str:
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    return out if out[:1].isalpha() or out[:1] == "_" else "_" + out


def _script_text(check, side: int, i: int):
    """The parsed 'when' of script step i (the compiled script keeps only the closure)."""
    from ..spec import Src, parse_text
    raw = check.scripts_raw["ab"[side]][i]
    return parse_text(raw["when"], Src(check.path, None, f"[scripts] {'ab'[side]} step {i + 1}"),
                      "when")


def export_promela(model, hidden: bool = True) -> str:
    """The Promela text of a built model (see the module docstring)."""
    require_enumerable(model.system.params, "the Promela export")
    if model.system.cap > 250 or len(model.system.machines[0].states) > 250:
        raise InputError("the model is too large for the Promela export", where="export",
                         fix="use a capacity below 250")
    if model.system.attacker is not None:
        raise InputError("the Promela export does not model the attacker yet", where="export",
                         fix="export with attacker = 0 and no [attacker] table")
    seg_max = model.system.machines[0].seg.count * model.system.g1 ** 2
    if seg_max > 2 ** 31 - 1:
        raise InputError(f"seq_space = {model.system.params['seq_space']} makes segment codes "
                         "too large for a Promela int", where="export",
                         fix="export with a smaller seq_space (the codes grow as seq_space^2)")
    if not model.system.old_segments:
        # the purge on reopening does not yet match tcpmodel's state count: refuse rather
        # than export a different system
        raise InputError("the Promela export does not support old_segments = false yet",
                         where="export", fix="export with old_segments = true")
    return PromelaExport(model, hidden).text()
