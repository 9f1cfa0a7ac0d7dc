"""Ctrl-C at any moment ends quietly with exit code 3: while the modules load, in worker
processes (during a search: tests/test_cli.py). Each test waits for an event (an import, a
worker starting), never a fixed time."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIG = ["--set", "capacity=4", "--set", "loss=4", "--set", "dup=2"]


def start(args, prelude=""):
    """tcpmodel ARGS in a child process; ``prelude`` runs first (e.g. an import hook)."""
    code = f"{prelude}\nimport runpy, sys\nsys.argv = ['tcpmodel'] + {list(args)!r}\n" \
           "runpy.run_module('tcpmodel', run_name='__main__')"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


# Ctrl-C while a module loads: the hook sends SIGINT to the process as the import of MODULE
# begins, the way a user's Ctrl-C lands during the second it takes to start on a busy machine
HOOK = """
import importlib.abc, os, signal, sys
class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Interrupt())
"""


@pytest.mark.parametrize("module, args", [
    ("tcpmodel.launch", ["list"]),            # the entry point itself
    ("tcpmodel.cli.check", ["list"]),         # the command modules
    ("tcpmodel.check", ["check", "handshake"]),
    ("numpy", ["check", "handshake"]),        # the engine's libraries
    ("z3", ["check", "handshake", "--engine", "z3"]),
])
def test_ctrl_c_while_modules_load_is_quiet(module, args):
    p = start(args, HOOK.format(module=module))
    out, err = p.communicate(timeout=120)
    assert p.returncode == 3, (module, out, err)
    assert "Traceback" not in err and err.strip() == "tcpmodel: interrupted", err


def test_ctrl_c_stops_parallel_checks_with_what_they_found():
    p = start(["check", "close", "handshake", "crash", "--jobs", "2"] + BIG, """
import concurrent.futures.process as cfp, os, signal
run = cfp._process_worker
def worker(*a, **k):   # a worker tells the test when it starts; the test interrupts them all
    os.write(2, b"worker started\\n")
    return run(*a, **k)
cfp._process_worker = worker
""")
    for line in p.stderr:
        if "worker started" in line:
            break
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=180)
    assert p.returncode == 3, (out, err)
    assert "Traceback" not in err, err
    assert "(exit 3)" in out
