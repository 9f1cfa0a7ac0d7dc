"""The package layout: every package is installed, and the engine families do not import each
other (only ``engines/crosscheck.py`` sees both)."""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "tcpmodel"


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved)."""
    mod = path.relative_to(ROOT).with_suffix("").parts
    package = mod[:-1] if path.name != "__init__.py" else mod[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            name = ".".join(base + ([node.module] if node.module else []))
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in PKG.rglob("__init__.py")}
    assert found <= listed, f"add to pyproject.toml: {sorted(found - listed)}"


def test_engine_families_do_not_import_each_other():
    for family, other in (("explicit", "symbolic"), ("symbolic", "explicit")):
        for f in (PKG / "engines" / family).glob("*.py"):
            bad = {m for m in _imports(f) if m.startswith(f"tcpmodel.engines.{other}")}
            assert not bad, f"{f.relative_to(ROOT)} imports {sorted(bad)}"


def test_no_import_cycle_between_modules():
    import networkx as nx
    g = nx.DiGraph()
    modules = {".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): f
               for f in PKG.rglob("*.py")}
    for name, f in modules.items():
        for m in _imports(f):
            if m in modules and m != name and not name.startswith(m + "."):
                g.add_edge(name, m)
    cycles = list(nx.simple_cycles(g))
    assert not cycles, f"import cycles: {cycles[:3]}"
