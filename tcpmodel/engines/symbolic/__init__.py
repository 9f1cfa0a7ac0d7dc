"""The z3 engine: the composed system as Z3 bit-vector constraints, compiled from the same rule
and check data as the explicit engine.

``exprs``: the expression language's Z3 backend; ``state`` + ``channels``: the state vector and
channel operations; ``reactions``: one endpoint's rules as a circuit; ``encoding``: one step of
the composed system; ``formulas``: property formulas as predicates; ``bmc``: bounded model
checking (``bmc_find``: its find mode, one query per bound); ``induction``: k-induction and Spacer proofs; ``engine``: the check driver."""

from .bmc_find import DEFAULT_SHORTEN
from .engine import BOTH_DEPTH, DEFAULT_BMC_BUDGET, DEFAULT_DEPTH, check

__all__ = ["BOTH_DEPTH", "DEFAULT_BMC_BUDGET", "DEFAULT_DEPTH", "DEFAULT_SHORTEN", "check"]
