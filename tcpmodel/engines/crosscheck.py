"""Cross-checking the explicit and the z3 engine on one model.

The explicit engine is the reference.  A disagreement is a bug in one of them, so it is
reported as such (``tcpmodel check --engine both`` exits 4), never averaged away:

- decided verdicts differ (holds vs violated);
- both give a shortest trace and the lengths differ (BFS depth = first BMC depth);
- the z3 engine saw no violation (witness) up to depth K while BFS found one within K;
- a proof leaned on a strengthening that fails on a reachable state;
- a state BFS reached at depth d is not reachable in exactly d steps under Z3, or is
  reachable in fewer (``confirm_depths``);
- a state's successors under Z3's transition relation are not exactly the explicit engine's,
  or ``terminal`` differs (``confirm_successors``).
"""

from __future__ import annotations

import random

import z3

from ..props import SAFETY_KINDS
from ..results import UNKNOWN
from .symbolic.bmc import Unrolling, replay
from .symbolic.encoding import Encoding, EncodingError


def cross_check(model, eres, zres, *, samples: int = 2) -> dict:
    """Everything ``--engine both`` compares, as a JSON-ready summary (``agree`` is the verdict).
    ``samples``: BFS states per depth for ``confirm_depths`` and ``confirm_successors``."""
    problems = list(zres.mismatches) + compare(model, eres, zres)
    deep = local = []
    ex = getattr(eres, "_exploration", None)
    if samples and ex is not None and not zres.mismatches and zres.stop_reason != "interrupted":
        deep = sample_states(ex, samples, max_depth=max(zres.bmc_depth, zres.bmc_bound or 0))
        problems += confirm_depths(model, deep)
        local = sample_states(ex, samples, seed=1)
        problems += confirm_successors(model, [x for x, _ in local])
    return {"agree": not problems, "disagreements": problems, "bmc_depth": zres.bmc_depth,
            "depth_samples": len(deep), "successor_samples": len(local)}


def trace_depth(p) -> int | None:
    return len(p.trace) if p.trace is not None else None


def trace_lengths(explicit_res) -> dict:
    """Property name -> length of the explicit engine's shortest trace (for the z3 engine
    to confirm: ``symbolic.check(lengths=...)``)."""
    return {p.name: len(p.trace) for p in explicit_res.properties
            if p.trace is not None and p.kind in SAFETY_KINDS}


def compare(model, eres, zres) -> list[str]:
    """Disagreements between an explicit and a z3 result for the same model."""
    out = []
    zby = {p.name: p for p in zres.properties}
    ex = getattr(eres, "_exploration", None)
    failing: dict = {}  # strengthening text -> reachable states violating it (shared text: once)
    for e in eres.properties:
        z = zby.get(e.name)
        if z is None or e.kind not in SAFETY_KINDS:  # the z3 engine leaves liveness unknown
            continue
        if e.verdict != UNKNOWN and z.verdict != UNKNOWN and e.verdict != z.verdict:
            out.append(f"{e.name}: explicit says {e.verdict} ({e.method}), "
                       f"z3 says {z.verdict} ({z.method})")
        de, dz = trace_depth(e), trace_depth(z)
        if de is not None and dz is not None and de != dz:
            out.append(f"{e.name}: shortest trace {de} steps (BFS) but {dz} steps (BMC)")
        if de is not None and dz is None and zres.bmc_depth is not None and de <= zres.bmc_depth:
            out.append(f"{e.name}: BFS found a {de}-step trace, BMC none up to depth "
                       f"{zres.bmc_depth}")
        prop = next((p for p in model.properties if p.name == e.name), None)
        if (prop is not None and prop.strengthen_test is not None and ex is not None
                and ex.complete and z.method.startswith("k-induction with strengthening")):
            key = prop.strengthen.text
            if key not in failing:
                test = prop.strengthen_test
                failing[key] = sum(1 for s in ex.states if not test((s, None, None, None)))
            bad = failing[key]
            if bad:
                out.append(f"{e.name}: proved with a strengthening that fails on {bad:,} "
                           "reachable states")
    inf = getattr(zres, "inference", None)
    if inf is not None and ex is not None and ex.complete:
        for name, r in inf.results.items():
            if r.status == "proved":
                bad = len(states_violating(model, ex.states, r.text))
                if bad:
                    out.append(f"{name}: proved with an inferred strengthening that fails on "
                               f"{bad:,} reachable states")
    return out


def states_violating(model, states, text: str) -> list:
    """The explicit states where the state formula ``text`` is false (closure compiler: the
    explicit engine's meaning of the same text the z3 engine proved)."""
    from .. import expr as E
    from ..props import system_scope
    scope = system_scope(model.system, {k: t.node for k, t in model.check.defines.items()},
                         model.check.params)
    test = E.Compiler(scope).compile(E.parse(text), E.BOOL).fn
    return [s for s in states if not test((s, None, None, None))]


def sample_states(exploration, per_depth: int = 1, max_depth: int | None = None,
                  seed: int = 0) -> list:
    """(state, BFS depth) samples: up to ``per_depth`` states of each depth."""
    rng = random.Random(seed)
    depth_of = [0] * len(exploration.states)
    by_depth: dict = {}
    for sid in range(len(exploration.states)):
        par = exploration.parent[sid]
        d = depth_of[sid] = 0 if par < 0 else depth_of[par] + 1  # BFS ids: parents come first
        by_depth.setdefault(d, []).append(sid)
    out = []
    for d in sorted(by_depth):
        if max_depth is not None and d > max_depth:
            break
        for sid in rng.sample(by_depth[d], min(per_depth, len(by_depth[d]))):
            out.append((exploration.states[sid], d))
    return out


def confirm_depths(model, samples: list, enc: Encoding | None = None,
                   timeout: float | None = None) -> list[str]:
    """Each (state, d): Z3 reaches it in exactly d steps (a run the explicit engine replays)
    and in no fewer.  Returns the failures."""
    enc = enc or Encoding(model)
    if not samples:
        return []
    un = Unrolling(enc, prefix="cd_", guarded=True)
    while un.depth < max(d for _, d in samples):
        un.extend()
    sol = un.solver
    if timeout is not None:
        sol.set("timeout", max(1, int(timeout * 1000)))
    out = []
    for x, d in samples:
        if d > 0:
            sooner = z3.Or([enc.lay.equals(un.states[j], x) for j in range(d)])
            r = sol.check(_assume(sol, sooner), *un.active(d - 1))
            if r != z3.unsat:
                out.append(f"state {x} (BFS depth {d}) is reachable in fewer steps under Z3"
                           if r == z3.sat else f"state {x}: Z3 {r} on 'fewer than {d} steps'")
                continue
        r = sol.check(_assume(sol, enc.lay.equals(un.states[d], x)), *un.active(d))
        if r != z3.sat:
            out.append(f"state {x} (BFS depth {d}): Z3 says {r} for reachability in {d} steps")
            continue
        path = un.decode(sol.model(), d)
        try:
            replay(model.system, path)
        except EncodingError as err:  # the decoded run must be an explicit run
            out.append(f"state {x}: Z3's {d}-step run is not an explicit run: {err}")
    return out


def _assume(sol, term):
    lit = z3.FreshBool("sample")
    sol.add(z3.Implies(lit, term))
    return lit


def confirm_successors(model, states: list, enc: Encoding | None = None,
                       limit: int = 200) -> list[str]:
    """For each explicit state: the Z3 transition relation has exactly the explicit engine's
    successors (enumerated with blocking clauses), and ``terminal`` agrees.  Returns the
    failures.  A local check: no unrolling, so it is cheap enough for many states."""
    enc = enc or Encoding(model)
    lay = enc.lay
    s, t = enc.state("cs_s_"), enc.state("cs_t_")
    tr, _ = enc.trans(s, enc.choice("cs_c_"), t)
    terminal = enc.terminal(s)
    out = []
    for x in states:
        want = {y for _, y in model.system.successors(x)}
        sol = z3.SolverFor("QF_BV")
        sol.add(lay.equals(s, x), tr)
        got = set()
        while len(got) <= limit and sol.check() == z3.sat:
            y = lay.decode(sol.model(), t)
            got.add(y)
            sol.add(z3.Not(lay.equals(t, y)))
        if got != want:
            extra, missing = got - want, want - got
            out.append(f"state {x}: Z3 successors differ from the explicit engine's "
                       f"({len(extra)} extra, e.g. {min(extra) if extra else '-'}; "
                       f"{len(missing)} missing, e.g. {min(missing) if missing else '-'})")
        sol = z3.SolverFor("QF_BV")
        sol.add(lay.equals(s, x), terminal if want else z3.Not(terminal))
        if sol.check() != z3.unsat:
            out.append(f"state {x}: 'terminal' is {not want} for the explicit engine "
                       "but not for Z3")
    return out
