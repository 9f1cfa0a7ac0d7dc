"""Running cases against the kernel: each in a forked child that enters its own network
namespace, so nothing is left behind (not even on a crash) and the parent never leaves the
host's namespace.  Children report their :class:`Observed` run as JSON on a pipe."""

from __future__ import annotations

import json
import os
import select
import signal
import time

from . import netns
from .case import Case, Observed

CASE_TIMEOUT = 30.0          # seconds per case (slow cases: plus the timers they wait for)


def probe() -> str | None:
    """Why conformance tests cannot run here (one line), or None if they can: a child tries to
    create a namespace and a TUN device, and changes nothing else."""
    def child():
        netns.enter_private_namespace()
        os.close(netns.open_tun())
        netns.ip_command()
        return {}
    out = _in_child(child, timeout=10.0)
    return out.get("error")


def run(case: Case, keep_going=None, *, slow_budget: float = 0.0, peer_iss=None) -> Observed:
    """Run one case in a fresh namespace; the returned run has ``error`` set if it failed."""
    from .kernel import run_case

    def child():
        home = netns.netns_id()
        netns.enter_private_namespace()
        return run_case(case, home, keep_going, peer_iss).to_json()
    out = _in_child(child, timeout=CASE_TIMEOUT + slow_budget)
    if "error" in out and "seen" not in out:
        return Observed(error=out["error"])
    return Observed.from_json(out)


def _in_child(fn, timeout: float) -> dict:
    """``fn()`` in a forked child; its JSON-able result, or {"error": ...}."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 0
        try:
            os.close(r)
            try:
                result = fn()
            except netns.NamespaceError as e:
                result = {"error": str(e)}
            except Exception as e:  # noqa: BLE001 - reported to the parent, not lost
                result = {"error": f"{type(e).__name__}: {e}"}
            data = json.dumps(result).encode()
            view = memoryview(data)
            while view:
                n = os.write(w, view)
                view = view[n:]
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return {"error": f"the test did not finish within {timeout:.0f} s"}
            ready, _, _ = select.select([r], [], [], left)
            if not ready:
                continue
            chunk = os.read(r, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return {"error": f"the test process died (status {status})"}
    return json.loads(b"".join(chunks))
