"""Sequence numbers between the model and the kernel.

The model counts modulo a small ``seq_space`` (8 by default) with a receive window of a few
octets; the kernel counts modulo 2**32 from a random ISS with a window of ~64 KB.  Two number
spaces matter in one test:

- the *peer space* (the tester's SEQ, the kernel's ACK): the tester chooses its real ISS;
- the *kernel space* (the kernel's SEQ, the tester's ACK): learnt from the kernel's SYN or
  SYN,ACK, per incarnation.

Each space is an affine map unwrapped around a reference pair (model value, real value) that
follows the connection (the kernel's latest ACK for the peer space, its latest SEQ for the
kernel space), so values keep their meaning across 2**32 wrap-around and across the model's
small modulus.  A segment the model puts *outside* its 2-octet window is placed outside the
kernel's real window on the same side (ahead: 2**30 beyond RCV.NXT; behind: below RCV.NXT),
so "in window" means the same thing to both.  Far beyond, not just past the advertised edge:
the window a kernel advertises is not always the one it checks (a simultaneous open without
window scaling leaves the kernel's own scale in its advertisements).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MOD = 1 << 32
FAR = 1 << 30      # beyond any receive window, yet ahead (serial order) of RCV.NXT
NO_WINDOW = ("CLOSED", "LISTEN", "SYN-SENT")   # no RCV.NXT yet: nothing to check against
NO_ISS = ("CLOSED", "LISTEN")                   # no ISS yet: an ACK field means nothing


def signed32(x: int) -> int:
    """``x`` modulo 2**32 as a signed distance in [-2**31, 2**31)."""
    x %= MOD
    return x - MOD if x >= 1 << 31 else x


@dataclass
class Space:
    """One number space: model value ``ref_model`` corresponds to real value ``ref_real``."""
    n: int
    ref_model: int
    ref_real: int

    def signed(self, d: int) -> int:
        """A model distance modulo n, read as signed in [-n/2, n/2)."""
        d %= self.n
        return d - self.n if d >= self.n // 2 else d

    def real(self, m: int) -> int:
        return (self.ref_real + self.signed(m - self.ref_model)) % MOD

    def model(self, real: int) -> int:
        return (self.ref_model + signed32(real - self.ref_real)) % self.n

    def follow(self, real: int) -> None:
        """Move the reference to ``real`` (a value the kernel just used), same mapping."""
        self.ref_model, self.ref_real = self.model(real), real % MOD


@dataclass
class Context:
    """The kernel endpoint's model TCB before a stimulus (what "in window" is judged by)."""
    state: str
    rcv_nxt: int = 0
    snd_una: int = 0
    inc: int = 0          # the kernel side's incarnation after the stimulus (1, 2, ...)
    iss: int = 0          # its model ISS in that incarnation

    @property
    def has_window(self) -> bool:
        return self.state not in NO_WINDOW

    @property
    def has_iss(self) -> bool:
        return self.state not in NO_ISS


@dataclass
class SeqMap:
    """Both spaces of one test, the kernel's receive window, and what was shifted."""
    n: int
    rcv_wnd: int                 # the model's window (octets)
    peer: Space                  # model ISS of the peer <-> the tester's real ISS
    kernel: Space | None = None  # learnt from the kernel's SYN
    kernel_inc: int = 0          # incarnation the kernel space was learnt in
    shifted: dict = field(default_factory=dict)   # real -> model, window-shifted peer values

    @classmethod
    def start(cls, n: int, rcv_wnd: int, peer_model_iss: int, peer_real_iss: int) -> "SeqMap":
        return cls(n, rcv_wnd, Space(n, peer_model_iss % n, peer_real_iss % MOD))

    # ------------------------------------------------------------ learning from the kernel

    def learn_iss(self, real_iss: int, model_iss: int, inc: int, fresh: bool = False) -> None:
        """The kernel's SYN or SYN,ACK of incarnation ``inc`` carried ISS ``real_iss``;
        ``fresh``: it was sent from a state without an ISS (a new one was chosen: the model may
        reuse its ISS within an incarnation, the kernel picks a new one each time)."""
        if self.kernel is None or inc != self.kernel_inc or fresh:
            self.kernel = Space(self.n, model_iss % self.n, real_iss % MOD)
            self.kernel_inc = inc

    def observe(self, seq: int, seg_len: int, ack: int | None) -> None:
        """Follow a kernel segment: its SEQ (kernel space) and its ACK (peer space)."""
        if self.kernel is not None and abs(signed32(seq - self.kernel.ref_real)) < 4 * self.n:
            self.kernel.follow(seq + seg_len)
        if ack is not None and ack % MOD not in self.shifted:
            self.peer.follow(ack)

    # ------------------------------------------------------------ model -> real (tester's segments)

    def real_seq(self, m: int, ctx: Context) -> int:
        """The real SEQ of a tester segment with model SEQ ``m`` arriving in context ``ctx``."""
        if not ctx.has_window:
            return self.peer.real(m)
        d = self.peer.signed(m - ctx.rcv_nxt)
        nxt = self.peer.real(ctx.rcv_nxt)
        if d < 0 or d < self.rcv_wnd:
            return (nxt + d) % MOD        # behind RCV.NXT, or inside the model's window
        real = (nxt + FAR + d - self.rcv_wnd) % MOD   # beyond the kernel's real window
        self.shifted[real] = m % self.n
        return real

    def real_ack(self, m: int, ctx: Context) -> int:
        """The real ACK of a tester segment (kernel space); without an ISS it is arbitrary and
        maps one to one (the kernel can only echo it)."""
        if not ctx.has_iss or self.kernel is None:
            return m % self.n
        return self.kernel.real(m)

    # ------------------------------------------------------------ real -> model (kernel's segments)

    def model_seq(self, real: int, ctx: Context, ctx_after: Context, syn: bool,
                  rst: bool) -> int:
        """The model SEQ of a kernel segment (``ctx``, ``ctx_after``: the kernel side before
        and after the step).  A value far from the kernel space is an echo of an ACK the tester
        sent to a socket without an ISS (``real_ack`` mapped it one to one)."""
        if syn:
            self.learn_iss(real, ctx_after.iss, ctx_after.inc, fresh=not ctx.has_iss)
        if rst and real % MOD == 0:
            return 0                      # <SEQ=0><CTL=RST,ACK>: a literal zero, not a number
        if self.kernel is not None and abs(signed32(real - self.kernel.ref_real)) < 4 * self.n:
            return self.kernel.model(real)
        return real % self.n

    def model_ack(self, real: int) -> int:
        """The model ACK of a kernel segment (peer space)."""
        if real % MOD in self.shifted:
            return self.shifted[real % MOD]
        return self.peer.model(real)
