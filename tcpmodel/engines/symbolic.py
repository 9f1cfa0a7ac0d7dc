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
from .z3enc import Encoding, EncodingError

DEFAULT_DEPTH = 20
DEFAULT_KMAX = 2


def check(model, *, depth: int = DEFAULT_DEPTH, timeout: float | None = None, prove: bool = True,
          spacer: bool = False, proof_timeout: float | None = 120.0, kmax: int = DEFAULT_KMAX,
          progress=None, keep_going: bool = False) -> CheckResult:
    """Proofs first for ``always`` properties (a proved one needs no BMC), then BMC of the rest
    up to ``depth``, then proofs that no witness exists for ``sometimes`` properties BMC did
    not satisfy.  ``timeout`` bounds the whole run; ``proof_timeout`` each property's proofs.

    A BMC trace the explicit engine cannot replay is an encoding bug: it raises
    ``EncodingError``, or with ``keep_going`` (cross-checking) is listed in
    ``encoding_errors`` and leaves its property unknown."""
    t0 = time.monotonic()
    enc = Encoding(model)
    prover = Prover(enc)
    safety = [p for p in model.properties if p.kind in ("always", "sometimes")]
    proofs: dict = {}
    if prove:
        for p in safety:
            if p.kind == "always":
                proofs[p.name] = _prove(prover, p, spacer, _left(timeout, t0, proof_timeout), kmax)
    todo = [p for p in safety if proofs.get(p.name) is None or proofs[p.name].status != "proved"]

    def tick(d, secs):
        if progress:
            progress(d, secs)
    run = bmc.run(model, todo, depth, timeout=_left(timeout, t0, None), enc=enc, progress=tick)
    res = CheckResult(model.check.name, model.check.variant, model.check.params, "z3",
                      depth=max(run.depth, 0), stop_reason=run.stop_reason,
                      complete=run.stop_reason is None)
    res.bmc_depth = run.depth
    res.bmc_bound = depth
    if run.errors and not keep_going:
        raise EncodingError(next(iter(run.errors.values())))
    res.encoding_errors = [f"{n}: {e}" for n, e in run.errors.items()]
    res.bmc_times = run.times
    for p in model.properties:
        if p.kind not in ("always", "sometimes"):
            res.properties.append(PropertyResult(
                p.name, p.kind, p.formula, UNKNOWN, p.doc, method="z3",
                detail="liveness is not checked by the z3 engine"))
            continue
        if p.name in run.errors:
            res.properties.append(PropertyResult(p.name, p.kind, p.formula, UNKNOWN, p.doc,
                                                 method="BMC", detail="ENCODING ERROR: "
                                                 + run.errors[p.name]))
            continue
        hit = run.hits.get(p.name)
        if hit is not None:
            verdict = VIOLATED if p.kind == "always" else HOLDS
            what = "counterexample" if p.kind == "always" else "witness"
            res.properties.append(PropertyResult(p.name, p.kind, p.formula, verdict, p.doc,
                                                 hit.trace, len(hit.trace), "BMC",
                                                 f"shortest {what}", hit.seconds))
            continue
        proof = proofs.get(p.name)
        if proof is not None and proof.status == "proved":
            res.properties.append(_verdict(model.system, p, None, proof))
            continue
        bound = (f"up to depth {run.depth}" if run.stop_reason is None
                 else f"up to depth {run.depth} (BMC stopped: {run.stop_reason})")
        bounded = ("holds " if p.kind == "always" else "no witness ") + bound
        if prove and proof is None and run.stop_reason != "interrupted":
            proof = _prove(prover, p, spacer, _left(timeout, t0, proof_timeout), kmax)
        res.properties.append(_verdict(model.system, p, bounded, proof))
    res.seconds = time.monotonic() - t0
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


def _verdict(system, p, bounded: str | None, proof: Proof | None) -> PropertyResult:
    base = dict(name=p.name, kind=p.kind, formula=p.formula, doc=p.doc)
    if proof is None:
        return PropertyResult(**base, verdict=UNKNOWN, method="BMC", detail=bounded)
    if proof.status == "proved":
        # always P proved: holds; sometimes P: its negation is invariant, so no witness exists
        verdict = HOLDS if p.kind == "always" else VIOLATED
        what = "no reachable state violates it" if p.kind == "always" else "no witness exists"
        detail = f"proved: {what}" + (f"; BMC: {bounded}" if bounded else "")
        return PropertyResult(**base, verdict=verdict, method=proof.method, detail=detail,
                              seconds=proof.seconds)
    cti = [describe_state(system, x) for x in proof.cti] or None
    return PropertyResult(**base, verdict=UNKNOWN, method=f"BMC; {proof.method} failed",
                          detail=f"{bounded}; {proof.method}: {proof.detail}",
                          seconds=proof.seconds, cti=cti)
