"""A portfolio of SAT solver processes for one BMC query: the first answer wins.

The one satisfiable query of BMC's find mode costs 3-35 s of CPU on the shipped deep
counterexamples, and the time varies 2-3x with the SAT solver's random seed and with the
preprocessing (``MEMBERS``).  Run as separate processes (Z3 holds Python's lock while it
solves, so threads would not run side by side), the members answer the same question; the
first sat or unsat answer is the query's answer and the others are killed.  The query goes to
the members as SMT-LIB text (parsing a bound-20 unrolling takes 0.1-0.2 s) and a member's
model comes back as the values of its constants, made into a model of the parent's terms by a
solver that only holds those values: every trace decoded from it is still replayed on the
explicit engine, so a wrong value is an error, never a verdict.

``python portfolio.py FILE CONFIG SEED TIMEOUT OUT`` is a member: it
solves FILE and writes JSON to OUT (result, and the model's values when sat; a file, not a
pipe, which a large model would fill before the member exits).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import z3

# (preprocessing, seed) of the members, in the order they are started.  "eqs" is the
# one-shot solver's pipeline (``bmc.sat_solver``); "plain" skips propagate-values and
# solve-eqs.  Neither wins everywhere (docs/engines.md, "Portfolio"): eqs answers the
# unsatisfiable bound-10 queries in about 1 s (plain 3.6-4.1 s on crash), plain answered
# time-wait's satisfiable bound-20 query in 3.7-5.1 s where eqs took 11-45 s.
MEMBERS = (("eqs", 0), ("plain", 0), ("eqs", 1), ("plain", 1))
TACTICS = {"eqs": ("simplify", "propagate-values", "solve-eqs", "bit-blast", "sat"),
           "plain": ("simplify", "bit-blast", "sat")}


def member_solver(config: str, seed: int, timeout: float | None = None):
    """A one-shot bit-blasting SAT solver with ``config``'s preprocessing and ``seed``."""
    z3.set_param("sat.random_seed", seed)
    s = z3.Then(*TACTICS[config]).solver()
    if timeout is not None:
        s.set("timeout", max(1, int(timeout * 1000)))
    return s


class Answer:
    """One query's answer: ``result`` (z3.sat/unsat/unknown), ``model`` (sat: a model of the
    parent's terms), ``reason`` (unknown), ``winner`` (the member that answered),
    ``winner_cpu`` (its CPU seconds: a quiet machine's wall time for the query, with a core
    per member) and ``cpu`` (CPU seconds of all members, reaped)."""

    def __init__(self, result, model=None, reason: str = "", winner=None,
                 winner_cpu: float = 0.0):
        self.result, self.model, self.reason, self.winner = result, model, reason, winner
        self.winner_cpu, self.cpu = winner_cpu, 0.0


def solve(assertions: list, members: int, timeout: float | None = None, stop=None) -> Answer:
    """Solve the conjunction of ``assertions`` with the first ``members`` of ``MEMBERS`` side
    by side; ``stop()`` true ends the wait (unknown, "interrupted")."""
    s = z3.Solver()
    s.add(*assertions)
    before = _children_cpu()
    with tempfile.TemporaryDirectory(prefix="tcpmodel-bmc-") as tmp:
        query = os.path.join(tmp, "query.smt2")
        with open(query, "w") as f:
            f.write(s.to_smt2())
        procs = []
        try:
            for i, (config, seed) in enumerate(MEMBERS[:max(1, members)]):
                out = os.path.join(tmp, f"member{i}")
                with open(out + ".err", "w") as err:
                    # the file, not ``-m``: a member needs only z3, not the package's imports
                    procs.append(((config, seed), out, subprocess.Popen(
                        [sys.executable, os.path.abspath(__file__), query, config, str(seed),
                         "0" if timeout is None else repr(timeout), out + ".json"],
                        stdout=subprocess.DEVNULL, stderr=err)))
            answer = _first(procs, timeout, stop)
        finally:
            for _, _, p in procs:
                if p.poll() is None:
                    p.kill()
                p.wait()
    answer.cpu = _children_cpu() - before
    return answer


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _first(procs: list, timeout: float | None, stop) -> Answer:
    """The first sat or unsat answer of the member processes ``procs``: (member, output
    path without its suffix, process)."""
    t0 = time.monotonic()
    reasons = []
    running = list(procs)
    while running:
        if stop is not None and stop():
            return Answer(z3.unknown, reason="interrupted")
        if timeout is not None and time.monotonic() - t0 > timeout + 5:
            return Answer(z3.unknown, reason="timeout")
        for who, out, p in list(running):
            if p.poll() is None:
                continue
            running.remove((who, out, p))
            if p.returncode != 0 or not os.path.exists(out + ".json"):
                with open(out + ".err") as f:
                    err = f.read().strip()[-200:]
                reasons.append(f"member {who} failed: {err or p.returncode}")
                continue
            with open(out + ".json") as f:
                got = json.load(f)
            if got["result"] == "sat":
                return Answer(z3.sat, _model(got["values"]), winner=who, winner_cpu=got["cpu"])
            if got["result"] == "unsat":
                return Answer(z3.unsat, winner=who, winner_cpu=got["cpu"])
            reasons.append(got.get("reason", "unknown"))
        time.sleep(0.02)
    return Answer(z3.unknown, reason="; ".join(reasons))


def _model(values: dict):
    """A z3 model of the parent's terms holding exactly ``values`` (name -> [bits, value];
    bits 0 for a Boolean): ``eval(..., model_completion=True)`` then works on any term."""
    s = z3.Solver()
    for name, (bits, v) in values.items():
        s.add(z3.Bool(name) == bool(v) if bits == 0 else z3.BitVec(name, bits) == v)
    if s.check() != z3.sat:  # distinct names: cannot happen, but never a silent wrong model
        raise RuntimeError("a portfolio member's model is inconsistent")
    return s.model()


def _member(path: str, config: str, seed: int, timeout: float) -> dict:
    sol = member_solver(config, seed, timeout or None)
    sol.add(z3.parse_smt2_file(path))
    r = sol.check()
    if r == z3.sat:
        m = sol.model()
        values = {}
        for d in m.decls():
            if d.arity() != 0:
                continue
            v = m[d]
            if z3.is_bool(v):
                values[d.name()] = [0, int(z3.is_true(v))]
            elif z3.is_bv_value(v):
                values[d.name()] = [v.size(), v.as_long()]
        return {"result": "sat", "values": values, "cpu": time.process_time()}
    if r == z3.unsat:
        return {"result": "unsat", "cpu": time.process_time()}
    return {"result": "unknown", "reason": sol.reason_unknown()}


if __name__ == "__main__":
    _path, _config, _seed, _timeout, _out = sys.argv[1:6]
    _answer = _member(_path, _config, int(_seed), float(_timeout))
    with open(_out + ".part", "w") as _f:
        json.dump(_answer, _f)
    os.replace(_out + ".part", _out)   # whole or absent, never half written
