"""Attacker interfaces: what an attacker on the network may do, per direction, within budgets.

A check file describes its attacker in an ``[attacker]`` table (or with the ``attacker``
parameter: a total budget for an on-path attacker, ``"unbounded"``, or a preset name)::

    [attacker]
    preset = "off-path"        # on-path, off-path, lossy (the starting point; default on-path)
    budget = "unbounded"       # attacker actions in all, or "unbounded" (the default)
    flags = ["SYN", "RST"]     # flag patterns it may forge (default: the attacker_flags parameter)
    data = false               # forged segments may also carry one data octet
    recovery = false           # the attack ends at some point, then the network is honest
    values = "classes"         # forged SEQ/ACK: one per class the receiver tells apart, or "all"
    ab = { observe = true, drop = 1, inject = "unbounded", replay = false }   # A -> B
    ba = { observe = false, drop = false, inject = 2, replay = false }       # B -> A

Per direction (``ab``: segments from A to B, and segments forged towards B): ``observe``
(it sees the segments: needed to replay them; a blind attacker must guess forged numbers),
``drop`` (remove a segment in flight), ``inject`` (forge a segment that reaches the receiver),
``replay`` (send a copy of a segment in flight again); each ``false``, ``true``/``"unbounded"``,
or a budget.  Budgets are counted in the state, so a bounded attacker is a finite model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import InputError, did_you_mean
from .params import ATTACKER_PRESETS, UNBOUNDED

ACTIONS = ("drop", "inject", "replay")
DIRECTIONS = ("ab", "ba")
TABLE_KEYS = {"preset", "budget", "flags", "data", "recovery", "values", "ab", "ba"}
DIRECTION_KEYS = {"observe"} | set(ACTIONS)

# per preset: (observe, drop, inject, replay) on both directions; None = unbounded, 0 = never
PRESETS = {
    "on-path": (True, None, None, None),      # reads, drops, forges and replays
    "off-path": (False, 0, None, 0),           # blind injection only: must guess the numbers
    "lossy": (False, None, 0, 0),              # drops only: a lossy but honest network
}
assert tuple(PRESETS) == ATTACKER_PRESETS
PRESET_DOC = {
    "on-path": "observes, drops, forges and replays segments in both directions",
    "off-path": "blind: forges segments towards either endpoint, sees and drops nothing",
    "lossy": "drops segments in flight, forges nothing: a lossy but honest network",
}


@dataclass(frozen=True)
class Powers:
    """What the attacker may do on one direction; budgets: None = unbounded, 0 = not at all."""
    observe: bool
    drop: int | None
    inject: int | None
    replay: int | None

    def allows(self, action: str) -> bool:
        return getattr(self, action) != 0


@dataclass(frozen=True)
class Attacker:
    preset: str
    powers: tuple                  # (ab, ba): Powers
    budget: int | None             # all actions together; None = unbounded
    flags: tuple                   # flag patterns ("SYN", "RST,ACK", ...)
    data: bool
    recovery: bool
    values: str                    # "classes" or "all"
    counters: tuple = field(default=())   # what the state counts: (key, bound), key = (dir, action) or "total"

    def __post_init__(self):
        cs = [((d, a), getattr(p, a)) for d, p in enumerate(self.powers) for a in ACTIONS
              if getattr(p, a) not in (None, 0)]
        if self.budget is not None:
            cs.append(("total", self.budget))
        object.__setattr__(self, "counters", tuple(cs))

    # ---------------------------------------------------------------- budgets in the state

    def spend(self, used: int, direction: int, action: str) -> int | None:
        """The budget counter after one more ``action`` on ``direction`` (None: not allowed)."""
        if not self.powers[direction].allows(action):
            return None
        radix = 1
        out = used
        for key, bound in self.counters:
            if key == (direction, action) or key == "total":
                if (used // radix) % (bound + 1) >= bound:
                    return None
                out += radix
            radix *= bound + 1
        return out

    def used(self, counter: int) -> dict:
        """Budget use in a state, by counter (for descriptions)."""
        out, radix = {}, 1
        for key, bound in self.counters:
            out[key] = (counter // radix) % (bound + 1)
            radix *= bound + 1
        return out

    @property
    def blind(self) -> bool:
        return not any(p.observe for p in self.powers)

    def describe(self) -> str:
        """One line: ``off-path (blind): inject A<-B unbounded, ...``."""
        parts = []
        for d, p in zip(("A->B", "B->A"), self.powers):
            acts = [f"{a} {'unbounded' if getattr(p, a) is None else getattr(p, a)}"
                    for a in ACTIONS if p.allows(a)]
            if acts or p.observe:
                parts.append(f"{d}: " + ", ".join((["observe"] if p.observe else []) + acts))
        extra = [f"budget {self.budget}" if self.budget is not None else None,
                 "forges " + " ".join(self.flags) + (" (+data)" if self.data else "")
                 if any(p.allows("inject") for p in self.powers) else None,
                 "then honest (recovery)" if self.recovery else None,
                 "every SEQ/ACK value" if self.values == "all" else None]
        return f"{self.preset}: " + "; ".join(parts + [x for x in extra if x])


def _budget(v, *, file, where, key):
    if v is True or v == UNBOUNDED:
        return None
    if v is False:
        return 0
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 64:
        return v
    raise InputError(f"{key} = {v!r} is not a budget", file=file, where=where,
                     fix=f'{key} = 2, {key} = "unbounded", or {key} = false')


def resolve(table, params: dict, *, file: str | None = None, where: str = "[attacker]",
            flags_given: bool = False) -> Attacker | None:
    """The attacker of a check from its ``[attacker]`` table (or None) and its parameters;
    None when there is no attacker."""
    p = params.get("attacker", 0)
    if p == "none" or (table is None and p in (0, None)):
        return None
    if table is not None and not isinstance(table, dict):
        raise InputError("[attacker] must be a table", file=file, where=where,
                         fix='[attacker] then preset = "off-path"')
    table = dict(table or {})
    for k in table:
        if k not in TABLE_KEYS:
            raise InputError(f"unknown key '{k}'", file=file, where=where,
                             fix=did_you_mean(k, TABLE_KEYS))
    preset = table.get("preset", "on-path")
    overrides = True
    budget_raw = table.get("budget", UNBOUNDED)
    if p not in (0, None):
        # the attacker parameter (e.g. --set attacker=off-path) wins over the table
        if isinstance(p, str) and p in PRESETS:
            # a preset by name is that threat model, unbounded: the table keeps only its
            # flags, data, recovery and values
            preset, overrides, budget_raw = p, False, UNBOUNDED
        else:
            budget_raw = p
    if preset not in PRESETS:
        raise InputError(f"unknown attacker preset '{preset}'", file=file, where=where,
                         fix=did_you_mean(str(preset), PRESETS))
    budget = _budget(budget_raw, file=file, where=where, key="budget")
    obs, drop, inj, rep = PRESETS[preset]
    powers = []
    for d in DIRECTIONS:
        sub = table.get(d, {}) if overrides else {}
        dwhere = f"{where} {d}"
        if not isinstance(sub, dict):
            raise InputError(f"'{d}' must be a table", file=file, where=dwhere,
                             fix=f'{d} = {{ drop = 1, inject = "unbounded" }}')
        for k in sub:
            if k not in DIRECTION_KEYS:
                raise InputError(f"unknown key '{k}'", file=file, where=dwhere,
                                 fix=did_you_mean(k, DIRECTION_KEYS))
        observe = sub.get("observe", obs)
        if not isinstance(observe, bool):
            raise InputError("observe is true or false", file=file, where=dwhere,
                             fix="observe = true")
        vals = {a: _budget(sub[a], file=file, where=dwhere, key=a) if a in sub else dflt
                for a, dflt in zip(ACTIONS, (drop, inj, rep))}
        if vals["replay"] != 0 and not observe:
            raise InputError("an attacker that does not observe a direction cannot replay its "
                             "segments", file=file, where=dwhere, fix="observe = true, or replay = false")
        powers.append(Powers(observe, vals["drop"], vals["inject"], vals["replay"]))
    flags = table.get("flags") if not flags_given else None
    if flags is None:
        flags = params.get("attacker_flags")
    else:
        from .params import coerce
        flags = coerce("attacker_flags", flags, file=file, where=f"{where} flags")
    data = table.get("data", False)
    recovery = table.get("recovery", False)
    for k, v in (("data", data), ("recovery", recovery)):
        if not isinstance(v, bool):
            raise InputError(f"{k} is true or false", file=file, where=where, fix=f"{k} = false")
    values = table.get("values", "classes")
    if values not in ("classes", "all", "guards"):
        raise InputError(f"values = {values!r} is not \"classes\" or \"all\"", file=file,
                         where=where, fix='values = "classes"')
    if not any(pw.allows(a) for pw in powers for a in ACTIONS):
        return None
    return Attacker(preset, tuple(powers), budget, tuple(flags), data, recovery, values)
