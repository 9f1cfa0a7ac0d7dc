"""Conformance of a real TCP stack to the model: tests generated from the rules, run against
the local Linux kernel in private network namespaces, judged by every variant.

The Python entry points (the CLI is ``tcpmodel conform``):

- :func:`available`: why the kernel cannot be tested here (one line), or None;
- :func:`run_trace`: one model run (a system, its start state and its moves) against the
  kernel, the kernel playing one endpoint: the observed run and each variant's verdict;
- :func:`run_suite`: generated cases (``generate.rule_cases`` and friends) against the kernel.

Modules: ``packets`` (IPv4/TCP bytes), ``netns`` (namespace, TUN, sysctls), ``diag`` (socket
states), ``seqmap`` (model <-> real sequence numbers), ``kernel`` (the socket and the peer of
one test), ``runner`` (a forked child per test), ``cases`` (model runs to cases), ``generate``
(rule coverage, scenarios, walks), ``predict`` (a variant's verdict), ``suite``, ``report``.
"""

from __future__ import annotations

# the variants a conformance summary compares (here, not in suite.py: the CLI's parser reads it
# on every command, and suite.py imports the whole runner)
COMPARED = ("rfc9293", "rfc5961", "rfc1337", "linux")


def available() -> str | None:
    """Why conformance tests cannot run on this machine (one line), or None if they can."""
    from .runner import probe
    why = probe()
    return None if why is None else f"{why[0]} ({why[1]})" if why[1] else why[0]


def run_trace(system, start: tuple, moves: list, side: int, *, variants=None,
              name: str = "trace", peer_iss: int | None = None):
    """Run one model run against the kernel, which plays endpoint ``side`` (0 = A, 1 = B) of
    ``system``; ``moves`` are (action, next state) pairs from ``start``, as a scenario search
    (``Outcome.start``, ``Outcome.moves``) or a checker's trace gives them.

    Returns a :class:`~tcpmodel.conform.suite.Result`: ``.case`` (the stimuli and what the
    run's variant expects), ``.observed`` (what the kernel did, per stimulus), ``.verdicts``
    (variant -> pass / diverge / skipped / incomplete, with the first difference) and
    ``.status`` (the verdict of the run's own variant).  A run the kernel cannot take part in
    (a crash of its endpoint, a timer it has no equivalent for) is ``skipped`` with the reason.
    """
    from .cases import case_from_run
    from .suite import run_cases

    case = case_from_run(system, start, moves, side, name=name, origin="trace")
    variants = tuple(variants) if variants else COMPARED
    return run_cases([case], case.variant, compared=variants, jobs=1, slow=True,
                     peer_iss=peer_iss).results[0]


def run_suite(cases: list, variant: str, **kwargs):
    """Run generated cases (see :mod:`tcpmodel.conform.generate`); a :class:`Suite`."""
    from .suite import run_cases
    return run_cases(cases, variant, **kwargs)
