"""A conformance run: the cases generated for a variant, run against the kernel, and judged
by every variant compared (the table of who predicts the kernel)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import COMPARED, predict, runner
from .case import Case, Observed


@dataclass
class Result:
    """One case: its run on the kernel and each compared variant's verdict."""
    case: Case
    observed: Observed | None
    verdicts: dict = field(default_factory=dict)   # variant -> predict.Verdict

    @property
    def verdict(self) -> predict.Verdict:
        """The verdict of the variant the case was generated from."""
        return self.verdicts[self.case.variant]

    @property
    def status(self) -> str:
        return self.verdict.status


@dataclass
class Suite:
    variant: str
    results: list
    compared: tuple
    seconds: float = 0.0
    kernel: str = ""
    settings: dict = field(default_factory=dict)

    def count(self, status: str, variant: str | None = None) -> int:
        v = variant or self.variant
        return sum(1 for r in self.results if r.verdicts[v].status == status)


def run_cases(cases: list, variant: str, *, compared=COMPARED, jobs: int = 4, slow: bool = False,
              peer_iss=None, progress=None) -> Suite:
    """Run every case that can run (slow ones only with ``slow``), judge each on ``compared``
    (and on ``variant``); skipped cases keep their reasons."""
    compared = tuple(dict.fromkeys(tuple(compared) + (variant,) + tuple(c.variant for c in cases)))
    t0 = time.monotonic()
    results = [Result(c, None) for c in cases]
    todo = [i for i, c in enumerate(cases) if not c.skip and (slow or not c.slow)]

    def keep_going(case, i, seen_one, _seen={}):
        seen = _seen.setdefault(id(case), [])
        seen.append(seen_one)
        return predict.still_agrees(case.variant, case, seen)

    def done(k, obs):
        r = results[todo[k]]
        r.observed = obs
        _judge(r, compared)
        if progress:
            progress(r)

    runner.run_many([cases[i] for i in todo], keep_going=keep_going, jobs=jobs,
                    peer_iss=peer_iss, on_done=done)
    for r in results:
        if r.observed is None:
            why = r.case.skip or ("needs a long timer: " + _slow_reason(r.case)
                                  + " (run with --slow)")
            r.verdicts = {v: predict.Verdict(v, predict.SKIPPED, reason=why) for v in compared}
            if progress:
                progress(r)
    suite = Suite(variant, results, compared, round(time.monotonic() - t0, 2))
    ran = [r.observed for r in results if r.observed and r.observed.kernel]
    if ran:
        suite.kernel, suite.settings = ran[0].kernel, _common_settings(ran)
    return suite


def _common_settings(runs: list) -> dict:
    """The settings of the first run, its sysctls split into those every run used and those
    only some did (``per_test``: name -> the values used, as the model's parameters chose)."""
    settings = dict(runs[0].settings)
    every = [r.settings.get("sysctls", {}) for r in runs]
    names = dict.fromkeys(k for sysctls in every for k in sysctls)
    common, per_test = {}, {}
    for k in names:
        values = {sysctls.get(k) for sysctls in every}
        if len(values) == 1:
            common[k] = values.pop()
        else:
            per_test[k] = sorted(v for v in values if v is not None)
    settings["sysctls"] = common
    if per_test:
        settings["per_test"] = per_test
    return settings


def _judge(r: Result, compared) -> None:
    for v in compared:
        r.verdicts[v] = predict.judge(v, r.case, r.observed)


def _slow_reason(case: Case) -> str:
    from .kernel import SLOW_TIMERS
    return next((SLOW_TIMERS[s.event] for s in case.stimuli if s.event in SLOW_TIMERS
                 and s.kind == "timer"), "a long wait")
