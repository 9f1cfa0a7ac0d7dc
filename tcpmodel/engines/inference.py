"""Invariant inference: candidates mined from the explicit engine's reachable states at small
parameters, pruned by Z3 (Houdini) at the target parameters, re-proved from their printed text.

    infer(model)  ->  Inference

1. Mining parameters: the model's own, with the sequence space (and what depends on it: the
   window, data, fixed ISS values) shrunk to what the explicit engine enumerates
   (``mining_params``).  The explicit engine explores them; properties it finds violated there
   are not attempted.
2. ``mining.mine`` proposes candidates true in every reachable state it saw.
3. ``symbolic.houdini`` keeps the largest inductive subset at the *model's* parameters (e.g.
   seq_space = 2^32) with the properties protected, and cuts it down to what each property
   needs.
4. Each property is proved again by the ordinary k-induction with the printed text as its
   strengthening: the text shown (and written by ``--infer-out``) is the text proved.

Candidates only propose; every verdict comes from Z3 at the model's parameters.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

from .. import expr as E
from ..check import build
from ..params import EXPLICIT_LIMITS
from .explicit import explore
from .mining import mine
from .symbolic.encoding import KINDS, Encoding
from .symbolic.houdini import Houdini
from .symbolic.induction import Prover, describe_state

MAX_MINING_STATES = 400_000


@dataclass
class Inferred:
    """The outcome for one property."""
    name: str
    status: str                   # proved, failed, skipped
    text: str = ""                # the strengthening (expression language), when proved
    conjuncts: int = 0
    detail: str = ""
    dropped_last: list = field(default_factory=list)
    cti: list = field(default_factory=list)        # [state text, step text, state text]
    seconds: float = 0.0


@dataclass
class Inference:
    check: str
    mining_params: dict
    mining_states: int
    mining_complete: bool
    candidates: int
    survivors: int
    rounds: int
    results: dict                 # property name -> Inferred
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"mining_parameters": {k: self.mining_params[k] for k in ("seq_space", "iss")},
                "mining_states": self.mining_states, "candidates": self.candidates,
                "inductive": self.survivors, "queries": self.rounds,
                "seconds": round(self.seconds, 3),
                "properties": {n: {"status": r.status, "detail": r.detail,
                                   **({"strengthening": r.text} if r.text else {}),
                                   **({"dropped_last": r.dropped_last} if r.dropped_last else {}),
                                   **({"counterexample_to_induction": r.cti} if r.cti else {})}
                               for n, r in self.results.items()}}

    def summary(self) -> str:
        """What was inferred, for the text report."""
        lines = [f"   inference: {self.candidates} candidates mined from {self.mining_states:,} "
                 f"states (seq_space={self.mining_params['seq_space']}), {self.survivors} "
                 f"inductive, {self.rounds} Z3 queries, {self.seconds:.1f} s"]
        for r in self.results.values():
            lines.append(f"   {r.name}: {r.status}: {r.detail}")
            if r.dropped_last:
                lines.append("     dropped last: " + "; ".join(r.dropped_last[:8])
                             + (f" (and {len(r.dropped_last) - 8} more)"
                                if len(r.dropped_last) > 8 else ""))
            for i, line in enumerate(r.cti):
                lines.append(f"     {i + 1}. {line}")
        return "\n".join(lines)

    def toml(self) -> str:
        """A [define] and [strengthen] snippet for the check file (proved properties only)."""
        proved = [r for r in self.results.values() if r.status == "proved"]
        if not proved:
            return ""
        lines = [f"# inferred by tcpmodel check {self.check} --engine z3 --infer "
                 f"({self.candidates} candidates mined from {self.mining_states:,} states, "
                 f"{self.survivors} inductive)", "[define]"]
        names = {}
        for r in proved:
            key = names.setdefault(r.text, f"inferred_{r.name}")
            if key == f"inferred_{r.name}":
                lines.append(f'{key} = """\n  {r.text}"""')
        lines.append("")
        lines.append("[strengthen]")
        for r in proved:
            lines.append(f'{r.name} = "{names[r.text]}"')
        return "\n".join(lines) + "\n"


def mining_params(params: dict) -> dict:
    """The model's parameters within the explicit engine's reach: a large sequence space is
    replaced by the smallest power of two (at least 8) that fits the data, the window is
    clipped below half of it, and fixed ISS values that do not fit become "any"."""
    out = dict(params)
    if all(not isinstance(params.get(k), int) or params[k] <= hi
           for k, hi in EXPLICIT_LIMITS.items() if k in ("seq_space", "rcv_wnd", "data")):
        n = params["seq_space"]
    else:
        out["data"] = min(params["data"], EXPLICIT_LIMITS["data"])
        n = 8
        while n < 2 * (out["data"] + 2):
            n *= 2
    out["seq_space"] = n
    out["rcv_wnd"] = min(params["rcv_wnd"], n // 2 - 1)
    if out["iss"] == "fixed":
        vals = [v for k in ("iss_a", "iss_b")
                for v in (params[k] if isinstance(params[k], list) else [params[k]])]
        if any(v >= n for v in vals):
            out["iss"] = "any"
    return out


def infer(model, props=None, *, timeout: float | None = None, progress=None,
          max_states: int = MAX_MINING_STATES) -> Inference:
    """Infer strengthenings proving the ``always`` (and ``sometimes``: no witness) ``props``
    of ``model`` (default: its always properties)."""
    t0 = time.monotonic()
    props = [p for p in (props if props is not None else model.properties)
             if p.kind in ("always", "sometimes")]
    say = progress or (lambda msg: None)
    mp = mining_params(model.check.params)
    mcheck = dataclasses.replace(model.check, params=mp)
    mmodel = build(mcheck, [p.name for p in props])
    ex = explore(mmodel.system, mmodel.properties, max_states=max_states)
    changed = " ".join(f"{k}={mp[k]}" for k in ("seq_space", "iss", "rcv_wnd", "data")
                       if mp[k] != model.check.params[k])
    say(f"mined {len(ex.states):,} reachable states"
        + (f" at {changed}" if changed else "") + f" ({ex.seconds:.1f} s)")
    results = {}
    todo = []
    for p in props:
        if p.name in ex.found and p.kind == "always":
            results[p.name] = Inferred(p.name, "skipped", detail=(
                "violated at the mining parameters (the explicit engine finds a counterexample)"))
        else:
            todo.append(p)
    if not todo:
        return Inference(model.check.name, mp, len(ex.states), ex.complete, 0, 0, 0, results,
                         time.monotonic() - t0)
    cands = mine(mmodel.system, ex.states, mp)
    say(f"{len(cands)} candidate invariants")
    texts = [c.text for c in cands]
    queries = 0

    def left():
        return None if timeout is None else max(1.0, timeout - (time.monotonic() - t0))

    if mp != model.check.params:
        # staged: Houdini first where queries are cheap (the mining parameters), then at the
        # target on what the properties needed there, then on everything inductive there
        mprops = {p.name: p for p in mmodel.properties}
        small = Houdini(Encoding(mmodel)).run(
            texts, [mprops[p.name] for p in todo], timeout=left(),
            progress=lambda r, n: say(f"Houdini at the mining parameters, query {r}: {n} left"))
        queries += small.rounds
        needed = {t for o in small.outcomes.values() if o.proved for t in o.needed}
        stages = [[t for t in texts if t in needed], small.survivors]
        stages = [st for i, st in enumerate(stages) if st and st not in stages[:i]] or [texts]
        say(f"{len(small.survivors)} inductive at the mining parameters; at the target: "
            + " then ".join(f"{len(st)} candidates" for st in stages))
    else:
        stages = [texts]
    enc = Encoding(model)
    hd = Houdini(enc)
    proved = {}   # property name -> the outcome of the first stage that proved it
    for stage in stages:
        run = hd.run(stage, [p for p in todo if p.name not in proved], timeout=left(),
                     progress=lambda r, n: say(f"Houdini query {r}: {n} candidates left"))
        queries += run.rounds
        proved.update({n: o for n, o in run.outcomes.items() if o.proved})
        if run.stop_reason is not None or len(proved) == len(todo):
            break
    run.rounds = queries
    run.outcomes.update(proved)
    prover = Prover(enc, hd.pt)
    for p in todo:
        o = run.outcomes[p.name]
        if run.stop_reason is not None and not o.proved:
            results[p.name] = Inferred(p.name, "unknown", detail=f"Houdini stopped: {run.stop_reason}")
            continue
        if not o.proved:
            results[p.name] = _failure(model.system, p, o)
            continue
        text = "\n  and ".join(f"({t})" for t in o.needed) or "true"
        t1 = time.monotonic()
        proof = prover.k_induction(p, E.parse(text), kmax=1, timeout=left())
        if proof.status != "proved":  # the printed text must prove it by itself
            results[p.name] = Inferred(p.name, "unknown", text=text, detail=(
                f"the inferred strengthening did not re-prove it: {proof.detail}"))
            continue
        results[p.name] = Inferred(p.name, "proved", text=text, conjuncts=len(o.needed),
                                   detail=f"{len(o.needed)} of {len(run.survivors)} inductive "
                                          f"candidates (re-proved in {time.monotonic() - t1:.1f} s)")
    total = time.monotonic() - t0
    for r in results.values():
        r.seconds = total  # mining and Houdini serve every property at once
    return Inference(model.check.name, mp, len(ex.states), ex.complete, len(cands),
                     len(run.survivors), run.rounds, results, total)


def _failure(system, p, o) -> Inferred:
    cti = []
    if len(o.cti) == 2:
        cti = [describe_state(system, o.cti[0]), describe_step(system, o.cti[0], o.step),
               describe_state(system, o.cti[1])]
    elif o.cti:
        cti = [describe_state(system, o.cti[0])]
    return Inferred(p.name, "failed", detail=o.reason, dropped_last=list(o.dropped_last), cti=cti)


def describe_step(system, x: tuple, step) -> str:
    """One line for a Z3 choice (kind, side, event, slot) taken in explicit state ``x``."""
    kind, side, ev, slot = step
    name = KINDS[kind]
    who = "AB"[side]
    if name in ("call", "timer"):
        return f"{who}: {name} {system.machines[side].events[ev]}"
    if name == "rcv":
        chan = x[10 - side]
        seg = system.seg_text(chan[slot]) if slot < len(chan) else "?"
        return f"{who}: receives {seg}"
    if name in ("loss", "dup"):
        chan = x[9 + side]
        seg = system.seg_text(chan[slot]) if slot < len(chan) else "?"
        return f"network: {name} of {seg} from {who}"
    return f"{who}: {name}"
