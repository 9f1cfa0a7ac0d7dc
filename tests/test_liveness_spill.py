"""Liveness with the search's keys, parents and action indices spilled to disk (as on millions
of states): the same verdicts and traces as with them in memory, and the files go away."""

import gc
import os

import numpy as np
import pytest

from tcpmodel.check import build, load_check
from tcpmodel.engines.explicit import check, spill
from tcpmodel.engines.explicit.spill import SpillDir, SpilledArray


def results(res):
    return [{k: v for k, v in p.to_json().items() if k != "seconds"} for p in res.properties]


@pytest.mark.parametrize("name,props", [
    ("handshake", ["eventually_established", "eventually_established_unfair"]),
    ("half-open", None)])
def test_spilled_search_arrays_give_the_same_verdicts_and_lassos(name, props, monkeypatch):
    model = build(load_check(name), props)
    kept = check(model)
    monkeypatch.setattr(spill, "SPILL_STATES", 0)
    spilled = check(model)
    ex = spilled._exploration
    assert isinstance(ex.parent, SpilledArray) and isinstance(ex.via, SpilledArray)
    assert isinstance(ex.states.visited.keys, SpilledArray)
    assert any(p.trace is not None and p.trace.loop_start is not None
               for p in spilled.properties) or name != "handshake"   # a lasso was rebuilt
    assert results(spilled) == results(kept)
    # the exploration still reads as before: states, paths
    kex = kept._exploration
    last = len(ex.states) - 1
    assert ex.states[last] == kex.states[last] and ex.path(last) == kex.path(last)
    where = os.path.dirname(ex.parent.path)
    assert os.path.isdir(where)
    del spilled, ex
    gc.collect()
    assert not os.path.exists(where)


def test_spilled_array_reads_like_the_array(tmp_path):
    class Owner:
        pass
    owner = Owner()
    a = np.arange(1000, dtype=np.int32) * 7
    parts = [a[:300], a[300:]]
    s = SpillDir(owner, str(tmp_path)).put("a", parts, np.int32)
    assert len(s) == 1000 and s[5] == 35 and s[-1] == 6993
    assert (s[10:20] == a[10:20]).all() and (s[np.array([3, 999, 0])] == a[[3, 999, 0]]).all()
    assert (np.asarray(s) == a).all() and np.asarray(s, np.int64).dtype == np.int64


def test_spilled_files_avoid_a_ram_filesystem(tmp_path, monkeypatch):
    # a spilled file on tmpfs would still be memory, only outside the resident set
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/vda / ext4 rw 0 0\ntmpfs /tmp tmpfs rw 0 0\n"
                      "/dev/vdb /var/tmp xfs rw 0 0\n")
    assert spill._fs_type("/tmp/x", str(mounts)) == "tmpfs"
    assert spill._fs_type("/tmpx", str(mounts)) == "ext4"
    assert spill._fs_type("/var/tmp", str(mounts)) == "xfs"
    real = spill._fs_type
    monkeypatch.setattr(spill, "_fs_type", lambda path: real(path, str(mounts)))
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(spill.tempfile, "gettempdir", lambda: "/tmp")
    assert spill.disk_tmpdir() == "/var/tmp"
    monkeypatch.setenv("TMPDIR", "/tmp")      # the user's explicit choice wins
    assert spill.disk_tmpdir() is None
