"""The kernel side of a conformance test: a real socket driven through the socket API, and a
scripted peer on a TUN device that sends the model's segments and records the kernel's.

Runs inside a private network namespace (``netns``); :func:`run_case` is the whole test.
The application behind the socket reads every octet as soon as it arrives (the model's
``deliver``), so ``close()`` never meets unread data.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import time

from ..endpoint import FLAG_BIT, SegmentCodec
from . import diag, netns
from . import packets as P
from .case import Case, Observed, Seen
from .seqmap import SeqMap

KERNEL_PORT, PEER_PORT = 5000, 40000
PEER_ISS = 0xFFFFFFFE        # the tester's real ISS: its numbers wrap around 2**32 at once
QUIET = 0.05                 # the kernel has answered when it stays silent this long
FIRST_WAIT = 1.0             # ... but a segment the model's run expects may take this long
MAX_PACKETS = 64             # per test: more means the kernel is looping
TCP_INFO, TCP_USER_TIMEOUT = 11, 18
TCP_KEEPIDLE, TCP_KEEPINTVL = 4, 5
TCP_CLOSE = 7
NOT_CONNECTED = (2, 3, 7)    # TCP_SYN_SENT, TCP_SYN_RECV, TCP_CLOSE

# How the kernel takes each model timer, and how long a test waits for it (seconds).
# ``output`` (sending data queued before ESTABLISHED) is no timer on the kernel: it happens in
# the instant the connection is established, so the wait only collects what is left of it.
TIMER_WAIT = {"rto": 4.0, "keepalive": 4.0, "user_timeout": 6.0, "fin_wait_2": 6.0,
              "time_wait": 66.0, "output": 1.0}
def timer_wait(stimuli: list, i: int) -> float:
    """How long stimulus ``i`` (a timeout) may take: a retransmission timeout doubles after each
    one before it (exponential backoff, RFC 6298 5.5), until something else happens."""
    wait = TIMER_WAIT[stimuli[i].event]
    if stimuli[i].event == "rto":
        k = i
        while k > 0 and stimuli[k - 1].kind == "timer" and stimuli[k - 1].event == "rto":
            k -= 1
            wait *= 2
    return wait


SLOW_TIMERS = {"time_wait": "2 MSL is Linux's fixed 60 s TIME-WAIT (TCP_TIMEWAIT_LEN, no sysctl)"}
USER_TIMEOUT_MS = 500      # below the 1 s RTO: the abort comes before a retransmission
ERRNO_SIGNAL = {errno.ECONNRESET: "reset", errno.EPIPE: "reset", errno.ECONNREFUSED: "refused",
                errno.ETIMEDOUT: "aborted"}
MODEL_BITS = {"SYN": P.SYN, "ACK": P.ACK, "FIN": P.FIN, "RST": P.RST}

# model parameters that select a sysctl of the namespace (and their sysctl)
PARAM_SYSCTLS = {"tcp_rfc1337": "net.ipv4.tcp_rfc1337"}
# Retry limits (0 in the model: retransmit forever, which no kernel does; the sysctls keep
# their defaults, minutes away from any test).  A SYN (tcp_syn_retries, also a full socket's
# SYN-RECEIVED after a simultaneous open) and a request socket's SYN,ACK (tcp_synack_retries)
# count retransmissions; data and FIN count them through tcp_retries2, or tcp_orphan_retries
# once close() has orphaned the socket (retransmits_timed_out(): with an RTO of at least 1 s
# and a limit of 1, one retransmission, then the next timeout gives up).
RETRY_SYSCTLS = {"syn_retries": ("net.ipv4.tcp_syn_retries", "net.ipv4.tcp_synack_retries"),
                 "retries": ("net.ipv4.tcp_retries2", "net.ipv4.tcp_orphan_retries")}


class HarnessError(Exception):
    """The test could not run as planned (not a divergence: the run is incomplete)."""


def settings_for(params: dict) -> dict:
    """Sysctls, route and socket options a case with these model parameters runs under."""
    sysctls = dict(netns.BASE_SYSCTLS)
    for p, name in PARAM_SYSCTLS.items():
        if p in params:
            sysctls[name] = int(bool(params[p]))
    for p, names in RETRY_SYSCTLS.items():
        if params.get(p):
            sysctls.update(dict.fromkeys(names, int(params[p])))
    sockopts = ["TCP_NODELAY"]
    if params.get("keepalive"):
        sockopts.append("SO_KEEPALIVE, TCP_KEEPIDLE=1, TCP_KEEPINTVL=1")
    if params.get("user_timeout"):
        sockopts.append(f"TCP_USER_TIMEOUT={USER_TIMEOUT_MS}")
    return {"sysctls": sysctls, "route": " ".join(netns.ROUTE_OPTIONS), "socket": sockopts}


class Driver:
    """The application (a socket) and the peer (the TUN device) of one test."""

    def __init__(self, case: Case, tun: int, peer_iss: int):
        self.case = case
        self.tun = tun
        self.params = case.params
        self.codec = SegmentCodec(case.params["seq_space"])
        t_iss = case.params.get("iss_b" if case.side == 0 else "iss_a", 0)
        t_iss = t_iss[0] if isinstance(t_iss, list) else t_iss
        self.map = SeqMap.start(case.params["seq_space"], case.params["rcv_wnd"], t_iss, peer_iss)
        self.local = (netns.KERNEL_ADDR, KERNEL_PORT)
        self.remote = (netns.PEER_ADDR, PEER_PORT)
        self.sock: socket.socket | None = None   # what the application holds
        self.listening = False
        self.active = False        # the application's socket connected (not accepted)
        self.eof = False
        self.keepalive_set = False
        self.packets = 0
        self.ident = 1

    # ------------------------------------------------------------ the application

    def _new_socket(self) -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.params.get("user_timeout"):
            s.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, USER_TIMEOUT_MS)
        s.setblocking(False)
        return s

    def _keepalive(self) -> None:
        """Keep-alives on a connected socket (set once it is connected, as applications do:
        set before connect(), a simultaneous open never arms the keep-alive timer)."""
        if self.params.get("keepalive") and not self.keepalive_set:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            self.sock.setsockopt(socket.IPPROTO_TCP, TCP_KEEPIDLE, 1)
            self.sock.setsockopt(socket.IPPROTO_TCP, TCP_KEEPINTVL, 1)
            self.keepalive_set = True

    def _live(self) -> bool:
        """The application's socket still has a connection or a listener behind it."""
        if self.sock is None:
            return False
        if self.listening:
            return True
        state = self.sock.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 8)[0]
        return state != TCP_CLOSE

    def _drop_dead_socket(self) -> None:
        if self.sock is not None and not self._live():
            self.sock.close()
            self.sock = None
            self.active = False

    def call(self, event: str) -> str:
        """Perform a user call; returns what the socket API said ('' = success)."""
        how = getattr(self, "_call_" + event, None)
        if how is None:
            raise HarnessError(f"the harness has no socket call for '{event}'")
        try:
            how()
            return ""
        except OSError as e:
            return errno.errorcode.get(e.errno, str(e.errno))

    def _call_open_active(self) -> None:
        self._drop_dead_socket()
        if self.listening:   # the socket API cannot make a listener active: let it say so
            self.sock.connect(self.remote)
            return
        if self.sock is None:
            s = self._new_socket()
            try:
                s.bind(self.local)
            except OSError:
                s.close()
                raise
            self.sock, self.active, self.eof, self.keepalive_set = s, True, False, False
        try:
            self.sock.connect(self.remote)
        except BlockingIOError:
            pass
        except OSError as e:
            if e.errno != errno.EINPROGRESS:
                if not self._live() or e.errno in (errno.EADDRNOTAVAIL, errno.EADDRINUSE):
                    self.sock.close()
                    self.sock, self.active = None, False
                raise

    def _call_open_passive(self) -> None:
        self._drop_dead_socket()
        if self.sock is None:
            s = self._new_socket()
            try:
                s.bind(self.local)
                s.listen(8)
            except OSError:
                s.close()
                raise
            self.sock, self.listening, self.active, self.eof = s, True, False, False
            return
        self.sock.listen(8)   # again on a listener: fine; on a connection: EINVAL

    def _call_send(self) -> None:
        if self.sock is None:
            raise OSError(errno.ENOTCONN, "no socket")
        self.sock.send(b"x", socket.MSG_DONTWAIT)

    def _call_close(self) -> None:
        self._close(abort=False)

    def _call_abort(self) -> None:
        self._close(abort=True)

    def _close(self, abort: bool) -> None:
        if self.sock is None:
            raise OSError(errno.EBADF, "no socket")
        if abort:   # ABORT: zero linger, close() sends RST where the state needs one
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
        self.sock, self.listening, self.active = None, False, False

    def settle(self) -> tuple[str | None, str]:
        """Accept a finished passive connection (and close the listener: the model's endpoint
        is one TCB), then read what the application is told: data, EOF, an error."""
        if self.listening:
            try:
                child, _ = self.sock.accept()
            except BlockingIOError:
                child = None
            if child is not None:
                child.setblocking(False)
                self.sock.close()
                self.sock, self.listening, self.eof = child, False, False
                self.keepalive_set = False
        if self.sock is None or self.listening:
            return None, ""
        if self.sock.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 8)[0] not in NOT_CONNECTED:
            self._keepalive()
        signal, details = None, []
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            signal = ERRNO_SIGNAL.get(err)
            details.append(errno.errorcode.get(err, str(err)))
        while signal is None:
            try:
                data = self.sock.recv(4096, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                if e.errno == errno.ENOTCONN:
                    break
                signal = ERRNO_SIGNAL.get(e.errno)
                details.append(errno.errorcode.get(e.errno, str(e.errno)))
                break
            if not data:
                if not self.eof:
                    details.append("EOF")
                self.eof = True
                break
            signal = "deliver"
            details.append(f"read {len(data)} octet{'s' if len(data) > 1 else ''}")
        return signal, ", ".join(details)

    def state(self) -> tuple[str, str]:
        """The connection's state as the model names it, and a detail for the report."""
        info = diag.connection_state(self.local, self.remote)
        if info is None:
            return ("LISTEN" if self.listening else "CLOSED"), ""
        if info.state == "SYN-RECEIVED" and not self.listening and not self.active:
            # a request socket whose listener is gone: the next segment or timer drops it
            return "CLOSED", "request socket of a closed listener"
        return info.state, ""

    # ------------------------------------------------------------ the peer (TUN side)

    def inject(self, stim) -> P.Segment:
        seq, ack, bits, data = self.codec.unpack(stim.seg)
        flags = sum(b for name, b in MODEL_BITS.items() if bits & FLAG_BIT[name])
        rseq = self.map.real_seq(seq, stim.ctx)
        rack = self.map.real_ack(ack, stim.ctx) if flags & P.ACK else 0
        seg = P.Segment(netns.PEER_ADDR, netns.KERNEL_ADDR, PEER_PORT, KERNEL_PORT, rseq, rack,
                        flags, 65535, b"x" * data)
        os.write(self.tun, P.build(seg, self.ident))
        self.ident += 1
        return seg

    def _read_one(self, timeout: float) -> P.Segment | None | bool:
        """A kernel segment of this connection, None after ``timeout`` of silence, or False
        for a packet that is not ours."""
        r, _, _ = select.select([self.tun], [], [], max(timeout, 0))
        if not r:
            return None
        try:
            pkt = os.read(self.tun, 65535)
        except BlockingIOError:
            return False
        seg = P.parse(pkt)
        if seg is None or (seg.src, seg.sport, seg.dst, seg.dport) != (*self.local, *self.remote):
            return False
        self.packets += 1
        if self.packets > MAX_PACKETS:
            raise HarnessError(f"the kernel sent more than {MAX_PACKETS} segments")
        return seg

    def collect(self, quiet: float = QUIET, first: float | None = None) -> list:
        """The kernel's segments until it stays silent for ``quiet`` seconds (``first``: how
        long to wait for the first one)."""
        out = []
        wait = quiet if first is None else first
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            seg = self._read_one(wait)
            if seg is None:
                break
            if seg is not False:
                out.append(seg)
                wait = quiet
        return out

    def wait_timer(self, wait: float, state_before: str, expected) -> list:
        """Wait (at most ``wait`` seconds) until the kernel acts on its own, then collect: until
        it leaves its state if the model's run expects that (segments sent meanwhile are kept:
        other timers'), else until it sends."""
        deadline = time.monotonic() + wait
        want_state = expected is not None and expected.state != state_before
        segs = []
        while time.monotonic() < deadline:
            seg = self._read_one(min(0.05, deadline - time.monotonic()))
            if seg:
                segs.append(seg)
                if not want_state:
                    return segs + self.collect()
            if self.state()[0] != state_before:
                return segs + self.collect()
        return segs

    # ------------------------------------------------------------ one stimulus

    def apply(self, stim, expected=None, wait: float = 0.0) -> Seen:
        t0 = time.monotonic()
        detail = []
        # the kernel answers within the syscall that reaches it; where the model's run expects
        # a segment, a loaded machine gets longer to deliver it (nothing else depends on it)
        first = FIRST_WAIT if expected is not None and expected.sent else None
        if stim.kind == "call":
            said = self.call(stim.event)
            if said:
                detail.append(f"{stim.event}: {said}")
            segs = self.collect(first=first)
        elif stim.kind == "segment":
            sent = self.inject(stim)
            detail.append(f"tester sent {sent.text()}")
            segs = self.collect(first=first)
        else:
            segs = self.wait_timer(wait, self.state()[0], expected)
        signal, told = self.settle()
        if told:
            detail.append(told)
        state, why = self.state()
        if why:
            detail.append(why)
        model, real = [], []
        for seg in segs:
            real.append(seg.text(window=True))
            model.append(self._model_text(seg, stim.ctx, stim.ctx_after))
        return Seen(model, real, state, signal, self.sock is not None and not self.listening,
                    "; ".join(detail), round(time.monotonic() - t0, 3))

    def _model_text(self, seg: P.Segment, ctx, ctx_after) -> str:
        syn, rst = bool(seg.flags & P.SYN), bool(seg.flags & P.RST)
        mseq = self.map.model_seq(seg.seq, ctx, ctx_after, syn, rst)
        mack = self.map.model_ack(seg.ack) if seg.flags & P.ACK else 0
        self.map.observe(seg.seq, seg.seg_len, seg.ack if seg.flags & P.ACK else None)
        bits = sum(FLAG_BIT[name] for name, b in MODEL_BITS.items() if seg.flags & b)
        return self.codec.text(self.codec.pack(mseq, mack, bits, min(len(seg.payload), 1)))


def run_case(case: Case, home: tuple, keep_going=None, peer_iss: int | None = None) -> Observed:
    """Set up the namespace (already entered), run every stimulus, stop where ``keep_going``
    (index, Seen) says the run has left the model's."""
    obs = Observed(kernel=os.uname().release)
    t0 = time.monotonic()
    tun = netns.open_tun()
    settings = settings_for(case.params)
    settings["sysctls"] = netns.set_sysctls(settings["sysctls"], home)
    settings["ip"] = netns.configure(home)
    settings["peer_iss"] = peer_iss if peer_iss is not None else PEER_ISS
    obs.settings = settings
    drv = Driver(case, tun, settings["peer_iss"])
    try:
        for i, stim in enumerate(case.stimuli):
            seen = drv.apply(stim, case.expected[i] if i < len(case.expected) else None,
                             timer_wait(case.stimuli, i) if stim.kind == "timer" else 0.0)
            obs.seen.append(seen)
            if keep_going is not None and not keep_going(i, seen):
                obs.stopped = i
                break
    except HarnessError as e:
        obs.error = str(e)
    finally:
        obs.packets = drv.packets
        obs.seconds = round(time.monotonic() - t0, 3)
        if drv.sock is not None:
            drv.sock.close()
        os.close(tun)
    return obs
