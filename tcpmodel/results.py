"""Verdicts and run summaries shared by every engine, with their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field

HOLDS = "holds"
VIOLATED = "violated"
UNKNOWN = "unknown"


@dataclass
class PropertyResult:
    name: str
    kind: str
    formula: str
    verdict: str              # holds / violated / unknown
    doc: str = ""
    trace: object = None      # Trace: counterexample (always) or witness (sometimes)
    depth: int | None = None  # length of the trace
    method: str = "explicit"  # which engine/method decided it
    detail: str = ""          # e.g. "up to depth 20", "no witness in 1,234 states"
    seconds: float | None = None
    cti: list | None = None   # a failed induction proof: the states of its counterexample, as text
    shortest: bool = True     # the trace is proven shortest (BMC's find mode may not prove it)

    def to_json(self) -> dict:
        d = {"verdict": self.verdict, "kind": self.kind, "formula": " ".join(self.formula.split()),
             "method": self.method}
        if self.detail:
            d["detail"] = self.detail
        if self.depth is not None:
            d["depth"] = self.depth
        if self.trace is not None:
            d["trace"] = self.trace.to_json()
        if self.seconds is not None:
            d["seconds"] = round(self.seconds, 3)
        if self.cti:
            d["counterexample_to_induction"] = self.cti
        if self.trace is not None and not self.shortest:
            d["shortest"] = False
        return d


@dataclass
class CheckResult:
    name: str
    variant: str
    params: dict
    engine: str
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    complete: bool = False
    stop_reason: str | None = None     # max-states, timeout, interrupted
    properties: list = field(default_factory=list)
    terminal_states: int = 0
    overflow_drops: int = 0
    unfired_rules: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    peak_memory_mb: float | None = None
    liveness_seconds: float | None = None
    bmc_depth: int | None = None        # z3 engine: deepest depth BMC checked completely
    bmc_bound: int | None = None        # z3 engine: the depth BMC was asked to reach
    bmc_times: list | None = None       # z3 engine: seconds per BMC depth
    bmc_properties: int = 0             # z3 engine: properties left to BMC (not proved/confirmed)
    mismatches: list = field(default_factory=list)  # z3 said what the explicit engine refutes

    @property
    def verdicts(self) -> list[str]:
        return [p.verdict for p in self.properties]

    def exit_code(self) -> int:
        v = self.verdicts
        if VIOLATED in v:
            return 1
        if UNKNOWN in v:
            return 3
        return 0

    def to_json(self) -> dict:
        return {
            "name": self.name, "variant": self.variant, "engine": self.engine,
            "parameters": self.params, "states": self.states, "transitions": self.transitions,
            "depth": self.depth, "seconds": round(self.seconds, 3), "complete": self.complete,
            "stop_reason": self.stop_reason, "terminal_states": self.terminal_states,
            "overflow_drops": self.overflow_drops, "unfired_rules": self.unfired_rules,
            "warnings": self.warnings, "liveness_seconds": (round(self.liveness_seconds, 3)
                                                            if self.liveness_seconds is not None
                                                            else None),
            **({"mismatches": self.mismatches} if self.mismatches else {}),
            "properties": {p.name: p.to_json() for p in self.properties},
        } | ({"bmc_depth": self.bmc_depth, "bmc_bound": self.bmc_bound,
              "bmc_properties": self.bmc_properties,
              "bmc_seconds_per_depth": [round(t, 3) for t in self.bmc_times or []]}
             if self.bmc_depth is not None else {})
