"""What a conformance test is, and what running it against the kernel observed.

A :class:`Case` is a model run turned into *stimuli* for the kernel side: the user calls of
the endpoint the kernel plays, the segments that reach it (the tester plays the peer and the
network, attacker injections included), and the timeouts it must take.  Everything else in the
run (the peer's own steps, losses, segments to the peer) is the tester's business and needs no
action on the wire.  An :class:`Observed` run records, per stimulus, what the kernel did.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .seqmap import Context


@dataclass
class Stimulus:
    kind: str               # call, segment, timer
    event: str              # the user call, the segment's event (rcv_syn, ...), or the timer
    step: int               # the model run's step number (1-based) this stimulus is
    ctx: Context            # the kernel side's model TCB before the step
    ctx_after: Context      # ... and after it
    seg: int | None = None  # segment stimuli: the model segment (rule-visible code)
    seg_text: str = ""      # the same in RFC notation (model numbers)


@dataclass
class Expected:
    """What the generating variant's kernel side does at a stimulus."""
    sent: str | None        # segment in RFC notation (model numbers), or None
    state: str
    signal: str | None
    rule: str | None


@dataclass
class Case:
    """One conformance test."""
    name: str                       # e.g. rule:listen-rcv-syn, scenario:fig6-handshake/B, walk:3
    origin: str                     # rules, scenario, walk, trace
    variant: str                    # the variant whose run this is
    side: int                       # the model endpoint the kernel plays (0 = A, 1 = B)
    params: dict                    # the model's parameters
    trace: object                   # the model run (tcpmodel.trace.Trace), both endpoints
    stimuli: list = field(default_factory=list)
    expected: list = field(default_factory=list)   # Expected per stimulus
    skip: str | None = None         # why the kernel cannot run it (never silently dropped)
    slow: bool = False              # needs a long timer (2 MSL): runs only with --slow
    rule: str | None = None         # rule-coverage tests: the rule this test fires
    peer_iss: int | None = None     # the tester's real ISS (default: seqmap wrap-around value)

    @property
    def side_name(self) -> str:
        return "AB"[self.side]


@dataclass
class Seen:
    """What the kernel did after one stimulus (segments in model and in real numbers)."""
    sent: list                      # model RFC notation, in order
    real: list                      # the same segments with real numbers
    state: str                      # the kernel socket's state (RFC name)
    signal: str | None              # deliver, reset, refused, aborted, or None
    observable: bool                # the application still holds the socket
    detail: str = ""                # errno, EOF, kernel state details
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Observed:
    """A run of a case on the kernel: one :class:`Seen` per stimulus that ran."""
    seen: list = field(default_factory=list)
    error: str | None = None        # the run could not complete (harness or kernel trouble)
    stopped: int | None = None      # the stimulus after which the run stopped (first divergence)
    kernel: str = ""                # uname -r
    settings: dict = field(default_factory=dict)   # sysctls, route and socket options used
    seconds: float = 0.0
    packets: int = 0

    def to_json(self) -> dict:
        d = asdict(self)
        d["seen"] = [s.to_json() for s in self.seen]
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Observed":
        seen = [Seen(**s) for s in d.pop("seen", [])]
        return cls(seen=seen, **d)
