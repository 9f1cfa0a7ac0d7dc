"""Independent jobs (whole checks) in worker processes, results in order, and Ctrl-C at any
moment: the running jobs are interrupted and report what they have, jobs not started are left
out, nothing prints a traceback.

In a worker, a job marks the part that Ctrl-C may interrupt with :func:`interruptible`
(a search: it catches KeyboardInterrupt and returns its partial result); elsewhere Ctrl-C is
only noted, and the worker starts no further job.
"""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

_interrupted = False   # in a worker: Ctrl-C came; start no further job


def count(asked: int, jobs: int) -> int:
    """Worker processes for ``jobs`` jobs: never more than the jobs or the cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(asked, jobs, cores or 1))


def run_in_order(fn, jobs: list, processes: int, each) -> bool:
    """Call ``each(fn(job))`` for every job, in the jobs' order, computing them in ``processes``
    worker processes; a job that returns None (interrupted before it started) is skipped.
    Returns whether Ctrl-C came (a second one raises KeyboardInterrupt)."""
    # imported here: concurrent.futures.process costs every single check ~20-40 ms of start-up
    from concurrent.futures import CancelledError, ProcessPoolExecutor
    interrupted = False
    # the workers are forked while Ctrl-C is held back: each installs its own handler first
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = ProcessPoolExecutor(max_workers=processes, initializer=_worker_start)
        futures = [pool.submit(fn, job) for job in jobs]
    finally:
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        except KeyboardInterrupt:   # it came while they started
            interrupted = True
    leaving = False
    try:
        if interrupted:
            _stop(pool, futures)
        for f in futures:
            while True:
                try:
                    result = f.result()
                    break
                except KeyboardInterrupt:
                    if interrupted:
                        leaving = True
                        raise          # a second Ctrl-C: leave now
                    interrupted = True
                    _stop(pool, futures)
                except CancelledError:
                    result = None
                    break
            if result is not None:
                each(result)
    finally:
        # every job has reported or was cancelled: wait for the pool's own thread, which at
        # interpreter exit would otherwise write to a pipe already closed (a traceback)
        pool.shutdown(wait=not leaving, cancel_futures=True)
    return interrupted


def _stop(pool, futures) -> None:
    """Ctrl-C: cancel the jobs not started, interrupt the running ones (a terminal's Ctrl-C
    reaches the workers anyway; ``kill -INT`` of this process does not)."""
    for f in futures:
        f.cancel()
    for pid in list(getattr(pool, "_processes", None) or ()):
        try:
            os.kill(pid, signal.SIGINT)
        except OSError:
            pass


@contextmanager
def interruptible():
    """In a worker job: Ctrl-C inside the block raises KeyboardInterrupt (the search inside
    stops and reports); the block's value says whether to run at all (False: Ctrl-C came
    before it started)."""
    signal.signal(signal.SIGINT, _interrupt)
    try:
        yield not _interrupted
    finally:
        signal.signal(signal.SIGINT, _note)


def _note(signum, frame) -> None:
    global _interrupted
    _interrupted = True


def _interrupt(signum, frame) -> None:
    _note(signum, frame)
    raise KeyboardInterrupt


def _worker_start() -> None:
    signal.signal(signal.SIGINT, _note)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})   # held back while forking
