"""tcpmodel explore in a real browser: headless Chromium driven by selenium (Debian's chromium
and chromium-driver, installed by .ci/run as root; skipped with a message where there is none).

One browser, one walk through the page as a user does it: the RFC 9293 handshake by clicking,
back and branch (also by keyboard), jump to the TIME-WAIT assassination, a reachability query
(and a malformed one), download the path and render it with tcpmodel trace; then a check whose
text holds markup, shown as text.  TCPMODEL_SCREENSHOT=1 also writes docs/explorer.png."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
HANDSHAKE = ["closed-open-passive", "closed-open-active", "listen-rcv-syn", "synsent-synack",
             "synrcvd-ack"]
WAIT = 60   # seconds for any one event (a slow shared machine), never a fixed sleep


def _chromium():
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed: pip install '.[test]'")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("no Chromium here: install Debian's chromium and chromium-driver "
                    "(.ci/run does, as root) to run the browser tests")
    return browser, driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = _chromium()
    downloads = tmp_path_factory.mktemp("downloads")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--no-first-run", "--disable-extensions",
                "--window-size=1500,1900",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    d = webdriver.Chrome(options=opts, service=Service(executable_path=driver))
    d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow",
                                                      "downloadPath": str(downloads)})
    d.downloads = downloads
    yield d
    d.quit()


def serve(*args):
    """``tcpmodel explore ARGS --no-browser``: (process, URL) once it listens."""
    p = subprocess.Popen([sys.executable, "-m", "tcpmodel", "explore", "--no-browser", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                         env=ENV)
    line = p.stdout.readline()
    assert " at http://127.0.0.1:" in line, (line, p.stderr.read() if p.poll() is not None else "")
    return p, line.rsplit(" at ", 1)[1].strip()


def stop(p):
    import signal
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=30)
    assert p.returncode == 0


def until(driver, what, condition):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(
        lambda d: condition(d), message=what)


def settled(d):
    return d.execute_script("return document.body.dataset.busy === '0'")


def at_step(d, n):
    until(d, f"step {n} shown", lambda d: settled(d) and d.execute_script(
        "return document.body.dataset.step") == str(n))


def css(d, selector):
    from selenium.webdriver.common.by import By
    return d.find_element(By.CSS_SELECTOR, selector)


def csss(d, selector):
    from selenium.webdriver.common.by import By
    return d.find_elements(By.CSS_SELECTOR, selector)


def chart_steps(d) -> int:
    return int(css(d, "#chart svg").get_attribute("data-steps"))


def states(d) -> tuple:
    return css(d, "#endpoint-a .tcp-state").text, css(d, "#endpoint-b .tcp-state").text


def test_a_user_reproduces_the_assassination_in_the_browser(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys
    d = browser
    p, url = serve("time-wait")
    try:
        d.get(url)
        until(d, "page ready", lambda d: d.execute_script("return document.body.dataset.ready") == "1")
        assert "time-wait (rfc9293)" in css(d, "#check-name").text
        assert states(d) == ("CLOSED", "CLOSED") and chart_steps(d) == 0

        # the RFC 9293 three-way handshake, by clicking the actions that fire its rules
        for i, rule in enumerate(HANDSHAKE, start=1):
            css(d, f'#actions button[data-rule="{rule}"]').click()
            at_step(d, i)
            assert chart_steps(d) == i     # the chart grows step by step
        assert states(d) == ("ESTABLISHED", "ESTABLISHED")
        tcb = css(d, "#endpoint-a table").text
        assert "RCV.NXT 5" in tcb and "SND.NXT 1" in tcb
        assert "<SEQ=1><ACK=5><CTL=ACK>" not in css(d, "#channels").text  # B took A's ACK

        # back to step 2 and branch: the network duplicates A's SYN instead
        css(d, '#path li[data-step="2"] button').click()
        at_step(d, 2)
        assert len(csss(d, "#path li.undone")) == 3 and chart_steps(d) == 2
        css(d, '#actions button[data-kind="dup"]').click()
        at_step(d, 3)
        assert len(csss(d, "#path li")) == 4 and not csss(d, "#path li.undone")
        assert css(d, "#channels").text.count("<SEQ=0><CTL=SYN>") == 2
        # by keyboard: back a step, then the first action
        css(d, "body").send_keys(Keys.ARROW_LEFT)
        at_step(d, 2)
        first = csss(d, "#actions button")[0].text
        css(d, "body").send_keys("1")
        at_step(d, 3)
        assert css(d, '#path li[data-step="3"]').text.split(". ", 1)[1] in first

        # jump to the check's counterexample: the TIME-WAIT assassination
        until(d, "the check's verdicts", lambda d: css(d, "#verdicts").get_attribute("data-ready") == "1")
        css(d, 'button.jump[data-property="time_wait_safety"]').click()
        at_step(d, 19)
        assert chart_steps(d) == 19 and "STALE" in css(d, "#chart").text
        assert states(d) == ("SYN-SENT", "ESTABLISHED")
        row = css(d, '#properties tr[data-property="time_wait_safety"]').text
        assert "VIOLATED at the last step" in row
        assert "time_wait_safety" in css(d, "#message").text
        css(d, '#path li[data-step="16"] button').click()      # the RST that ends TIME-WAIT
        at_step(d, 16)
        assert states(d) == ("CLOSED", "LISTEN")
        if os.environ.get("TCPMODEL_SCREENSHOT"):
            d.save_screenshot(str(ROOT / "docs" / "explorer.png"))

        # a reachability query from the start, a malformed one, an unreachable one
        css(d, "#restart").click()
        at_step(d, 0)
        box = css(d, "#formula")
        box.send_keys("a.state == ")
        css(d, "#query-button").click()
        until(d, "the error", lambda d: css(d, "#query-result").get_attribute("data-result") == "error")
        assert "expected a value" in css(d, "#query-result").text
        box.clear()
        box.send_keys("a.state == 'CLOSING'")
        css(d, "#query-button").click()
        until(d, "unreachable", lambda d: css(d, "#query-result").get_attribute("data-result") == "unreachable")
        assert "none of the" in css(d, "#query-result").text
        box.clear()
        box.send_keys("a.state == 'TIME-WAIT' and ab.size > 1" + Keys.ENTER)
        until(d, "reachable", lambda d: css(d, "#query-result").get_attribute("data-result") == "reachable")
        until(d, "path followed", lambda d: settled(d) and states(d)[0] == "TIME-WAIT")
        steps = int(d.execute_script("return document.body.dataset.step"))
        assert f"reachable in {steps} steps" in css(d, "#query-result").text
        assert len(csss(d, "#channels .channel:first-child li.segment")) > 1

        # download the path and render it with tcpmodel trace
        css(d, "#download").click()
        files = until(d, "the download", lambda d: [f for f in d.downloads.glob("*.json")])
        doc = json.loads(files[0].read_text())
        assert len(doc["steps"]) == steps and doc["check"] == "time-wait"
        r = subprocess.run([sys.executable, "-m", "tcpmodel", "trace", str(files[0]), "-o",
                            str(tmp_path / "path.svg")], capture_output=True, text=True,
                           cwd=ROOT, env=ENV, timeout=120)
        assert r.returncode == 0, r.stderr
        assert f'data-steps="{steps}"' in (tmp_path / "path.svg").read_text()
    finally:
        stop(p)


def test_text_from_check_files_is_shown_as_text(browser, tmp_path):
    d = browser
    check = tmp_path / "markup.toml"
    check.write_text('description = "<img src=x id=injected> & <script>bad()</script>"\n'
                     'properties = ["no_deadlock"]\n[scripts]\na = ["open_active"]\n'
                     'b = ["open_passive"]\n')
    p, url = serve(str(check))
    try:
        d.get(url)
        until(d, "page ready", lambda d: d.execute_script("return document.body.dataset.ready") == "1")
        assert "<img src=x id=injected> & <script>" in css(d, "#check-info").text
        assert not csss(d, "#injected") and not csss(d, "header script")
    finally:
        stop(p)
