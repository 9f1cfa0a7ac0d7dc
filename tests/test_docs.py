"""The documentation matches the code: parameters, variants, and the README's example figures."""

import re
from pathlib import Path

from conftest import run_check
from tcpmodel.params import SCHEMA
from tcpmodel.spec import list_variants

ROOT = Path(__file__).resolve().parent.parent


def test_every_parameter_is_documented():
    doc = (ROOT / "docs" / "model.md").read_text()
    for name in SCHEMA:
        assert f"`{name}`" in doc, name


def test_every_variant_is_documented():
    doc = (ROOT / "docs" / "spec-format.md").read_text()
    for v in list_variants():
        assert f"`{v}`" in doc, v


def test_readme_example_figures_are_current():
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"== time-wait \(rfc9293\).*?\n.*?\n\s+([\d,]+) states, ([\d,]+) transitions, depth (\d+)",
                  readme)
    assert m, "README lost its example"
    _, res = run_check("time-wait")
    assert (res.states, res.transitions, res.depth) == tuple(int(x.replace(",", "")) for x in m.groups())
    fixed = re.search(r"time_wait_safety\s+always\s+holds\s+-\s+all ([\d,]+) reachable", readme)
    _, res = run_check("time-wait", variant="rfc1337")
    assert res.states == int(fixed.group(1).replace(",", ""))
    steps = int(re.search(r"time_wait_safety\s+always\s+VIOLATED\s+(\d+)", readme).group(1))
    bad = next(p for p in run_check("time-wait")[1].properties if p.name == "time_wait_safety")
    assert bad.depth == steps


def test_every_picture_command_and_option_is_documented():
    from tcpmodel.cli import _parser
    doc = (ROOT / "docs" / "pictures.md").read_text()
    sub = next(a for a in _parser()._actions if a.dest == "cmd")
    for cmd in ("diagram", "trace", "report", "diagrams"):
        assert f"tcpmodel {cmd}" in doc, cmd
        for action in sub.choices[cmd]._actions:
            opts = [o for o in action.option_strings if o != "--help" and o != "-h"]
            if opts:
                assert any(re.search(re.escape(o) + r"\b", doc) for o in opts), (cmd, opts)
    assert "--out" in doc
