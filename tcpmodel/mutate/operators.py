"""Rule mutants: one small change to one rule of a variant, made on the rule data.

A mutant is described by (kind, rule id, change) and applied to a loaded
:class:`~tcpmodel.spec.EndpointSpec` by replacing one :class:`~tcpmodel.spec.Rule` (or removing
it); nothing is generated as code and nothing is executed. Kinds:

- ``delete``: the rule is removed (the next rule for the same state and event answers instead);
- ``retarget``: its next state becomes another state, or ``stay`` (no state change);
- ``guard``: its ``when`` is negated, or dropped (the rule then fires whenever it is reached);
- ``effect``: one of its TCB assignments, its segment or its user signal is dropped.

A mutant the completeness check rejects (deleting the last rule of a state and event) is
*refused*: the tool itself notices it, whatever the properties say.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace as dc_replace

from ..errors import InputError
from ..spec import EndpointSpec, Rule, check_complete, parse_text

KINDS = ("delete", "retarget", "guard", "effect")
STAY = "stay"


def check_kinds(kinds) -> tuple:
    """The kinds as a tuple; an InputError naming an unknown one."""
    kinds = tuple(kinds)
    for k in kinds:
        if k not in KINDS:
            from ..errors import did_you_mean
            raise InputError(f"unknown mutant kind '{k}'", where="--kinds", fix=did_you_mean(k, KINDS))
    if not kinds:
        raise InputError("no mutant kind given", where="--kinds", fix="e.g. --kinds delete,guard")
    return kinds


@dataclass(frozen=True)
class Mutant:
    kind: str       # one of KINDS
    rule: str       # rule id
    change: str     # what changed: "", a state or "stay", "negate"/"drop", "set.FIELD"/"send"/"signal"

    @property
    def id(self) -> str:
        """A stable name: ``delete:sync-rst``, ``retarget:sync-rst->LISTEN``, ``guard:ack-unsent:negate``,
        ``effect:listen-rcv-syn:set.irs``."""
        if self.kind == "delete":
            return f"delete:{self.rule}"
        if self.kind == "retarget":
            return f"retarget:{self.rule}->{self.change}"
        return f"{self.kind}:{self.rule}:{self.change}"

    def describe(self, rule: Rule) -> str:
        """One line a user can act on: what the mutant does to the rule."""
        if self.kind == "delete":
            return "the rule is deleted"
        if self.kind == "retarget":
            was = rule.next.text if rule.next else "stay"
            now = "stay in the current state" if self.change == STAY else f"go to {self.change}"
            return f"{now} instead of next = {was}"
        if self.kind == "guard":
            w = " ".join(rule.when.text.split())
            return f"when = not ({w})" if self.change == "negate" else f"'when = {w}' dropped"
        if self.change == "send":
            from ..endpoint import CTL_ORDER
            ctl = ",".join(f for f in CTL_ORDER if f in rule.send.flags)
            return f"sends nothing instead of <CTL={ctl}>"
        if self.change == "signal":
            return f"signals nothing instead of '{rule.signal}'"
        field = self.change.removeprefix("set.")
        value = dict(rule.assign)[field].text
        return f"does not set {field} = {value}"


def mutants_of(rule: Rule, states: tuple, kinds=KINDS) -> list[Mutant]:
    """Every mutant of one rule, in a fixed order (kinds, then the rule's own order)."""
    out: list[Mutant] = []
    if "delete" in kinds:
        out.append(Mutant("delete", rule.id, ""))
    if "retarget" in kinds:
        # next = its own state, for a rule of one state, is the rule itself
        current = _literal_state(rule) or (rule.states[0] if len(rule.states) == 1 else None)
        for s in states:
            if s != current:
                out.append(Mutant("retarget", rule.id, s))
        if rule.next is not None:
            out.append(Mutant("retarget", rule.id, STAY))
    if "guard" in kinds and rule.when is not None:
        out += [Mutant("guard", rule.id, "negate"), Mutant("guard", rule.id, "drop")]
    if "effect" in kinds:
        out += [Mutant("effect", rule.id, f"set.{f}") for f, _ in rule.assign]
        if rule.send is not None:
            out.append(Mutant("effect", rule.id, "send"))
        if rule.signal is not None:
            out.append(Mutant("effect", rule.id, "signal"))
    return out


def generate(spec: EndpointSpec, kinds=KINDS, rules=None) -> list[Mutant]:
    """The mutants of a variant's rules (all of them, or the ids in ``rules``), in rule order."""
    return [m for r in spec.rules if rules is None or r.id in rules
            for m in mutants_of(r, spec.states, kinds)]


def _literal_state(rule: Rule) -> str | None:
    """The state a rule's ``next`` names, if it is a plain state (not an if-expression)."""
    if rule.next is None:
        return None
    text = rule.next.text.strip()
    return text[1:-1] if len(text) > 2 and text[0] == text[-1] == "'" else None


def mutated_rule(rule: Rule, m: Mutant) -> Rule | None:
    """The rule as the mutant has it (None: deleted)."""
    if m.kind == "delete":
        return None
    if m.kind == "retarget":
        nxt = None if m.change == STAY else parse_text(f"'{m.change}'", rule.src, "next")
        return dc_replace(rule, next=nxt)
    if m.kind == "guard":
        if m.change == "drop":
            return dc_replace(rule, when=None)
        return dc_replace(rule, when=parse_text(f"not ({rule.when.text})", rule.src, "when"))
    if m.change == "send":
        return dc_replace(rule, send=None)
    if m.change == "signal":
        return dc_replace(rule, signal=None)
    field = m.change.removeprefix("set.")
    return dc_replace(rule, assign=tuple((f, t) for f, t in rule.assign if f != field))


def apply(spec: EndpointSpec, m: Mutant) -> EndpointSpec:
    """The variant with the mutant applied; an InputError if the completeness check refuses it."""
    rules = []
    for r in spec.rules:
        if r.id == m.rule:
            r = mutated_rule(r, m)
            if r is None:
                continue
        rules.append(r)
    if len(rules) == len(spec.rules) and m.kind == "delete":
        raise InputError(f"no rule '{m.rule}' in {spec.name}")
    mutant = dc_replace(spec, rules=rules, name=f"{spec.name}+{m.id}")
    check_complete(mutant)
    return mutant
