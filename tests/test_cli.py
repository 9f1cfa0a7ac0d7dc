"""The command line as a user runs it: exit codes, output, JSON, and one-line input errors."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "tcpmodel", *args], capture_output=True, text=True,
                       timeout=timeout, env=env, cwd=ROOT)
    return p.returncode, p.stdout, p.stderr


def test_holding_check_exits_0():
    code, out, _ = run("check", "handshake", "-q", "-p", "no_deadlock", "-p",
                       "eventually_established")
    assert code == 0
    assert "no_deadlock" in out and "holds" in out and "VIOLATED" not in out


def test_violation_exits_1_and_prints_the_trace_in_rfc_notation():
    code, out, _ = run("check", "time-wait", "-q")
    assert code == 1
    assert "time_wait_safety violated" in out
    assert "TCP A" in out and "TCP B" in out
    assert "<CTL=RST>" in out and "TIME-WAIT" in out
    assert " 1.  " in out  # numbered lines


def test_variant_override_fixes_it():
    code, out, _ = run("check", "time-wait", "--variant", "rfc1337", "-q", "-p", "time_wait_safety",
                       "-p", "reestablished")
    assert code == 0, out


def test_limit_exits_3_with_unknown():
    code, out, _ = run("check", "close", "--max-states", "10", "-q")
    assert code == 3
    assert "unknown" in out and "INCOMPLETE (max-states)" in out


def test_json_document():
    code, out, _ = run("check", "handshake", "time-wait", "--json", "-q")
    assert code == 1
    doc = json.loads(out)
    assert doc["exit_code"] == 1
    hs, tw = doc["checks"]
    for key in ("name", "variant", "parameters", "states", "transitions", "depth", "seconds",
                "complete"):
        assert key in hs
    assert hs["complete"] is True and hs["properties"]["no_deadlock"]["verdict"] == "holds"
    p = tw["properties"]["time_wait_safety"]
    assert p["verdict"] == "violated"
    steps = p["trace"]["steps"]
    assert len(steps) == p["depth"]
    for s in steps:
        assert {"action", "actor", "a", "b"} <= set(s)
    assert any("segment" in s for s in steps)


def test_property_and_set_options():
    code, out, _ = run("check", "handshake", "-p", "both_established", "--set", "loss=0",
                       "--json", "-q")
    doc = json.loads(out)
    assert code == 0 and list(doc["checks"][0]["properties"]) == ["both_established"]
    assert doc["checks"][0]["parameters"]["loss"] == 0


@pytest.mark.parametrize("args", [["list"], ["check", "time-wait", "-q"]])
def test_a_closed_pipe_stops_quietly_like_other_unix_tools(args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-m", "tcpmodel", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, cwd=ROOT)
    p.stdout.close()  # like `| head -0`: whatever it writes meets a closed pipe
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "Error" not in err


def test_list():
    code, out, _ = run("list")
    assert code == 0
    for word in ("handshake", "rfc1337", "time_wait_safety", "seq_space"):
        assert word in out


def bad(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


BAD_INPUTS = {
    "unknown check": (["check", "nosuch"], "unknown check 'nosuch'"),
    "impossible parameter": (["check", "handshake", "--set", "seq_space=3"], "seq_space"),
    "too small space": (["check", "handshake", "--set", "data=2", "--set", "seq_space=6"],
                        "too small"),
    "iss outside space": (["check", "close", "--set", "iss_a=9"], "iss_a = 9 is outside"),
    "unknown parameter": (["check", "handshake", "--set", "nosuch=1"], "unknown parameter"),
    "unknown variant": (["check", "handshake", "--variant", "rfc9999"], "unknown variant"),
    "unknown property": (["check", "handshake", "--property", "nosuch"], "no property 'nosuch'"),
    "bad option value": (["check", "handshake", "--max-states", "many"], "is not an integer"),
    "negative samples": (["check", "handshake", "--engine", "both", "--samples", "-1"],
                         "argument --samples: -1 is too small"),
    "zero bmc budget": (["check", "handshake", "--engine", "z3", "--bmc-budget", "0"],
                        "argument --bmc-budget: 0 is too small"),
    "nan timeout": (["check", "handshake", "--timeout", "nan"], "'nan' is not a number"),
    "negative graph limit": (["check", "handshake", "--graph-limit", "-1", "--graph", "g.dot"],
                             "must be at least 0"),
    "report max states": (["report", "handshake", "--max-states", "-1"], "must be at least 1"),
    "scenario timeout": (["scenario", "--timeout", "-2"], "must be above 0"),
    "unwritable diagrams dir": (["diagrams", "--dir", "/proc/no-such-dir"], "cannot write"),
    "unknown picture suffix": (["trace", "t.json", "-o", "t.pdf"], "*.svg, *.mmd, *.txt"),
    "unwritable export": (["export", "promela", "crash", "-o", "/proc/x/c.pml"], "cannot write"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_command_lines_exit_2_with_one_line(case):
    args, needle = BAD_INPUTS[case]
    code, out, err = run(*args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("tcpmodel: error:"), err
    assert needle in err and "Traceback" not in err


BAD_FILES = {
    "malformed.toml": ('variant = "rfc9293"\n[params\nloss = 1\n', "malformed TOML"),
    "unknown-prop.toml": ('properties = ["no_deadlok"]\n', "unknown property 'no_deadlok'"),
    "bad-formula.toml": ('[[property]]\nname = "x"\nformula = "always a.state = 1"\n',
                         "'=' is not an operator"),
    "unknown-state.toml": ('[[property]]\nname = "x"\nformula = "always a.state != \'ESTABLISED\'"\n',
                           "unknown state 'ESTABLISED'"),
    "bad-script.toml": ('[scripts]\na = [{ call = "connect" }]\n', "unknown user call 'connect'"),
    "bad-param.toml": ('[params]\nloss = -1\n', "loss"),
    "type-error.toml": ('[[property]]\nname = "x"\nformula = "always a.snd_nxt < 3"\n', "seq_lt"),
    "bad-key.toml": ('[params]\nlos = 1\n', "did you mean 'loss'"),
    "no-props.toml": ('properties = []\n', "this check has no properties"),
    "toml-spelling.toml": ('[params]\nloss = true\n', "parameter loss = true:"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_check_files_exit_2_naming_the_file(tmp_path, name):
    text, needle = BAD_FILES[name]
    code, out, err = run("check", bad(tmp_path, name, text))
    assert code == 2, out
    assert err.count("\n") == 1 and name in err and needle in err, err
    assert "Traceback" not in err


def test_bad_rule_file_as_variant(tmp_path):
    text = (ROOT / "specs" / "rfc9293.toml").read_text().replace(
        'event = "open_passive"\nnext = "LISTEN"', 'event = "open_pasive"\nnext = "LISTEN"')
    path = bad(tmp_path, "v.toml", text)
    code, _, err = run("check", "handshake", "--variant", path)
    assert code == 2 and "v.toml:" in err and "unknown event 'open_pasive'" in err
    assert "open_passive" in err and err.count("\n") == 1


def test_ctrl_c_prints_a_partial_summary():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-m", "tcpmodel", "check", "close", "--set",
                          "capacity=4", "--set", "loss=4", "--set", "dup=2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    # interrupt the search itself: wait for its first progress line (not a fixed sleep, which
    # on a loaded machine lands while Python is still importing)
    first = p.stderr.readline()
    assert "states" in first, first
    p.send_signal(signal.SIGINT)
    out, rest = p.communicate(timeout=60)
    err = first + rest
    assert p.returncode == 3, (out, err)
    assert "INCOMPLETE (interrupted)" in out and "unknown" in out
    assert "Traceback" not in err


def test_parallel_checks_give_the_serial_results():
    code1, out1, _ = run("check", "handshake", "crash", "half-open", "--json", "-q")
    code2, out2, _ = run("check", "handshake", "crash", "half-open", "--json", "-q", "--jobs", "2")
    assert code1 == code2 == 1
    strip = lambda doc: [{k: v for k, v in c.items() if k not in ("seconds", "liveness_seconds")}
                         | {"properties": {n: {k: v for k, v in p.items() if k != "seconds"}
                                           for n, p in c["properties"].items()}}
                         for c in json.loads(doc)["checks"]]
    assert strip(out1) == strip(out2)


def test_header_spells_list_parameters_as_toml():
    """A flag list printed as [SYN,SYN,ACK,ACK] reads as four patterns; TOML quoting says three
    (and the line can be pasted back into a check file)."""
    import tomllib

    from tcpmodel.params import resolve
    from tcpmodel.report import _params_line
    flags = ["SYN", "SYN,ACK", "ACK"]
    line = _params_line(resolve({"attacker": 1, "attacker_flags": flags, "iss_b": [4, 6],
                                 "incarnations": 2}))
    assert 'attacker_flags=["SYN","SYN,ACK","ACK"]' in line
    parsed = tomllib.loads("\n".join(line.split(" ")))
    assert parsed["attacker_flags"] == flags and parsed["iss_b"] == [4, 6]
