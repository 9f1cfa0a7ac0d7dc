"""tcpmodel explore without a browser: the session (states on demand, actions as in traces,
traces as paths and back, shortest paths to a formula) and the local server (bad requests,
local only, Ctrl-C)."""

import http.client
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tcpmodel import api
from tcpmodel.explorer.server import ExplorerServer, start_in_thread
from tcpmodel.explorer.session import Path as RunPath
from tcpmodel.explorer.session import Session
from tcpmodel.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
HANDSHAKE = ["closed-open-passive", "closed-open-active", "listen-rcv-syn", "synsent-synack",
             "synrcvd-ack"]


@pytest.fixture(scope="module")
def tw():
    return Session(api.load("time-wait"))


def click_rules(session, rules):
    """Take, from the initial state, the (first) action that fires each rule in turn."""
    sid, moves = session.initial[0], []
    for rule in rules:
        view = session.view(sid)
        a = next(a for a in view["actions"] if a["rule"] == rule)
        moves.append(a["k"])
        sid = a["target"]
    return sid, moves


def test_the_handshake_by_rules_and_the_state_as_tcp_people_read_it(tw):
    sid, moves = click_rules(tw, HANDSHAKE)
    view = tw.view(sid)
    a, b = view["endpoints"]
    assert (a["state"], b["state"]) == ("ESTABLISHED", "ESTABLISHED")
    tcb_a, tcb_b = dict(a["tcb"]), dict(b["tcb"])
    # time-wait fixes ISS A = 0, ISS B = 4: each side has acknowledged the other's SYN
    assert (tcb_a["iss"], tcb_a["irs"], tcb_a["snd_nxt"], tcb_a["rcv_nxt"]) == (0, 4, 1, 5)
    assert (tcb_b["iss"], tcb_b["irs"], tcb_b["snd_nxt"], tcb_b["rcv_nxt"]) == (4, 0, 5, 1)
    assert a["incarnation"] == b["incarnation"] == 1
    assert [c["name"] for c in view["channels"]] == ["A -> B", "B -> A"]
    assert {"name": "duplicates", "used": 0, "bound": 2} in view["budgets"]
    trace = tw.trace(RunPath(tw.initial[0], moves))
    assert [s.rule for s in trace.steps] == HANDSHAKE
    first = tw.view(tw.initial[0])["actions"]
    assert [x["text"] for x in first] == ["B: passive OPEN  [closed-open-passive]"]


def test_actions_name_the_segment_and_the_rule(tw):
    sid, _ = click_rules(tw, HANDSHAKE[:2])
    texts = [a["text"] for a in tw.view(sid)["actions"]]
    assert "B: receives <SEQ=0><CTL=SYN>, sends <SEQ=4><ACK=1><CTL=SYN,ACK>  [listen-rcv-syn]" in texts
    assert any(t.startswith("network: segment duplicated <SEQ=0><CTL=SYN>") for t in texts)


def test_properties_at_a_state_and_on_the_last_step(tw):
    sid, moves = click_rules(tw, HANDSHAKE)
    props = {p["name"]: p for p in tw.view(sid)["properties"]}
    assert props["time_wait_reached"]["ok"] is False
    assert props["graceful_close"]["ok"] is None        # liveness: a property of runs
    assert props["time_wait_safety"]["ok"] is None      # a step property: no step given
    ids = tw.replay(RunPath(tw.initial[0], moves))
    props = {p["name"]: p for p in tw.view(sid, ids[-2], moves[-1])["properties"]}
    assert props["time_wait_safety"]["ok"] is True and props["time_wait_safety"]["status"] == \
        "holds at the last step"


def test_the_checks_traces_become_paths_that_replay_to_the_same_traces(tw):
    v = tw.verdicts()
    by = {p["name"]: p for p in v["properties"]}
    assert by["time_wait_safety"]["verdict"] == "violated" and by["time_wait_safety"]["steps"] == 19
    run = tw._run
    for p in run.properties:
        if p.trace is None:
            continue
        path = tw.path_of(p.trace)
        again = tw.trace(path, p.trace.loop_start)
        assert again.to_json() == p.trace.to_json(), p.name
    # the step of the assassination: the RST that ends TIME-WAIT
    ids = tw.replay(RunPath(by["time_wait_safety"]["start"], by["time_wait_safety"]["moves"]))
    last = tw.view(ids[-1], ids[-2], by["time_wait_safety"]["moves"][-1])
    assert {p["name"]: p["ok"] for p in last["properties"]}["time_wait_safety"] is False


def test_shortest_path_to_a_formula_agrees_with_the_checks_witness(tw):
    witness = next(p for p in tw.verdicts()["properties"] if p["name"] == "time_wait_reached")
    r = tw.reach(tw.initial[0], "a.state == 'TIME-WAIT' or b.state == 'TIME-WAIT'")
    assert r["result"] == "reachable" and len(r["moves"]) == witness["steps"]
    r = tw.reach(tw.initial[0], "a.state == 'TIME-WAIT' and ab.size > 1")
    ids = tw.replay(RunPath(tw.initial[0], r["moves"]))
    end = tw.view(ids[-1])
    assert end["endpoints"][0]["state"] == "TIME-WAIT" and len(end["channels"][0]["segments"]) > 1
    # from a later state the search starts there: fewer steps
    sid, _ = click_rules(tw, HANDSHAKE)
    r2 = tw.reach(sid, "a.state == 'TIME-WAIT'")
    assert r2["result"] == "reachable" and len(r2["moves"]) < witness["steps"]


def test_unreachable_is_exhaustive_and_a_limit_is_unknown(tw):
    r = tw.reach(tw.initial[0], "a.state == 'CLOSING'")
    assert r["result"] == "unreachable" and r["states"] == tw.verdicts()["states"]
    r = tw.reach(tw.initial[0], "a.state == 'CLOSING'", max_states=1000)
    assert r["result"] == "unknown" and "max-states" in r["message"]


@pytest.mark.parametrize("formula, words", [
    ("a.state == ", "expected a value"),
    ("a.state == 'NOPE'", "unknown state 'NOPE'"),
    ("step.rule == 'sync-rst'", "cannot read step names"),
    ("", "type a state formula"),
])
def test_bad_formulas_are_one_line_errors(tw, formula, words):
    with pytest.raises(InputError) as e:
        tw.reach(tw.initial[0], formula)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_a_trace_of_another_check_does_not_match(tw):
    hs = api.run("handshake", properties=["eventually_established_unfair"])
    lasso = hs["eventually_established_unfair"].trace
    with pytest.raises(InputError, match="is not an enabled action of this check"):
        tw.path_of(lasso)
    session = Session(hs.model)
    path = session.path_of(lasso)
    assert session.trace(path, lasso.loop_start).to_json() == lasso.to_json()


# ------------------------------------------------------------------ the server

@pytest.fixture(scope="module")
def server():
    srv = ExplorerServer(Session(api.load("handshake")), 0)
    start_in_thread(srv)
    yield srv
    srv.shutdown()
    srv.server_close()


def request(srv, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=30)
    h = {"Content-Type": "application/json"} if body is not None else {}
    h.update(headers or {})
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    raw = r.read()
    c.close()
    try:
        return r.status, json.loads(raw), r
    except ValueError:
        return r.status, raw.decode(), r


def test_the_server_is_local_and_serves_the_page_without_anything_external(server):
    assert server.server_address[0] == "127.0.0.1"
    code, page, r = request(server, "GET", "/")
    assert code == 200 and "explorer.js" in page
    assert "default-src 'none'" in r.getheader("Content-Security-Policy")
    for asset in ("/explorer.js", "/explorer.css"):
        code, text, _ = request(server, "GET", asset)
        assert code == 200 and "http://" not in text and "https://" not in text
    assert "http" not in page.replace("http-equiv", "")


@pytest.mark.parametrize("method, path, body, headers, status, words", [
    ("GET", "/api/state?id=99999", None, None, 400, "unknown state id 99999"),
    ("GET", "/api/state?id=abc", None, None, 400, "must be an integer"),
    ("GET", "/api/state?id=0&prev=0&k=7", None, None, 400, "does not lead to state"),
    ("POST", "/api/reach", {"start": 0, "moves": [], "formula": "a.state =="}, None, 400,
     "expected a value"),
    ("POST", "/api/reach", {"start": 0, "moves": [0, 99], "formula": "true"}, None, 400,
     "has no action 99"),
    ("POST", "/api/path", {"start": 5, "moves": []}, None, 400, "not an initial state"),
    ("POST", "/api/path", b"{not json", None, 400, "malformed JSON"),
    ("POST", "/api/path", {"start": 0}, {"Content-Type": "text/plain"}, 415, "application/json"),
    ("POST", "/api/open", {"document": {"steps": "nope"}}, None, 400, "not a trace"),
    ("GET", "/api/nothing", None, None, 404, "no such page"),
    ("GET", "/api/info", None, {"Host": "attacker.example"}, 403, "local requests only"),
])
def test_bad_requests_get_a_clear_message_and_the_server_keeps_running(
        server, method, path, body, headers, status, words):
    code, answer, _ = request(server, method, path, body, headers)
    assert code == status
    assert words in (answer["error"] if isinstance(answer, dict) else answer)
    code, info, _ = request(server, "GET", "/api/info")
    assert code == 200 and info["check"] == "handshake"


def test_the_downloaded_trace_renders_with_tcpmodel_trace(server, tmp_path):
    session = server.session
    sid, moves = click_rules(session, HANDSHAKE)
    q = ",".join(map(str, moves))
    code, doc, r = request(server, "GET", f"/api/download?start={session.initial[0]}&moves={q}")
    assert code == 200 and "attachment" in r.getheader("Content-Disposition")
    f = tmp_path / "path.json"
    f.write_text(json.dumps(doc))
    p = subprocess.run([sys.executable, "-m", "tcpmodel", "trace", str(f)], capture_output=True,
                       text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert p.returncode == 0, p.stderr
    assert "ESTABLISHED" in p.stdout and "[synrcvd-ack]" in p.stdout
    # and the explorer reads it back as the same path
    code, opened, _ = request(server, "POST", "/api/open", {"document": doc})
    assert code == 200 and opened["moves"] == moves


# ------------------------------------------------------------------ the command

def _start(*args):
    p = subprocess.Popen([sys.executable, "-m", "tcpmodel", "explore", "--no-browser", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    line = p.stdout.readline()   # the URL line: the server is listening when it is printed
    return p, line


def test_the_command_prints_the_url_opens_a_trace_and_stops_cleanly_on_ctrl_c(tmp_path):
    code = subprocess.run([sys.executable, "-m", "tcpmodel", "check", "time-wait", "-q", "-p",
                           "time_wait_safety", "--out", str(tmp_path)], cwd=ROOT, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True).returncode
    assert code == 1
    p, line = _start("time-wait", "--trace", str(tmp_path / "time-wait-time_wait_safety.json"))
    try:
        assert line.startswith("tcpmodel explore: time-wait (rfc9293) at http://127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1].strip(" /\n"))
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/api/info")
        info = json.loads(c.getresponse().read())
        assert len(info["opened"]["moves"]) == 19
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and "stopped" in err and "Traceback" not in err


def test_a_trace_that_does_not_fit_the_check_is_an_input_error(tmp_path):
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"initial": {"a": "CLOSED", "b": "CLOSED"}, "steps": [
        {"step": 1, "action": "open_active", "kind": "call", "actor": "A", "rule": "nope",
         "a": "SYN-SENT", "b": "CLOSED"}]}))
    p = subprocess.run([sys.executable, "-m", "tcpmodel", "explore", "--no-browser", "--trace",
                        str(f)], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    assert str(f) in p.stderr and "step 1" in p.stderr
