"""The z3 engine: BMC for counterexamples and witnesses, then proofs for what BMC did not decide.

Verdicts keep the explicit engine's meaning and never overclaim:

- a BMC counterexample (``always``) is ``violated``; a BMC witness (``sometimes``) ``holds``;
  both are shortest (depths are tried in order) and decoded into the explicit trace type;
- no counterexample up to the bound is ``unknown`` with "holds up to depth K" (never ``holds``);
- ``holds`` for an ``always`` property (and ``violated`` for a ``sometimes`` one: no witness
  can exist) needs a proof: k-induction (with the check's strengthening, if any) and, with
  ``spacer``, Z3's Spacer; the method is named in the result.
"""

from __future__ import annotations

import time

from ..results import HOLDS, UNKNOWN, VIOLATED, CheckResult, PropertyResult
from . import bmc
from .induction import Proof, Prover, describe_state
from .z3enc import Encoding

DEFAULT_DEPTH = 20
DEFAULT_KMAX = 2


def check(model, *, depth: int = DEFAULT_DEPTH, timeout: float | None = None, prove: bool = True,
          spacer: bool = False, proof_timeout: float | None = 120.0, kmax: int = DEFAULT_KMAX,
          progress=None) -> CheckResult:
    t0 = time.monotonic()
    enc = Encoding(model)
    safety = [p for p in model.properties if p.kind in ("always", "sometimes")]

    def tick(d, secs):
        if progress:
            progress(d, secs)
    run = bmc.run(model, safety, depth, timeout=timeout, enc=enc, progress=tick)
    res = CheckResult(model.check.name, model.check.variant, model.check.params, "z3",
                      depth=max(run.depth, 0), stop_reason=run.stop_reason,
                      complete=run.stop_reason is None)
    res.bmc_depth = run.depth
    res.bmc_times = run.times
    prover = Prover(enc)
    for p in model.properties:
        if p.kind not in ("always", "sometimes"):
            res.properties.append(PropertyResult(
                p.name, p.kind, p.formula, UNKNOWN, p.doc, method="z3",
                detail="liveness is not checked by the z3 engine"))
            continue
        hit = run.hits.get(p.name)
        if hit is not None:
            verdict = VIOLATED if p.kind == "always" else HOLDS
            what = "counterexample" if p.kind == "always" else "witness"
            res.properties.append(PropertyResult(p.name, p.kind, p.formula, verdict, p.doc,
                                                 hit.trace, len(hit.trace), "BMC",
                                                 f"shortest {what}", hit.seconds))
            continue
        bound = (f"up to depth {run.depth}" if run.stop_reason is None
                 else f"up to depth {run.depth} (BMC stopped: {run.stop_reason})")
        bounded = ("holds " if p.kind == "always" else "no witness ") + bound
        proof = None
        if prove and run.stop_reason != "interrupted":
            proof = _prove(prover, p, spacer, _left(timeout, t0, proof_timeout), kmax)
        res.properties.append(_verdict(model.system, p, bounded, proof))
    res.seconds = time.monotonic() - t0
    if run.stop_reason == "interrupted":
        res.stop_reason = "interrupted"
    return res


def _left(timeout, t0, proof_timeout):
    if timeout is None:
        return proof_timeout
    left = max(0.001, timeout - (time.monotonic() - t0))
    return left if proof_timeout is None else min(left, proof_timeout)


def _prove(prover: Prover, p, spacer: bool, budget, kmax: int) -> Proof:
    t0 = time.monotonic()
    strengthen = p.strengthen.node if p.strengthen is not None else None
    proof = prover.k_induction(p, strengthen, kmax=kmax, timeout=budget)
    if proof.status != "proved" and spacer and (budget is None or time.monotonic() - t0 < budget):
        left = None if budget is None else budget - (time.monotonic() - t0)
        sp = prover.spacer(p, timeout=left)
        if sp.status != "unknown" or proof.status == "unknown":
            sp.detail += f"; {proof.method}: {proof.detail}"
            sp.cti = sp.cti or proof.cti
            return sp
        proof.detail += f"; spacer: {sp.detail}"
    return proof


def _verdict(system, p, bounded: str, proof: Proof | None) -> PropertyResult:
    base = dict(name=p.name, kind=p.kind, formula=p.formula, doc=p.doc)
    if proof is None:
        return PropertyResult(**base, verdict=UNKNOWN, method="BMC", detail=bounded)
    if proof.status == "proved":
        # always P proved: holds; sometimes P: its negation is invariant, so no witness exists
        verdict = HOLDS if p.kind == "always" else VIOLATED
        what = "proved" if p.kind == "always" else "proved: no witness exists"
        return PropertyResult(**base, verdict=verdict, method=proof.method,
                              detail=f"{what} ({proof.detail}); BMC: {bounded}",
                              seconds=proof.seconds)
    cti = [describe_state(system, x) for x in proof.cti] or None
    return PropertyResult(**base, verdict=UNKNOWN, method=f"BMC; {proof.method} failed",
                          detail=f"{bounded}; {proof.method}: {proof.detail}",
                          seconds=proof.seconds, cti=cti)
