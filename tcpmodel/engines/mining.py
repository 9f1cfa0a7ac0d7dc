"""Candidate invariants mined from explicitly reachable states (the first half of inference).

Templates, each instantiated under a *context* (nothing; one endpoint's TCP state; both states;
one endpoint's state and script position or incarnation), keep only what every reachable state
in that context satisfies:

- value sets of small values: ``a.pc``, ``a.inc``, ``a.passive``, range fields, channel sizes,
  the other endpoint's state (``ctx implies b.pc in [1, 2]``);
- sequence fields relative to one another and to the fixed ISS (``a.snd_nxt == a.iss + 1``,
  ``seq_le(b.iss + 1, a.rcv_nxt)``), offsets read in (-n/2, n/2];
- channel contents quantified per segment, as hand-written strengthenings do: which segment
  shapes may be in flight (``all(ab, <shapes>)``), and per shape its sequence number and
  acknowledgment relative to either endpoint's fields, its ghost tags relative to the
  incarnations, and how many copies may be in flight.

Every candidate is a formula of the property language (so it prints as it is proved), true in
every state it was mined from.  Which of them are inductive is for Z3 to say
(``symbolic/houdini.py``): mining proves nothing, it only proposes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..endpoint import FLAG_BIT

FLAG_ORDER = ("SYN", "ACK", "FIN", "RST")


@dataclass(frozen=True)
class Candidate:
    text: str
    family: str     # what the template is about (tcb, cross, channel, count, ...)


def mine(system, states, params: dict) -> list[Candidate]:
    """Candidates true in every one of ``states`` (explicit state tuples of ``system``)."""
    return _Miner(system, params).mine(states)


class _Miner:
    def __init__(self, system, params: dict):
        self.system = system
        self.m = m = system.machines[0]
        self.n = params["seq_space"]
        self.field_names = [f.name for f in m.fields]
        self.seq_fields = [f.name for f in m.fields if f.kind == "seq"]
        self.small_fields = [f for f in m.fields if f.kind != "seq"]
        self.refs = _references(self.seq_fields, params)
        self.consts = {k: params[k[6:]] for _, k in self.refs if k.startswith("param.")}
        self.cleared = {m.states[i] for i in m.clear}
        self.out: dict = {}
        self.facts: dict = defaultdict(set)   # context (conjuncts) -> facts stated under it

    def add(self, ctx: tuple, fact: str, family: str) -> None:
        """``ctx implies fact``, unless a coarser context (fewer conjuncts) already says it."""
        if any(fact in self.facts[sub] for sub in _subsets(ctx)):
            return
        self.facts[ctx].add(fact)
        text = fact if not ctx else f"({' and '.join(ctx)}) implies ({fact})"
        self.out.setdefault(text, Candidate(text, family))

    def cleared_sides(self, ctx: tuple) -> set:
        """Sides whose TCB the context puts in a deleted state (all zero: well-formedness)."""
        return {c[0] for c in ctx for st in self.cleared if c == f"{c[0]}.state == '{st}'"}

    def row(self, la, lb, pa, pb, ia, ib) -> dict:
        """The endpoint part of a state as name -> value (expression-language names)."""
        row = dict(self.consts)
        for side, code, pc, inc, mach in (("a", la, pa, ia, self.system.machines[0]),
                                          ("b", lb, pb, ib, self.system.machines[1])):
            loc = mach.decode(code)
            row[f"{side}.state"] = self.m.states[loc[0]]
            for name, v in zip(self.field_names, loc[1:]):
                row[f"{side}.{name}"] = v
            row[f"{side}.pc"], row[f"{side}.inc"] = pc, inc
        return row

    def mine(self, states) -> list[Candidate]:
        self._endpoints(states)
        for ci, names in enumerate((("ab", "a", "b"), ("ba", "b", "a"))):
            self._channel(states, ci, *names)
        return list(self.out.values())

    def _endpoints(self, states) -> None:
        ends: dict = {}
        for x in states:
            ends[(x[0], x[1], x[2], x[3], x[4], x[5], len(x[9]), len(x[10]), x[6], x[7], x[8])] = True
        rows = []
        for key in ends:
            row = self.row(*key[:6])
            row["ab.size"], row["ba.size"] = key[6], key[7]
            row["losses"], row["dups"], row["crashes"] = key[8], key[9], key[10]
            rows.append(row)
        names = self.m.states
        feats = _value_features(self.small_fields)
        domains = {f"{side}.{f.name}": f.size for side in "ab" for f in self.small_fields}
        pairs = _pairs(self.seq_fields, self.refs)
        for ctx, group in _contexts(rows):
            for feat in feats:
                for fact in _value_facts(feat, {r[feat] for r in group}, domains.get(feat)):
                    self.add(ctx, fact, "value")
            skip = self.cleared_sides(ctx)
            for f, r in pairs:
                if f[0] in skip or r[0] in skip:
                    continue
                offs = {_signed((row[f] - row[r]) % self.n, self.n) for row in group}
                for atom in _seq_atoms(f, r, offs, self.n):
                    self.add(ctx, atom, "tcb")
            for side in ("a", "b"):
                if any(c.startswith(f"{side}.state") for c in ctx):
                    continue
                vals = sorted({r[f"{side}.state"] for r in group}, key=names.index)
                if len(vals) < len(names):
                    listed = ", ".join(f"'{v}'" for v in vals)
                    self.add(ctx, f"{side}.state in [{listed}]", "states")

    def _channel(self, states, ci: int, chan: str, snd: str, rcv: str) -> None:
        sys_, m, n = self.system, self.m, self.n
        segs: dict = {}
        for x in states:
            for full in set(x[9 + ci]):
                segs[(full, x[0], x[1], x[2], x[3], x[4], x[5])] = True
        rows = []
        for (full, *key) in segs:
            row = self.row(*key)
            segr, sinc, rinc = sys_.split(full)
            seq, ack, flags, data = m.seg.unpack(segr)
            row.update({"kind": (flags, data), "seg.seq": seq, "seg.ack": ack,
                        "seg.sender_inc": sinc, "seg.receiver_inc": rinc})
            rows.append(row)
        kinds_all = sorted({r["kind"] for r in rows})
        self.add((), f"all({chan}, {_any_kind(kinds_all)})" if kinds_all else f"{chan}.size == 0",
                 "channel")
        refs = [(k, k) for _, k in self.refs]
        for ctx, group in _contexts(rows, sides=(snd, rcv), pcs=False):
            kinds = sorted({r["kind"] for r in group})
            if ctx and kinds != kinds_all:
                self.add(ctx, f"all({chan}, {_any_kind(kinds)})", "channel")
            skip = self.cleared_sides(ctx)
            for kind in kinds:
                rows_k = [r for r in group if r["kind"] == kind]
                atoms: list = []
                for field in ("seg.seq", "seg.ack"):
                    if field == "seg.ack" and not kind[0] & FLAG_BIT["ACK"]:
                        continue
                    if {row[field] for row in rows_k} == {0}:
                        atoms.append(f"{field} == 0")
                    for _, r in refs:
                        if r[0] in skip:
                            continue
                        offs = {_signed((row[field] - row[r]) % n, n) for row in rows_k}
                        atoms += _seq_atoms(field, r, offs, n)
                for tag, who in (("seg.sender_inc", snd), ("seg.receiver_inc", rcv)):
                    atoms += _tag_atoms(tag, who, rows_k)
                kt = _kind_text(kind)
                for atom in atoms:
                    self.add(ctx, f"all({chan}, ({kt}) implies {atom})", "segment")
        # copies in flight, per shape and endpoint state
        seen: dict = {}
        for x in states:
            key = (m.state_of(x[0]), sys_.machines[1].state_of(x[1]), x[9 + ci])
            if key not in seen:
                counts: dict = defaultdict(int)
                for full in x[9 + ci]:
                    _, _, flags, data = m.seg.unpack(sys_.split(full)[0])
                    counts[(flags, data)] += 1
                seen[key] = {"a.state": m.states[key[0]], "b.state": m.states[key[1]],
                             "counts": counts}
        for ctx, group in _contexts(list(seen.values()), sides=(snd, rcv), pairs=False, pcs=False):
            most: dict = defaultdict(int)
            for r in group:
                for kind, c in r["counts"].items():
                    most[kind] = max(most[kind], c)
            for kind, c in most.items():
                if c < sys_.cap:
                    self.add(ctx, f"count({chan}, {_kind_text(kind)}) <= {c}", "count")


# ------------------------------------------------------------------ rows and contexts

def _references(seq_fields, params) -> list:
    """(text, row key) of what a sequence number is compared with: every sequence field of
    either endpoint, and the ISS when it is fixed."""
    out = [(f"{side}.{f}", f"{side}.{f}") for side in ("a", "b") for f in seq_fields]
    if params.get("iss") == "fixed":
        for k in ("iss_a", "iss_b"):
            if isinstance(params.get(k), int):
                out.append((f"param.{k}", f"param.{k}"))
    return out


def _pairs(seq_fields, refs) -> list:
    """(field, reference) pairs, each unordered pair of fields once."""
    fields = [f"{side}.{f}" for side in ("a", "b") for f in seq_fields]
    out = []
    for i, f in enumerate(fields):
        for _, r in refs:
            if r in fields and fields.index(r) <= i:
                continue
            out.append((f, r))
    return out


def _contexts(rows, sides=("a", "b"), pairs=True, pcs=True):
    """(context, rows in it), a context being a tuple of conjuncts: none, each endpoint's
    state, both states, and (with ``pcs``) an endpoint's script position, alone and with its
    state or its incarnation.  Coarser contexts come first (``_Miner.add`` relies on it)."""
    groups: dict = defaultdict(list)
    for r in rows:
        groups[()].append(r)
        for side in sides:
            st = f"{side}.state == '{r[f'{side}.state']}'"
            groups[(st,)].append(r)
            if pcs:
                pc, inc = f"{side}.pc == {r[f'{side}.pc']}", f"{side}.inc == {r[f'{side}.inc']}"
                groups[(pc,)].append(r)
                groups[(st, pc)].append(r)
                groups[(st, inc)].append(r)
        if pairs:
            a, b = sides
            groups[(f"{a}.state == '{r[f'{a}.state']}'",
                    f"{b}.state == '{r[f'{b}.state']}'")].append(r)
    return list(groups.items())


def _subsets(ctx: tuple) -> list:
    """The proper sub-contexts of a context of at most two conjuncts."""
    if not ctx:
        return []
    if len(ctx) == 1:
        return [()]
    return [()] + [(c,) for c in ctx]


def _value_features(small_fields) -> list:
    out = []
    for side in ("a", "b"):
        out += [f"{side}.{f.name}" for f in small_fields] + [f"{side}.pc", f"{side}.inc"]
    return out + ["ab.size", "ba.size", "losses", "dups", "crashes"]


def _value_facts(feat, vals, domain) -> list:
    if domain is not None and len(vals) >= domain:
        return []  # every value of the type occurs: nothing to say
    if all(isinstance(v, bool) for v in vals):
        return [feat if next(iter(vals)) else f"not {feat}"] if len(vals) == 1 else []
    if len(vals) == 1:
        return [f"{feat} == {next(iter(vals))}"]
    return [f"{feat} in [{', '.join(str(v) for v in sorted(vals))}]", f"{feat} <= {max(vals)}"]


def _tag_atoms(tag: str, who: str, rows) -> list:
    """Ghost tags: their values, and how they relate to the endpoint's incarnation."""
    out = []
    vals = {row[tag] for row in rows}
    if len(vals) == 1:
        out.append(f"{tag} == {next(iter(vals))}")
    diffs = {row[tag] - row[f"{who}.inc"] for row in rows}
    if len(diffs) == 1:
        out.append(f"{tag} == {_plus(who + '.inc', next(iter(diffs)))}")
    elif max(diffs) <= 0:
        out.append(f"{tag} <= {who}.inc")
    elif min(diffs) >= 0:
        out.append(f"{tag} >= {who}.inc")
    return out


def _signed(d: int, n: int) -> int:
    """A distance modulo n read as a signed offset in (-n/2, n/2]."""
    return d - n if d > n // 2 else d


def _plus(ref: str, k: int) -> str:
    return ref if k == 0 else f"{ref} + {k}" if k > 0 else f"{ref} - {-k}"


def _seq_atoms(f: str, ref: str, offs: set, n: int) -> list:
    """f at a fixed offset from ref, or within a span below half the space (RFC 1982)."""
    if len(offs) == 1:
        return [f"{f} == {_plus(ref, next(iter(offs)))}"]
    if max(offs) - min(offs) < n // 2:
        return [f"seq_le({_plus(ref, min(offs))}, {f})", f"seq_le({f}, {_plus(ref, max(offs))})"]
    return []


def _kind_text(kind) -> str:
    """A segment shape (flags and data) as a predicate on seg.*."""
    flags, data = kind
    parts = [f"seg.{f}" if flags & FLAG_BIT[f] else f"not seg.{f}" for f in FLAG_ORDER]
    return " and ".join(parts + [f"seg.data == {data}"])


def _any_kind(kinds) -> str:
    return " or ".join(f"({_kind_text(k)})" for k in kinds)
