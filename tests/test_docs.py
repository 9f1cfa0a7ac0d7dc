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
    _, tw = run_check("time-wait")
    assert (tw.states, tw.transitions, tw.depth) == tuple(int(x.replace(",", "")) for x in m.groups())
    fixed = re.search(r"time_wait_safety\s+always\s+holds\s+-\s+all ([\d,]+) reachable", readme)
    _, res = run_check("time-wait", variant="rfc1337")
    assert res.states == int(fixed.group(1).replace(",", ""))
    table = readme[m.end():].split("property           kind", 1)[1].split("\n\n", 1)[0]
    row = re.compile(r"\s+\w+\s+(always|sometimes|eventually|leads_to)\s")
    rows = [line.split()[:4] for line in table.splitlines() if row.match(line)]
    actual = [[p.name, p.kind, p.verdict.upper() if p.verdict == "violated" else p.verdict,
               str(p.depth) if p.depth is not None else "-"] for p in tw.properties]
    assert rows == actual, "README's example table differs from 'tcpmodel check time-wait'"


def test_every_command_option_and_choice_is_documented_somewhere():
    from tcpmodel.cli import _parser
    docs = (ROOT / "README.md").read_text() + "".join(
        p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
    sub = next(a for a in _parser()._actions if a.dest == "cmd")
    missing = []
    for cmd, parser in sub.choices.items():
        assert f"tcpmodel {cmd}" in docs, cmd
        for action in parser._actions:
            opts = [o for o in action.option_strings if o not in ("--help", "-h")]
            if opts and not any(re.search(re.escape(o) + r"\b", docs) for o in opts):
                missing.append((cmd, opts))
            if not opts and action.choices:  # positional choices, e.g. list params
                missing += [(cmd, c) for c in action.choices
                            if not re.search(rf"tcpmodel {cmd}( \S+)* {re.escape(c)}\b", docs)]
    assert not missing, missing


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


def test_the_check_file_example_in_model_md_loads(tmp_path):
    from tcpmodel.check import build, load_check
    doc = (ROOT / "docs" / "model.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    example = example.replace('"..."', '"true"').replace("my_invariant", "true")
    path = tmp_path / "example.toml"
    path.write_text(example)
    model = build(load_check(str(path)))
    names = [p.name for p in model.properties]
    assert names == ["no_deadlock", "both_established", "never_closing"]
