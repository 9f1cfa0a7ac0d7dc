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

import signal
import time

import z3

from ...props import SAFETY_KINDS
from ...results import HOLDS, UNKNOWN, VIOLATED, CheckResult, PropertyResult
from . import bmc, bmc_find
from .induction import Proof, Prover, describe_state
from .encoding import Encoding, EncodingError

DEFAULT_DEPTH = 20   # --engine z3: BMC bound
DEFAULT_BMC_BUDGET = 120.0  # seconds of depth-by-depth BMC per check (--bmc-budget)
BOTH_DEPTH = 10      # --engine both: BMC bound for properties without an explicit trace
DEFAULT_KMAX = 2


class _CtrlC:
    """Ctrl-C during the z3 engine: Z3 abandons its current query (it answers unknown), the
    engine starts no new one, and what was decided so far is reported (the rest unknown).
    A KeyboardInterrupt inside a Z3 call could leave the library in a broken state."""

    def __init__(self, prover: Prover):
        self.prover = prover
        self.old = None

    def __enter__(self):
        try:
            self.old = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: Ctrl-C is not ours to handle
            self.old = None
        return self

    def _handle(self, signum, frame):
        self.prover.interrupted = True
        z3.main_ctx().interrupt()

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)


def check(model, *, depth: int = DEFAULT_DEPTH, timeout: float | None = None, prove: bool = True,
          spacer: bool = False, proof_timeout: float | None = 120.0, kmax: int = DEFAULT_KMAX,
          progress=None, keep_going: bool = False, lengths: dict | None = None,
          bmc_budget: float | None = None, infer=None, infer_mode: str = "auto",
          infer_timeout: float | None = 300.0, say=None, bmc_mode: str = "depth",
          shorten: float = bmc_find.DEFAULT_SHORTEN, portfolio: int = 1) -> CheckResult:
    """Proofs first for ``always`` properties (a proved one needs no BMC), then BMC of the rest
    up to ``depth``, then proofs that no witness exists for ``sometimes`` properties BMC did
    not satisfy.  ``timeout`` bounds the whole run, ``bmc_budget`` the depth-by-depth BMC (its
    cost grows 2-3x per depth: the budget turns "hours at depth 20" into "unknown, holds up to
    depth d"), ``proof_timeout`` each property's proofs.

    ``infer`` (``engines.inference.infer``, passed in: it needs the explicit engine): with
    ``infer_mode`` "auto", ``always`` properties without a strengthening that k-induction does
    not prove get an inferred one; with "always", every ``always`` property does (the check's
    own strengthening is ignored).  ``res.inference`` keeps what was inferred.

    ``lengths`` (cross-checking): property name -> the length of the explicit engine's shortest
    trace, confirmed by two queries (nothing shorter, something at exactly that length)
    instead of BMC depth by depth.  A trace that is not confirmed, or a Z3 run the explicit
    engine cannot replay, is a mismatch: it raises ``EncodingError``, or with ``keep_going``
    is listed in ``res.mismatches`` and leaves its property unknown."""
    try:
        enc = Encoding(model)
        prover = Prover(enc)
        with _CtrlC(prover):
            return _check(model, enc, prover, depth, timeout, prove, spacer, proof_timeout, kmax,
                          progress, keep_going, lengths, bmc_budget,
                          (infer, infer_mode, infer_timeout, say), (bmc_mode, shorten, portfolio))
    except OverflowError as e:   # a constant beyond the bit-vector encoding (exprs.Sorts.val)
        from ...errors import InputError
        raise InputError(f"the z3 engine cannot encode this check: {e}", file=model.check.path,
                         where="--engine z3", fix="use --engine explicit, or smaller "
                                                  "constants in the check's formulas") from None


def _check(model, enc, prover, depth, timeout, prove, spacer, proof_timeout, kmax, progress,
           keep_going, lengths, bmc_budget, inference, bmc_how=("depth", 0.0, 1)) -> CheckResult:
    t0 = time.monotonic()
    lengths = lengths or {}
    safety = [p for p in model.properties if p.kind in SAFETY_KINDS]
    hits, errors = {}, {}
    for p in safety:
        if p.name in lengths and not prover.interrupted:
            hit, err = _confirm(model, p, lengths[p.name], enc, _left(timeout, t0, None))
            if not prover.interrupted:  # an interrupted query proves nothing either way
                hits[p.name], errors[p.name] = hit, err
    proofs: dict = {}
    infer, infer_mode, infer_timeout, say = inference
    inferred = None
    if prove:
        forced = infer is not None and infer_mode == "always"
        for p in safety:
            if p.kind == "always" and p.name not in lengths and not forced:
                proofs[p.name] = _prove(prover, p, spacer, _left(timeout, t0, proof_timeout), kmax)
        wanted = [p for p in safety if p.kind == "always" and p.name not in lengths
                  and (forced or (infer_mode == "auto" and p.strengthen is None
                                  and proofs[p.name].status != "proved"))]
        if infer is not None and wanted and not prover.interrupted:
            inferred = infer(model, wanted, timeout=_left(timeout, t0, infer_timeout),
                             progress=say)
            for p in wanted:
                proof = _inferred_proof(inferred.results[p.name])
                if proof.status == "proved" or p.name not in proofs:
                    proofs[p.name] = proof
    todo = [p for p in safety if p.name not in lengths and not prover.interrupted
            and (proofs.get(p.name) is None or proofs[p.name].status != "proved")]

    def tick(d, secs):
        if progress:
            progress(d, secs)
    bmc_mode, shorten, portfolio = bmc_how
    if bmc_mode == "find":
        run = bmc_find.run(model, todo, depth, timeout=_left(timeout, t0, bmc_budget), enc=enc,
                           progress=tick, stop=lambda: prover.interrupted, shorten=shorten,
                           members=portfolio)
    else:
        run = bmc.run(model, todo, depth, timeout=_left(timeout, t0, bmc_budget), enc=enc,
                      progress=tick, stop=lambda: prover.interrupted)
    hits.update(run.hits)
    errors.update(run.errors)
    errors = {k: v for k, v in errors.items() if v}
    if errors and not keep_going:
        raise EncodingError("; ".join(f"{n}: {e}" for n, e in errors.items()))
    res = CheckResult(model.check.name, model.check.variant, model.check.params, "z3",
                      depth=max(run.depth, 0), stop_reason=run.stop_reason,
                      complete=run.stop_reason is None, bmc_depth=run.depth, bmc_bound=depth,
                      bmc_times=run.times, bmc_properties=len(todo), mismatches=[f"{n}: {e}" for n, e in errors.items()])
    for p in model.properties:
        if p.kind not in SAFETY_KINDS:
            res.properties.append(PropertyResult(
                p.name, p.kind, p.formula, UNKNOWN, p.doc, method="z3",
                detail="liveness is not checked by the z3 engine"))
            continue
        method = "BMC (length check)" if p.name in lengths else "BMC"
        if p.name in errors:
            res.properties.append(PropertyResult(p.name, p.kind, p.formula, UNKNOWN, p.doc,
                                                 method=method, detail="MISMATCH: " + errors[p.name]))
            continue
        hit = hits.get(p.name)
        if hit is not None:
            verdict = VIOLATED if p.kind == "always" else HOLDS
            what = "counterexample" if p.kind == "always" else "witness"
            detail = f"shortest {what}"
            if not hit.shortest:
                within = (f"none within {hit.none_within} steps" if hit.none_within >= 0
                          else "shorter ones not ruled out")
                detail = f"{what} of {len(hit.trace)} steps, not proven shortest ({within})"
            if bmc_mode == "find" and p.name not in lengths:
                method += " (find)"
            res.properties.append(PropertyResult(p.name, p.kind, p.formula, verdict, p.doc,
                                                 hit.trace, len(hit.trace), method,
                                                 detail, hit.seconds, shortest=hit.shortest))
            continue
        if p.name in lengths:  # its confirmation was interrupted
            res.properties.append(PropertyResult(p.name, p.kind, p.formula, UNKNOWN, p.doc,
                                                 method=method, detail="interrupted"))
            continue
        proof = proofs.get(p.name)
        if proof is not None and proof.status == "proved":
            res.properties.append(_verdict(model.system, p, None, proof))
            continue
        bound = (f"up to depth {run.depth}" if run.stop_reason is None
                 else f"up to depth {run.depth} (BMC stopped: {run.stop_reason})")
        bounded = ("holds " if p.kind == "always" else "no witness ") + bound
        if p not in todo:
            bounded = "not checked by BMC (interrupted)"
        if prove and proof is None and run.stop_reason != "interrupted":
            proof = _prove(prover, p, spacer, _left(timeout, t0, proof_timeout), kmax)
        res.properties.append(_verdict(model.system, p, bounded, proof))
    res.seconds = time.monotonic() - t0
    res.inference = inferred
    if prover.interrupted:
        res.stop_reason, res.complete = "interrupted", False
    return res


def _inferred_proof(r) -> Proof:
    """A Proof from an inference outcome (``engines.inference.Inferred``)."""
    if r.status == "proved":
        return Proof("proved", "k-induction with inferred strengthening k=1", r.seconds,
                     f"inferred: {r.detail}")
    detail = f"inference {r.status}: {r.detail}"
    if r.dropped_last:
        detail += "; dropped last: " + "; ".join(r.dropped_last[:6])
        if len(r.dropped_last) > 6:
            detail += f" (and {len(r.dropped_last) - 6} more)"
    return Proof("failed" if r.status == "failed" else "unknown", "invariant inference",
                 r.seconds, detail, [], r.cti or None)


def _confirm(model, p, length: int, enc, timeout):
    """(Hit or None, mismatch text or "") for a trace length the explicit engine found."""
    try:
        hit, why = bmc.confirm_length(model, p, length, enc=enc, timeout=timeout)
    except EncodingError as err:
        return None, str(err)
    if hit is None:
        return None, f"the explicit engine's {length}-step trace is not confirmed: {why}"
    return hit, ""


def _left(timeout, t0, proof_timeout):
    if timeout is None:
        return proof_timeout
    left = max(0.001, timeout - (time.monotonic() - t0))
    return left if proof_timeout is None else min(left, proof_timeout)


def _prove(prover: Prover, p, spacer: bool, budget, kmax: int) -> Proof:
    """k-induction, then (with ``spacer``) Spacer; Ctrl-C ends the attempt as unknown and marks
    the prover, so the remaining proofs are skipped."""
    if prover.interrupted:
        return Proof("unknown", "k-induction", 0.0, "not attempted: interrupted")
    proof = _attempt(prover, p, spacer, budget, kmax)
    if prover.interrupted and proof.status != "proved":
        return Proof("unknown", proof.method, proof.seconds, "interrupted")
    return proof


def _attempt(prover: Prover, p, spacer: bool, budget, kmax: int) -> Proof:
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
    base = {"name": p.name, "kind": p.kind, "formula": p.formula, "doc": p.doc}
    if proof is None:
        return PropertyResult(**base, verdict=UNKNOWN, method="BMC", detail=bounded)
    if proof.status == "proved":
        # always P proved: holds; sometimes P: its negation is invariant, so no witness exists
        verdict = HOLDS if p.kind == "always" else VIOLATED
        what = "no reachable state violates it" if p.kind == "always" else "no witness exists"
        detail = f"proved: {what}" + (f"; BMC: {bounded}" if bounded else "")
        return PropertyResult(**base, verdict=verdict, method=proof.method, detail=detail,
                              seconds=proof.seconds)
    # a sometimes-property's witness usually lies past the bound: its CTI would be noise
    cti = None
    if p.kind == "always":
        cti = proof.cti_text or [describe_state(system, x) for x in proof.cti]
    outcome = "failed" if proof.status == "failed" else "gave no answer"
    return PropertyResult(**base, verdict=UNKNOWN, method=f"BMC; {proof.method} {outcome}",
                          detail=f"{bounded}; {proof.method}: {proof.detail}",
                          seconds=proof.seconds, cti=cti)
