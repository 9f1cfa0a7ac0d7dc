"""The mutation run: baselines, then every mutant on the checks that reach its rule, in
parallel worker processes, with progress lines on stderr.

Work is split by mutant: a worker evaluates one mutant on each check that tries its rule,
cheapest check first. Each worker runs a check's baseline once and keeps it (compiled rules
are closures: they do not cross process boundaries, so every worker builds its own).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from ..check import list_checks, load_check
from ..errors import InputError
from ..spec import load_variant
from .evaluate import STAGES, Outcome, Trial, run_baseline
from .operators import KINDS, Mutant, apply, check_kinds, generate


@dataclass
class Options:
    variant: str | None = None        # forced on every check; None: the checks' own (common) one
    overrides: dict = field(default_factory=dict)     # --set
    properties: list | None = None    # --property
    kinds: tuple = KINDS
    rules: tuple | None = None        # only these rule ids
    overlay: bool = False             # only the rules the variant's own file adds or replaces
    max_states: int | None = None     # per mutant run; None: a multiple of the baseline
    timeout: float | None = 60.0      # per mutant run
    matrix: bool = False              # every check that reaches the rule, even after a kill
    jobs: int = 1


@dataclass
class MutantResult:
    mutant: Mutant
    description: str
    states: tuple                     # the states the rule covers
    outcomes: dict = field(default_factory=dict)   # check -> Outcome
    refused: str | None = None        # why the completeness check refused it

    @property
    def status(self) -> str:
        """refused, killed, survived, unknown, equivalent, or unexercised (no check tries the rule)."""
        if self.refused is not None:
            return "refused"
        got = {o.status for o in self.outcomes.values()}
        for s in ("killed", "refused", "survived", "unknown"):
            if s in got:
                return s
        return "equivalent" if self.outcomes else "unexercised"


@dataclass
class MutationRun:
    """What ``tcpmodel mutate`` reports: every mutant with its outcome on each check."""
    variant: str
    checks: list            # baseline summaries, in the order given
    mutants: list           # [MutantResult]
    seconds: float = 0.0
    options: Options | None = None

    @property
    def score(self) -> float | None:
        """Killed over killed + survived + unknown + unexercised, in percent (docs/mutation.md)."""
        from .summary import overall
        return overall(self)["score"]

    def status(self, mutant_id: str) -> str:
        """The status of one mutant, by its id (``delete:sync-rst``)."""
        return next(r.status for r in self.mutants if r.mutant.id == mutant_id)

    def text(self, *, all_rules: bool = False) -> str:
        from .summary import render
        return render(self, all_rules=all_rules)

    def to_json(self) -> dict:
        from .summary import to_json
        return to_json(self)


def limit_for(states: int, opts: Options) -> int:
    """States a mutant run may explore: mutants often have far larger graphs than the baseline."""
    return opts.max_states if opts.max_states is not None else max(4 * states, 20_000)


# ------------------------------------------------------------ worker side

_W: dict = {}


def _init(opts: Options) -> None:
    _W.clear()
    _W["opts"] = opts
    _W["bases"] = {}


def _baseline(name: str):
    bases = _W["bases"]
    if name not in bases:
        o = _W["opts"]
        bases[name] = run_baseline(name, o.variant, o.overrides, o.properties)
    return bases[name]


def _baseline_task(name: str) -> dict:
    return _baseline(name).summary()


def _mutant_task(job) -> dict:
    """One mutant on its checks, stage by stage across the checks (every check's cheap
    analysis before any full run); without --matrix it stops at the first kill."""
    mutant, names = job
    opts = _W["opts"]
    trials = []
    for name in names:
        base = _baseline(name)
        trials.append((name, Trial(base, mutant, max_states=limit_for(base.states, opts),
                                   timeout=opts.timeout)))
    for stage in STAGES:
        for name, t in trials:
            out = t.step(stage)
            if out is not None and out.status == "killed" and not opts.matrix:
                return {n: x.outcome for n, x in trials if x.outcome is not None}
    return {n: x.outcome for n, x in trials}


# ------------------------------------------------------------ driver

def resolve_variant(names: list, opts: Options):
    """The variant whose rules are mutated: --variant, else the checks' common variant."""
    if opts.variant:
        return load_variant(opts.variant)
    variants = {}
    for n in names:
        c = load_check(n, overrides=opts.overrides)
        variants.setdefault(c.spec.name, c.spec)
    if len(variants) > 1:
        raise InputError(f"the checks use different variants ({', '.join(sorted(variants))})",
                         where="command line",
                         fix="pick the variant to mutate with --variant (every check then runs on it)")
    return next(iter(variants.values()))


def run(names: list | None, opts: Options, stream=sys.stderr) -> MutationRun:
    """Mutate the variant's rules and evaluate every mutant on the checks (see the package doc).
    ``names`` None: every shipped check, on ``opts.variant`` (default rfc9293)."""
    t0 = time.monotonic()
    opts.kinds = check_kinds(opts.kinds)
    if not names:
        names = list_checks()
        if opts.variant is None:
            opts.variant = "rfc9293"
    spec = resolve_variant(names, opts)
    wanted = set(opts.rules) if opts.rules else None
    if opts.overlay:
        own = {r.id for r in spec.rules if r.src.file == spec.files[-1]}
        if len(spec.files) == 1:
            raise InputError(f"{spec.name} is a base rule file, not an overlay", where="--overlay",
                             fix="drop --overlay, or pass --variant with an overlay")
        wanted = own if wanted is None else wanted & own
    if wanted is not None:
        unknown = sorted(wanted - {r.id for r in spec.rules})
        if unknown:
            from ..errors import did_you_mean
            raise InputError(f"no rule '{unknown[0]}' in {spec.name}", where="--rule",
                             fix=did_you_mean(unknown[0], [r.id for r in spec.rules]))
    rules = {r.id: r for r in spec.rules}
    results = []
    for m in generate(spec, opts.kinds, wanted):
        r = MutantResult(m, m.describe(rules[m.rule]), rules[m.rule].states)
        try:
            apply(spec, m)
        except InputError as e:
            r.refused = e.what
        results.append(r)
    progress = _Progress(stream, len(results))
    pool = None
    if opts.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        pool = ProcessPoolExecutor(opts.jobs, initializer=_init, initargs=(opts,))
    else:
        _init(opts)
    try:
        mapper = pool.map if pool else map
        bases = list(mapper(_baseline_task, names))
        progress.baselines(bases)
        cost = {b["name"]: b["seconds"] for b in bases}
        jobs, todo = [], []
        for r in results:
            if r.refused is not None:
                progress.done(r)
                continue
            where = sorted((b["name"] for b in bases if r.mutant.rule in b["tried"]),
                           key=cost.get)
            if not where:
                progress.done(r)
                continue
            jobs.append((r.mutant, where))
            todo.append(r)
        if pool:
            from concurrent.futures import as_completed
            futures = {pool.submit(_mutant_task, j): r for j, r in zip(jobs, todo)}
            for f in as_completed(futures):
                futures[f].outcomes = f.result()
                progress.done(futures[f])
        else:
            for j, r in zip(jobs, todo):
                r.outcomes = _mutant_task(j)
                progress.done(r)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    progress.finish()
    return MutationRun(spec.name, bases, results, time.monotonic() - t0, opts)


class _Progress:
    """A line on stderr every few seconds: mutants done, by status."""

    def __init__(self, stream, total: int, every: float = 2.0):
        self.stream = stream
        self.total = total
        self.every = every
        self.start = time.monotonic()
        self.next = self.start + every
        self.count = 0
        self.by: dict = {}

    def _say(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(f"  [mutate] {text}\n")
            self.stream.flush()

    def baselines(self, bases: list) -> None:
        secs = sum(b["seconds"] for b in bases)
        self._say(f"{len(bases)} baselines ({sum(b['states'] for b in bases):,} states, "
                  f"{secs:.1f} s); {self.total} mutants")

    def done(self, r: MutantResult) -> None:
        self.count += 1
        self.by[r.status] = self.by.get(r.status, 0) + 1
        now = time.monotonic()
        if now >= self.next:
            self.next = now + self.every
            self._say(self._line(now))

    def _line(self, now: float) -> str:
        parts = ", ".join(f"{n} {s}" for s, n in sorted(self.by.items()))
        return f"{self.count}/{self.total} mutants: {parts}, {now - self.start:.0f} s"

    def finish(self) -> None:
        if time.monotonic() - self.start >= self.every:
            self._say(self._line(time.monotonic()))


__all__ = ["MutantResult", "MutationRun", "Options", "Outcome", "run"]
