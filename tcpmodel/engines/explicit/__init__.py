"""The explicit engine: breadth-first search over concrete states (the reference), and
liveness under fairness on the reachable graph it records.

``search``: the BFS and the check driver; ``vectorised`` + ``tables`` + ``store``: the same
search on whole numpy arrays of packed 64-bit states (the default); ``exploration``: what a
search leaves behind; ``fair_cycles`` + ``scc``: fair-cycle (lasso) search on the recorded
graph; ``liveness``: liveness verdicts of properties under the check's fairness."""

from .exploration import Exploration, Progress, progress_for
from .search import check, explore, explore_reference

__all__ = ["Exploration", "Progress", "check", "explore", "explore_reference", "progress_for"]
