"""Running cases against the kernel: each in a forked child that enters its own network
namespace, so nothing is left behind (not even on a crash) and the parent never leaves the
host's namespace.  Children report their :class:`Observed` run as JSON on a pipe; several run
at once (they spend their time waiting for the kernel)."""

from __future__ import annotations

import json
import os
import select
import signal
import time

from . import netns
from .case import Observed

CASE_TIMEOUT = 30.0          # seconds per case, beyond the long timers it waits for


def probe() -> tuple[str, str] | None:
    """Why conformance tests cannot run here and the fix (one line each), or None if they can:
    a child tries to create a namespace and a TUN device in it, and changes nothing else."""
    def child():
        netns.enter_private_namespace()
        os.close(netns.open_tun())
        netns.ip_command()
        return {}
    job = _Child(child, 10.0)
    while not job.poll(10.0):
        pass
    if "error" not in job.result:
        return None
    return job.result["error"], job.result.get("fix", "")


def run(case, keep_going=None, *, peer_iss=None) -> Observed:
    """Run one case in a fresh namespace; the returned run has ``error`` set if it failed."""
    return next(iter(run_many([case], keep_going=keep_going, peer_iss=peer_iss).values()))


def run_many(cases, *, keep_going=None, jobs: int = 1, peer_iss=None, on_done=None) -> dict:
    """Run ``cases`` (at most ``jobs`` at once); {case index: Observed}.  ``keep_going(case,
    i, seen)`` may stop a run where it has left the model's; ``on_done(index, observed)`` is
    called as each finishes (in completion order)."""
    from .kernel import run_case, timer_wait

    pending = list(enumerate(cases))
    running: dict = {}
    done: dict = {}
    while pending or running:
        while pending and len(running) < max(jobs, 1):
            k, case = pending.pop(0)
            stop = None if keep_going is None else (lambda i, seen, c=case: keep_going(c, i, seen))
            budget = CASE_TIMEOUT + sum(timer_wait(case.stimuli, i)
                                        for i, s in enumerate(case.stimuli)
                                        if s.kind == "timer")

            def child(case=case, stop=stop):
                home = netns.netns_id()
                netns.enter_private_namespace()
                return run_case(case, home, stop, peer_iss).to_json()
            running[k] = _Child(child, budget)
        ready = _wait([job.fd for job in running.values()], 0.5)
        for k in [k for k, job in running.items() if job.fd in ready or job.expired()]:
            job = running[k]
            if job.poll(0):
                out = job.result
                obs = (Observed(error=out["error"]) if "seen" not in out
                       else Observed.from_json(out))
                done[k] = obs
                del running[k]
                if on_done:
                    on_done(k, obs)
    return done


def _wait(fds: list, timeout: float) -> set:
    if not fds:
        return set()
    ready, _, _ = select.select(fds, [], [], timeout)
    return set(ready)


class _Child:
    """``fn()`` in a forked child; ``result`` is its JSON-able return value or {"error": ...}."""

    def __init__(self, fn, timeout: float):
        r, w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:   # the child: never returns into the caller's code
            code = 0
            try:
                os.close(r)
                try:
                    result = fn()
                except netns.NamespaceError as e:
                    result = {"error": str(e), "fix": e.fix}
                except Exception as e:  # noqa: BLE001 - reported to the parent, not lost
                    result = {"error": f"{type(e).__name__}: {e}"}
                data = memoryview(json.dumps(result).encode())
                while data:
                    data = data[os.write(w, data):]
            except BaseException:  # noqa: BLE001
                code = 1
            finally:
                os._exit(code)
        os.close(w)
        self.fd = r
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.chunks: list = []
        self.result: dict | None = None

    def expired(self) -> bool:
        return time.monotonic() > self.deadline

    def poll(self, wait: float) -> bool:
        """Read what the child wrote; True once it has finished (``result`` is set)."""
        while True:
            if self.expired():
                os.kill(self.pid, signal.SIGKILL)
                self._finish({"error": f"the test did not finish within {self.timeout:.0f} s"})
                return True
            ready, _, _ = select.select([self.fd], [], [], wait)
            if not ready:
                return False
            chunk = os.read(self.fd, 65536)
            if not chunk:
                data = b"".join(self.chunks)
                self._finish(json.loads(data) if data else None)
                return True
            self.chunks.append(chunk)
            wait = 0

    def _finish(self, result) -> None:
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        self.result = result if result is not None else {
            "error": f"the test process died (wait status {status})"}
