"""Conformance against the local Linux kernel, each test case in a network namespace of its own
(``tcpmodel.conform.runner`` forks a child that unshares one; nothing touches the host's
interfaces, routes or sysctls, which the last test checks).  Skipped, with the reason, where
namespaces or TUN devices are not available (not root, no /dev/net/tun).

Kept to a sample (about half a minute of a 2-core machine): the whole generated suite is
``tcpmodel conform --rules --scenario``; docs/conformance.md has its results."""

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from tcpmodel import conform
from tcpmodel.conform.generate import rule_cases
from tcpmodel.conform.suite import run_cases

WHY = conform.available()
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"conformance tests need a network "
                                                        f"namespace and TUN: {WHY}")

# transitions where Linux and RFC 9293 part ways, and some where they agree; the FIN-WAIT-2
# timer (tcp_fin_timeout = 2 s in the namespace) and a retransmission (~1 s) among them
SAMPLE = ["rule:listen-rcv-syn", "rule:closed-rcv-syn-reset@CLOSED:rcv_syn", "rule:synrcvd-synack-linux",
          "rule:request-syn-retransmit", "rule:request-syn-reset",
          "rule:rst-challenge@ESTABLISHED:rcv_rst", "rule:sync-rst@ESTABLISHED:rcv_rst",
          "rule:syn-challenge@ESTABLISHED:rcv_syn", "rule:rst-after-fin@CLOSE-WAIT:rcv_rst",
          "rule:orphan-data-reset@FIN-WAIT-2:rcv_data", "rule:timewait-rst@TIME-WAIT:rcv_rst",
          "rule:timewait-other@TIME-WAIT:rcv_data", "rule:abort-rst-ack@ESTABLISHED:abort",
          "rule:finwait2-timeout", "rule:rto-fin@FIN-WAIT-1:rto",
          # segments without the ACK bit, FINs after the peer's FIN, a retry limit (~3 s)
          "rule:noack-discard@CLOSE-WAIT:rcv_noack", "rule:timewait-noack",
          "rule:closewait-fin-silent", "rule:send-not-connected@SYN-SENT:send",
          "rule:rto-syn-give-up"]


SMALL = 5_000   # states searched where a test needs one shallow case of a suite (seconds saved)


@pytest.fixture(scope="module")
def linux_cases():
    return {c.name: c for c in rule_cases("linux")}


@pytest.fixture(scope="module")
def linux_sample(linux_cases):
    picked = [linux_cases[n] for n in SAMPLE]
    return run_cases(picked, "linux", compared=("rfc9293", "rfc5961", "linux"), jobs=4)


def test_linux_predicts_the_kernel_on_a_sample_of_its_rule_suite(linux_sample):
    bad = [(r.case.name, r.status, r.verdict.reason, r.verdict.first)
           for r in linux_sample.results if r.status != "pass"]
    assert not bad
    assert linux_sample.kernel == os.uname().release
    sysctls = linux_sample.settings["sysctls"]
    assert sysctls["net.ipv4.tcp_fin_timeout"] == 2 and sysctls["net.ipv4.tcp_rfc1337"] == 0


def test_rfc9293_and_rfc5961_show_their_real_differences(linux_sample):
    status = {r.case.name: {v: r.verdicts[v].status for v in ("rfc9293", "rfc5961")}
              for r in linux_sample.results}
    # RFC 5961's challenge ACKs are Linux's; RFC 9293 (without them) resets
    assert status["rule:rst-challenge@ESTABLISHED:rcv_rst"] == {"rfc9293": "diverge",
                                                                "rfc5961": "pass"}
    assert status["rule:syn-challenge@ESTABLISHED:rcv_syn"]["rfc9293"] == "diverge"
    # neither knows request sockets, orphaned FIN-WAIT-2 or the FIN-WAIT-2 timer
    for name in ("rule:request-syn-reset", "rule:orphan-data-reset@FIN-WAIT-2:rcv_data",
                 "rule:finwait2-timeout", "rule:abort-rst-ack@ESTABLISHED:abort",
                 "rule:timewait-noack", "rule:closewait-fin-silent"):
        assert status[name] == {"rfc9293": "diverge", "rfc5961": "diverge"}, name
    # RFC 9293's retry limit is Linux's tcp_syn_retries: ETIMEDOUT after one retransmission
    assert status["rule:rto-syn-give-up"] == {"rfc9293": "pass", "rfc5961": "pass"}
    assert status["rule:sync-rst@ESTABLISHED:rcv_rst"] == {"rfc9293": "pass", "rfc5961": "pass"}
    first = next(r for r in linux_sample.results
                 if r.case.name == "rule:abort-rst-ack@ESTABLISHED:abort").verdicts["rfc9293"].first
    assert first.expected["sent"] == "<SEQ=1><CTL=RST>"
    assert first.observed["sent"] == ["<SEQ=1><ACK=5><CTL=RST,ACK>"]


def test_linux_queues_no_send_before_established():
    """RFC 9293 §3.10.2 queues a SEND in SYN-SENT and sends it once ESTABLISHED; Linux's
    non-blocking send() fails (EAGAIN) and nothing follows the handshake."""
    case = next(c for c in rule_cases("rfc9293", max_states=SMALL)
                if c.name == "rule:output-data@ESTABLISHED:output")
    r = run_cases([case], "rfc9293", compared=("linux",), jobs=1).results[0]
    assert "send: EAGAIN" in r.observed.seen[1].detail
    assert r.status == "diverge" and r.verdict.first.index == 3            # at the output step
    assert r.verdict.first.expected["sent"] == "<SEQ=1><ACK=5><CTL=ACK><DATA=1>"
    assert r.verdict.first.observed["sent"] == []
    assert r.verdicts["linux"].status == "pass"


MUTANTS = {
    # ABORT without the ACK bit (RFC 9293's <SEQ=SND.NXT><CTL=RST>): a segment difference
    "abort": ('[[rule]]\nreplace = "abort-rst-ack"\nsend = { seq = "snd_nxt", ctl = "RST" }\n'
              'next = "CLOSED"\n', "rule:abort-rst-ack@mutant@ESTABLISHED:abort", "segment"),
    # RST at RCV.NXT ignored in TIME-WAIT although tcp_rfc1337 = 0: a state difference
    "timewait": ('[[rule]]\nreplace = "timewait-rst"\nwhen = "true"\n',
                 "rule:timewait-rst@mutant@TIME-WAIT:rcv_rst", "state"),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_a_mutated_rule_in_a_scratch_variant_is_reported_as_a_divergence(tmp_path, mutant):
    text, name, what = MUTANTS[mutant]
    path = tmp_path / f"mutant-{mutant}.toml"
    path.write_text(f'name = "mutant"\nextends = "linux"\n{text}')
    case = next(c for c in rule_cases(str(path), max_states=SMALL) if c.name == name)
    suite = run_cases([case], str(path), compared=("linux",), jobs=1)
    r = suite.results[0]
    assert r.status == "diverge" and what in r.verdict.first.what
    assert r.verdict.first.index == len(case.stimuli) - 1       # at the mutated step, not before
    assert r.observed.stopped == len(case.stimuli) - 1
    assert r.verdicts["linux"].status == "pass"                  # the same kernel run


def test_python_entry_point_runs_one_model_trace():
    from tcpmodel.check import build
    from tcpmodel.scenario import compile_lines, load_scenario, search
    sc = load_scenario("attack-rst-in-window", variant="rfc9293")
    model = build(sc.check, [])
    compile_lines(sc, model)
    out = search(sc, model)
    r = conform.run_trace(model.system, out.start, out.moves, side=1, name="blind-rst")
    # the blind in-window RST resets B on rfc9293; Linux answers it with a challenge ACK
    assert r.status == "diverge" and r.verdict.first.observed["state"] == "ESTABLISHED"
    assert r.verdicts["linux"].status == "pass" and r.verdicts["rfc5961"].status == "pass"
    assert any(s.state == "ESTABLISHED" for s in r.observed.seen)


def test_sequence_numbers_wrap_on_the_wire(linux_cases):
    case = linux_cases["rule:established-data@ESTABLISHED:rcv_data"]
    r = run_cases([case], "linux", compared=("linux",), peer_iss=(1 << 32) - 2).results[0]
    assert r.status == "pass"
    acks = [int(t.split("<ACK=")[1].split(">")[0]) for s in r.observed.seen for t in s.real
            if "<ACK=" in t]
    assert (1 << 32) - 1 in acks and 0 in acks       # RCV.NXT passed 2**32 - 1 and wrapped


def test_the_command_with_json_and_charts(tmp_path):
    r = subprocess.run([sys.executable, "-m", "tcpmodel", "conform", "--variant", "rfc9293",
                        "--scenario", "attack-syn-in-window", "--out", str(tmp_path), "--json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["exit_code"] == 1 and doc["kernel"] == os.uname().release
    b = next(c for c in doc["cases"] if c["name"].endswith("/B"))
    assert b["status"] == "diverge" and b["verdicts"]["linux"]["status"] == "pass"
    svg = next(tmp_path.glob("*attack-syn-in-window-B*.svg")).read_text()
    assert 'class="mark"' in svg
    text = next(tmp_path.glob("*attack-syn-in-window-B*.txt")).read_text()
    assert "<== first difference" in text and "model run (rfc9293)" in text


def test_the_host_is_left_alone():
    names = ("tcp_rfc1337", "tcp_fin_timeout", "tcp_retrans_collapse", "tcp_invalid_ratelimit",
             "tcp_syn_retries", "tcp_synack_retries", "tcp_retries2", "tcp_orphan_retries")
    before = {n: Path(f"/proc/sys/net/ipv4/{n}").read_text() for n in names}
    links = sorted(os.listdir("/sys/class/net"))
    cases = {c.name: c for c in rule_cases("linux", overrides={"tcp_rfc1337": True},
                                           max_states=SMALL)}
    picked = [cases["rule:timewait-rst@TIME-WAIT:rcv_rst"], cases["rule:rto-give-up@ESTABLISHED:rto"]]
    rst, give_up = run_cases(picked, "linux", compared=("linux",)).results
    assert rst.status == "pass" and rst.observed.settings["sysctls"]["net.ipv4.tcp_rfc1337"] == 1
    assert give_up.status == "pass"
    assert give_up.observed.settings["sysctls"]["net.ipv4.tcp_retries2"] == 1
    assert {n: Path(f"/proc/sys/net/ipv4/{n}").read_text() for n in names} == before
    assert sorted(os.listdir("/sys/class/net")) == links


def test_socket_states_read_over_netlink_are_what_ss_shows():
    import shutil
    import socket

    from tcpmodel.conform import diag, netns
    from tcpmodel.conform.runner import _Child
    if shutil.which("ss") is None:
        pytest.skip("no ss (iproute2) to compare with")

    def child():
        netns.enter_private_namespace()
        subprocess.run([netns.ip_command(), "link", "set", "lo", "up"], check=True)
        ls = socket.create_server(("127.0.0.1", 7000))
        a = socket.create_connection(("127.0.0.1", 7000))
        b, _ = ls.accept()
        a.close()                                # a: FIN-WAIT-2, b: CLOSE-WAIT

        def read():
            return sorted((s.state, f"{s.src}:{s.sport}", f"{s.dst}:{s.dport}")
                          for s in diag.tcp_sockets())
        # the FIN's ACK crosses loopback after close() returns: wait for the event (a reaches
        # FIN-WAIT-2), bounded, so both readers see a settled state
        deadline = time.monotonic() + 10.0
        while not any(x[0] == "FIN-WAIT-2" for x in read()) and time.monotonic() < deadline:
            select.select([], [], [], 0.001)
        ours = read()
        ss = subprocess.run(["ss", "-tanH"], capture_output=True, text=True).stdout
        b.close()
        return {"ours": ours, "ss": ss}
    job = _Child(child, 20.0)
    while not job.poll(20.0):
        pass
    out = job.result
    assert "error" not in out, out
    names = {"LISTEN": "LISTEN", "FIN-WAIT-2": "FIN-WAIT-2", "CLOSE-WAIT": "CLOSE-WAIT"}
    theirs = sorted((names[f[0]], f[3], f[4].replace("0.0.0.0:*", "0.0.0.0:0"))
                    for f in (line.split() for line in out["ss"].splitlines()))
    assert [tuple(x) for x in out["ours"]] == theirs
    assert {s for s, _, _ in theirs} == {"LISTEN", "FIN-WAIT-2", "CLOSE-WAIT"}


def test_synthesised_attacks_are_played_against_the_kernel(tmp_path):
    """`tcpmodel attack --out` writes scenarios that `tcpmodel conform --scenario` runs with the
    forged segment sent on the TUN side: a forged RST towards an established A resets the kernel
    (the attack works on Linux); a forged SYN draws a challenge ACK instead (it does not)."""
    out = tmp_path / "attacks"
    r = subprocess.run([sys.executable, "-m", "tcpmodel", "attack", "korg", "-p",
                        "phi1_no_half_open", "--transfer", "", "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr
    doc = json.loads((out / "attacks.json").read_text())
    by = {(a["actions"][0]["flags"], a["actions"][0]["direction"]): a["name"]
          for p in doc["properties"] for a in p["attacks"] if len(a["actions"]) == 1}
    picked = [by[("RST", "B->A")], by[("SYN", "B->A")]]
    r = subprocess.run([sys.executable, "-m", "tcpmodel", "conform", "--json", "--compare",
                        "rfc9293,linux", "--scenario", *[str(out / f"{n}.toml") for n in picked]],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr
    cases = {c["name"]: c for c in json.loads(r.stdout)["cases"]}
    rst, syn = (cases[f"scenario:{n}/A"] for n in picked)
    assert rst["status"] == "pass"                       # the kernel as A took the forged RST
    last = rst["observed"]["seen"][-1]
    assert (last["state"], last["signal"]) == ("CLOSED", "reset") and "RST" in last["detail"]
    assert rst["verdicts"]["linux"]["status"] == "pass"
    first = syn["verdicts"]["rfc9293"]["first_difference"]
    assert syn["status"] == "diverge" and first["expected"]["state"] == "CLOSED"
    assert first["observed"]["state"] == "ESTABLISHED" and "SYN" in first["observed"]["detail"]
    assert syn["verdicts"]["linux"]["status"] == "pass"
