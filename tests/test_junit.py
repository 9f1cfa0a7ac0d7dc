"""tcpmodel check --junit: JUnit XML a CI reads (one test case per property, failures carry
the trace)."""

import re
import xml.etree.ElementTree as ET

from test_cli import run


def test_junit_file_has_one_case_per_property_and_failures_carry_the_trace(tmp_path):
    out = tmp_path / "ci" / "results.xml"
    code, text, _ = run("check", "time-wait", "handshake", "-q", "--junit", str(out),
                        "-p", "time_wait_safety", "-p", "time_wait_reached", "-p", "no_deadlock")
    assert code == 1 and "time_wait_safety violated" in text   # the usual output is unchanged
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["time-wait (rfc9293)", "handshake (rfc9293)"]
    tw = suites[0]
    cases = {c.get("name"): c for c in tw.findall("testcase")}
    assert list(cases) == ["time_wait_safety", "time_wait_reached", "no_deadlock"]
    assert all(c.get("classname") == "time-wait.rfc9293" for c in cases.values())
    failure = cases["time_wait_safety"].find("failure")
    assert failure is not None and failure.get("type") == "violated"
    assert "time_wait_safety violated" in failure.get("message")
    # the trace in RFC notation, as tcpmodel check prints it
    assert "TCP A" in failure.text and "<SEQ=6><CTL=RST>" in failure.text
    assert "STALE segment of an earlier incarnation" in failure.text
    assert cases["time_wait_reached"].find("failure") is None
    assert "shortest witness" in cases["time_wait_reached"].find("system-out").text
    assert "terminal implies end" in cases["no_deadlock"].find("failure").get("message")
    assert (tw.get("tests"), tw.get("failures"), tw.get("errors")) == ("3", "2", "0")
    hs = {c.get("name"): c for c in suites[1].findall("testcase")}
    assert hs["no_deadlock"].find("failure") is None and hs["no_deadlock"].find("error") is None
    assert re.search(r"all [\d,]+ reachable states", hs["no_deadlock"].find("system-out").text)
    # a sometimes property with no witness fails, with no trace to show
    missing = hs["time_wait_reached"].find("failure")
    assert "no witness among all" in missing.text and "TCP A" not in missing.text
    props = {p.get("name"): p.get("value") for p in suites[0].find("properties")}
    assert props["complete"] == "true" and int(props["states"]) > 100_000
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "3", "0")


def test_unknown_verdicts_are_errors_not_passes(tmp_path):
    out = tmp_path / "r.xml"
    code, _, _ = run("check", "close", "-q", "--max-states", "500", "-p", "no_deadlock",
                     "--junit", str(out))
    assert code == 3
    case = ET.parse(out).getroot().find("testsuite/testcase")
    err = case.find("error")
    assert err is not None and err.get("type") == "unknown" and "max-states" in err.get("message")


def test_junit_with_parallel_jobs_matches_the_serial_file(tmp_path):
    a, b = tmp_path / "serial.xml", tmp_path / "parallel.xml"
    args = ("check", "handshake", "half-open", "-q", "-p", "no_deadlock")
    assert run(*args, "--junit", str(a))[0] == run(*args, "--jobs", "2", "--junit", str(b))[0]

    def shape(p):
        return [(s.get("name"), s.get("tests"), s.get("failures"),
                 [(c.get("name"), [x.tag for x in c]) for c in s.findall("testcase")])
                for s in ET.parse(p).getroot()]
    assert shape(a) == shape(b)
