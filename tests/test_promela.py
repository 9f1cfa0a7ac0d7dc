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


@pytest.mark.skipif(spin.available() is not None, reason=spin.available() or "")
def test_spin_counts_with_many_iss_choices_and_liveness_blocks(tmp_path):
    """64 ISS choices make step offsets past 255 (a byte temporary once dropped every arrival
    step: pan stored 66 states), and the ltl blocks a full check exports must not act as a
    claim in the safety search (the flags say -DNOCLAIM)."""
    model = build(load_check("handshake", overrides={"seq_space": 64, "capacity": 1, "dup": 0,
                                                     "loss": 0}))
    assert any(p.kind == "eventually" for p in model.properties)
    res = check(model)
    got = spin.run(export_promela(model), str(tmp_path), expected_states=res.states)
    assert got.complete and not got.errors, got.output[-2000:]
    assert got.states == res.states > 10_000


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


UNFAIR = '''
fairness = { deliver_ab = "none", deliver_ba = "none", timer_a = "none", timer_b = "none", user_a = "none", user_b = "none" }
[params]
loss = 1
[scripts]
a = [{ call = "open_active", when = "peer.state == 'LISTEN'" }]
b = ["open_passive"]
[[property]]
name = "listens"
formula = "eventually b.state == 'LISTEN'"
[[property]]
name = "established"
formula = "eventually (a.state == 'ESTABLISHED' and b.state == 'ESTABLISHED')"
[[property]]
name = "syn_answered"
formula = "a.state == 'SYN-SENT' leads_to a.state != 'SYN-SENT'"
'''


@pytest.mark.skipif(spin.available() is not None, reason=spin.available() or "")
def test_liveness_as_ltl_without_fairness_agrees_with_spin(tmp_path):
    # without fairness both tools decide the same question: is there a run (ending in a
    # cycle or a dead end) that never reaches the goal?
    path = tmp_path / "u.toml"
    path.write_text(UNFAIR)
    model = build(load_check(str(path)))
    res = check(model)
    want = {p.name: p.verdict for p in res.properties}
    assert want == {"listens": "holds", "established": "violated", "syn_answered": "violated"}
    pml = export_promela(model)
    spin.compile_pan(pml, str(tmp_path), ("-O2", "-DNOREDUCE"))
    for name, verdict in want.items():
        out = subprocess.run(["./pan", "-a", "-m100000", "-N", name], cwd=tmp_path,
                             capture_output=True, text=True).stdout
        assert "errors:" in out, out[-1500:]
        found = "acceptance cycle" in out or "errors: 0" not in out
        assert found == (verdict == "violated"), (name, out[-1500:])
