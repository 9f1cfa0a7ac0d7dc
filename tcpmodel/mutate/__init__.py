"""Mutation analysis of the rules: do the checks' properties notice when a rule is wrong?

``operators``: one-rule mutants built from the rule data; ``evaluate``: one mutant on one check
(equivalent by comparing reactions and labelled successors, else killed / survived by its
verdicts); ``runner``: baselines and every mutant in parallel processes, with progress;
``summary``: scores per check, rule and kind, as text and JSON. See docs/mutation.md."""

from .operators import KINDS, Mutant, apply, generate
from .runner import MutationRun, Options, run

__all__ = ["KINDS", "Mutant", "MutationRun", "Options", "apply", "generate", "run"]
