"""The picture commands as a user runs them, the choice of layout program (system dot first,
then graphviz-pure, else a clear error), and diagrams/ being up to date."""

import json
import os
import shutil
import stat
import sys

import pytest
from pictures import ROOT, groups, needs_layout, parse_svg

from tcpmodel.cli import main
from tcpmodel.errors import InputError
from tcpmodel.render import graphviz

# the program itself, beside this Python first: on PATH there may be a wrapper script (a pyenv
# shim) that cannot run in the bare PATH these tests set
PURE = next((p for p in (os.path.join(os.path.dirname(sys.executable), "graphviz-pure"),
                         shutil.which("graphviz-pure")) if p and os.path.exists(p)),
            "graphviz-pure")
has_pure = pytest.mark.skipif(not os.path.exists(PURE), reason="graphviz-pure is not installed")


def cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ layout program

@pytest.fixture
def bare(tmp_path, monkeypatch):
    """An environment where only what the test puts in ``bin`` is on PATH."""
    b = tmp_path / "bin"
    b.mkdir()
    monkeypatch.setenv("PATH", str(b))
    monkeypatch.delenv("TCPMODEL_DOT", raising=False)
    monkeypatch.setattr(sys, "executable", str(b / "python3"))   # nothing beside it either
    return b


def script(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@has_pure
def test_system_dot_is_preferred(bare, tmp_path):
    log = tmp_path / "dot-ran"
    script(bare / "dot", f'echo "$@" > {log}\nexec {PURE} "$@"\n')
    os.symlink(PURE, bare / "graphviz-pure")
    assert graphviz.find_layout() == str(bare / "dot")
    svg = graphviz.render("digraph { a -> b }", "svg")
    assert log.read_text().strip() == "-Tsvg" and b"<svg" in svg
    assert graphviz.find_layout("pure") == str(bare / "graphviz-pure")   # diagrams/ asks for it


@has_pure
def test_graphviz_pure_without_system_dot(bare):
    os.symlink(PURE, bare / "graphviz-pure")
    assert graphviz.find_layout() == str(bare / "graphviz-pure")
    png = graphviz.render("digraph { a -> b }", "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@has_pure
def test_graphviz_pure_beside_an_unactivated_venv_python(bare, tmp_path, monkeypatch):
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    os.symlink(PURE, venv_bin / "graphviz-pure")
    monkeypatch.setattr(sys, "executable", str(venv_bin / "python3"))
    assert graphviz.find_layout() == str(venv_bin / "graphviz-pure")


def test_no_layout_program_is_a_clear_error_but_dot_still_works(bare, tmp_path, capsys):
    with pytest.raises(InputError, match="pip install graphviz-pure"):
        graphviz.find_layout()
    code, _, err = cli(capsys, "diagram", "-o", str(tmp_path / "f.svg"))
    assert code == 2 and err.count("\n") == 1 and "neither 'dot' nor 'graphviz-pure'" in err
    code, _, _ = cli(capsys, "diagram", "-o", str(tmp_path / "f.dot"))
    assert code == 0 and (tmp_path / "f.dot").read_text().startswith('digraph "rfc9293"')


def test_a_failing_layout_program_is_reported(bare, tmp_path, capsys):
    script(bare / "dot", 'echo "Error: syntax error in line 1" >&2\nexit 1\n')
    code, _, err = cli(capsys, "diagram", "-o", str(tmp_path / "f.svg"))
    assert code == 2 and "dot exited with 1: Error: syntax error" in err


def test_tcpmodel_dot_names_a_missing_program(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TCPMODEL_DOT", "no-such-dot")
    code, _, err = cli(capsys, "diagram", "-o", str(tmp_path / "f.svg"))
    assert code == 2 and "TCPMODEL_DOT" in err and err.count("\n") == 1


# ------------------------------------------------------------------ commands

@needs_layout
@pytest.mark.parametrize("args, check", [
    (["--main", "-o", "{d}/f.svg"], lambda p: parse_svg(p.read_text())),
    (["-o", "{d}/f.png"], lambda p: p.read_bytes().startswith(b"\x89PNG")),
    (["--main", "-o", "{d}/f.mmd"], lambda p: p.read_text().startswith("stateDiagram-v2")),
    (["--diff", "rfc793", "-o", "{d}/f.svg"], lambda p: groups(parse_svg(p.read_text()), "edge")),
    (["--pairs", "crash", "-o", "{d}/f.svg"], lambda p: len(groups(parse_svg(p.read_text()), "pair")) == 22),
    (["--coverage", "handshake", "--main", "-o", "{d}/f.dot"], lambda p: "never fired" in p.read_text()),
])
def test_diagram_command(capsys, tmp_path, args, check):
    args = [a.format(d=tmp_path) for a in args]
    code, _, err = cli(capsys, "diagram", *args)
    assert code == 0, err
    assert check(tmp_path / args[-1].rsplit("/", 1)[1])


@pytest.mark.parametrize("args, needle", [
    (["diagram", "-o", "f.pdf"], "cannot tell the format of 'f.pdf'"),
    (["diagram", "--pairs", "crash", "--format", "mermaid"], "Mermaid output draws"),
    (["diagram", "--set", "loss=1"], "--set needs a check"),
    (["diagram", "--diff", "rfc9999"], "unknown variant 'rfc9999'"),
    (["trace", "nosuch.json"], "file not found"),
])
def test_bad_picture_commands_are_one_line(capsys, args, needle):
    code, _, err = cli(capsys, *args)
    assert code == 2 and err.count("\n") == 1 and needle in err, err


def test_check_out_then_trace(capsys, tmp_path):
    code, _, _ = cli(capsys, "check", "crash", "-q", "--out", str(tmp_path))
    assert code == 1
    files = sorted(p.name for p in tmp_path.iterdir())
    violated = ("no_deadlock", "no_half_open_deadlock", "half_open_resolved")
    assert files == sorted(f"crash-{p}{s}" for p in violated
                           for s in (".json", ".mmd", ".svg", ".txt"))
    saved = tmp_path / "crash-no_deadlock.json"
    code, text, _ = cli(capsys, "trace", str(saved))
    assert code == 0 and "FIN-WAIT-2" in text and text == (tmp_path / "crash-no_deadlock.txt") \
        .read_text().replace("crash (rfc9293): no_deadlock violated, shortest counterexample "
                             "(13 steps)", "crash-no_deadlock")
    code, _, _ = cli(capsys, "trace", str(saved), "-o", str(tmp_path / "again.svg"), "--title", "t")
    chart = parse_svg((tmp_path / "again.svg").read_text())
    assert code == 0 and len(groups(chart, "step")) == json.loads(saved.read_text())["steps"][-1]["step"]


def test_trace_picks_from_a_check_json_document(capsys, tmp_path):
    code, out, _ = cli(capsys, "check", "handshake", "crash", "--json", "-q")
    doc = tmp_path / "all.json"
    doc.write_text(out)
    code, _, err = cli(capsys, "trace", str(doc))          # two violated traces: ambiguous
    assert code == 2 and "crash/no_deadlock, crash/no_half_open_deadlock" in err
    code, text, _ = cli(capsys, "trace", str(doc), "-p", "both_established", "--check", "handshake")
    assert code == 0 and text.startswith("handshake: both_established holds")
    code, text, _ = cli(capsys, "trace", str(doc), "-p", "no_deadlock", "--format", "mermaid")
    assert code == 0 and text.startswith("sequenceDiagram")


@needs_layout
def test_report_is_one_self_contained_file(capsys, tmp_path):
    out = tmp_path / "r.html"
    code, _, err = cli(capsys, "report", "handshake", "crash", "-q", "-o", str(out))
    assert code == 1, err
    html = out.read_text()
    # pairs and endpoint diagram per check; a chart per violation (handshake's unfair lasso,
    # crash's three)
    assert html.count("<svg") == 2 + 2 + 1 + 3
    for word in ("handshake", "crash", "holds", "violated", "no_half_open_deadlock", "TCP A"):
        assert word in html
    assert "src=" not in html and "href=\"http" not in html and "<script" not in html


@has_pure
def test_diagrams_directory_is_up_to_date():
    """Regenerating diagrams/ gives the committed bytes: the DOT sources, the charts and Mermaid
    always; the graphviz SVGs too, because they come from graphviz-pure (the same on every
    machine)."""
    from tcpmodel.render.regen import regenerate, stable_layout
    assert stable_layout()
    assert regenerate(ROOT / "diagrams", verify=True) == []
    readme = (ROOT / "README.md").read_text()
    for name in ("rfc9293-fsm.svg", "rfc793-vs-rfc9293.svg", "handshake-chart.svg",
                 "time-wait-assassination.svg"):
        assert f"diagrams/{name}" in readme and (ROOT / "diagrams" / name).exists()
