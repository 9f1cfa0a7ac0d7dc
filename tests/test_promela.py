"""Promela export: SPIN's pan stores exactly as many states as tcpmodel finds and decides the
same safety properties.  Needs spin and gcc (installed by .ci/run); each model costs a few
seconds of gcc, so only a few small configurations run here."""

import subprocess
import sys

import pytest

from conftest import ROOT
from tcpmodel.check import build, load_check
from tcpmodel.engines.explicit import check
from tcpmodel.export import spin
from tcpmodel.export.promela import export_promela

CASES = [
    ("crash", {}, None),                                   # deadlocks: violated always
    ("time-wait", {}, None),                               # a violated step property
    ("handshake", {"channel": "fifo", "loss": 2}, None),   # every ISS, FIFO, choices
    ("close", {"overflow": "block", "capacity": 1}, "rfc793"),
]


def _safety_model(name, overrides, variant):
    m = build(load_check(name, overrides=overrides, variant=variant))
    names = [p.name for p in m.properties if p.kind in ("always", "sometimes")]
    return build(load_check(name, overrides=overrides, variant=variant), names)


@pytest.mark.skipif(spin.available() is not None, reason=spin.available() or "")
@pytest.mark.parametrize("name,overrides,variant", CASES)
def test_spin_stores_as_many_states_and_agrees(tmp_path, name, overrides, variant):
    model = _safety_model(name, overrides, variant)
    res = check(model)
    got = spin.run(export_promela(model), str(tmp_path), expected_states=res.states)
    assert got.complete and not got.errors, got.output[-2000:]
    assert got.states == res.states
    violated = {p.name for p in res.properties if p.kind == "always" and p.verdict == "violated"}
    witnessed = {p.name for p in res.properties if p.kind == "sometimes" and p.verdict == "holds"}
    assert (got.violated, got.witnessed) == (violated, witnessed)


def test_export_command_writes_promela_and_refuses_what_it_cannot_match(tmp_path):
    out = tmp_path / "crash.pml"
    r = subprocess.run([sys.executable, "-m", "tcpmodel", "export", "promela", "crash", "-o",
                        str(out)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "active proctype tcp()" in text and "violated_no_deadlock" in text
    assert "half_open_resolved" in text.split("*/")[0]   # liveness: named as not exported
    r = subprocess.run([sys.executable, "-m", "tcpmodel", "export", "promela", "time-wait",
                        "--set", "old_segments=false"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "old_segments" in r.stderr


PARALLEL = [("crash", {}, None, "-DBFS"),
            ("handshake", {"channel": "fifo", "loss": 2}, None, "-DNCORE=2"),
            ("time-wait", {}, None, "-DBFS")]


@pytest.mark.skipif(spin.available() is not None, reason=spin.available() or "")
@pytest.mark.parametrize("name,overrides,variant,flag", PARALLEL)
def test_spin_bfs_and_multicore_count_the_same_states(tmp_path, name, overrides, variant, flag):
    # pan refuses hidden variables with -DBFS and -DNCORE: the export zeroes its temporaries
    # instead, which must leave the state count unchanged
    model = _safety_model(name, overrides, variant)
    res = check(model)
    pml = export_promela(model, hidden=False)
    assert not any(ln.lstrip().startswith("hidden ") for ln in pml.splitlines())
    got = spin.run(pml, str(tmp_path), expected_states=res.states,
                   cflags=spin.PAN_FLAGS + (flag,))
    assert got.complete and not got.errors, got.output[-2000:]
    assert got.states == res.states
    violated = {p.name for p in res.properties if p.kind == "always" and p.verdict == "violated"}
    witnessed = {p.name for p in res.properties if p.kind == "sometimes" and p.verdict == "holds"}
    assert (got.violated, got.witnessed) == (violated, witnessed)
