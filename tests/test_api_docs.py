"""docs/api.md's examples run: every ```python block, in order, in one namespace, in an empty
directory (the examples assert what they show)."""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_api_examples_run(tmp_path):
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", doc, flags=re.S | re.M)
    assert len(blocks) >= 6, "docs/api.md lost its examples"
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        namespace: dict = {}
        for i, code in enumerate(blocks, start=1):
            exec(compile(code, f"docs/api.md example {i}", "exec"), namespace)
    finally:
        os.chdir(here)
    assert (tmp_path / "report.html").exists() and (tmp_path / "assassination.svg").exists()


def test_import_tcpmodel_does_not_load_the_engines():
    import subprocess
    import sys
    code = ("import sys, tcpmodel; assert 'tcpmodel.api' not in sys.modules; "
            "assert not any(m.startswith(('z3', 'numpy', 'networkx', 'tcpmodel.engines')) "
            "for m in sys.modules), sorted(sys.modules); "
            "assert callable(tcpmodel.run) and 'tcpmodel.api' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_api_names_are_not_shadowed_by_modules():
    """``tcpmodel.run`` stays the API function after every module has been imported."""
    import tcpmodel
    import tcpmodel.check  # noqa: F401
    import tcpmodel.report  # noqa: F401
    import tcpmodel.scenario  # noqa: F401
    from tcpmodel import api
    for name in tcpmodel._API:
        assert getattr(tcpmodel, name) is getattr(api, name), name


def test_the_readme_api_example_runs(tmp_path, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [code] = re.findall(r"^```python\n(.*?)^```", readme, flags=re.S | re.M)
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(here)
    out = capsys.readouterr().out.splitlines()
    # what the comments beside the prints say
    assert out[0].startswith("{'time_wait_safety': 'holds'") and out[1] == "violated 19 closing-rst"
    assert (tmp_path / "tw.svg").read_text().startswith("<svg")
