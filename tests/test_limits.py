"""Limits and robustness: the inputs of issue 15 that used to crash (each now one line and exit
2, or a result), the memory limit, the job cap, progress under -q, documented bounds."""

import io
import re
from pathlib import Path

import pytest

from fuzzing import run_cli
from tcpmodel import expr as E

ROOT = Path(__file__).resolve().parent.parent
PROPS = '[scripts]\na = ["open_active"]\nb = ["open_passive"]\n'


def one_line_error(code, err, *needles):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tcpmodel: error: "), err
    for n in needles:
        assert n in lines[0], (n, err)


def check_file(tmp_path, body: str | bytes, name="c.toml") -> str:
    p = tmp_path / name
    p.write_bytes(body if isinstance(body, bytes) else body.encode())
    return str(p)


def formula_file(tmp_path, formula: str) -> str:
    return check_file(tmp_path, PROPS + f'[[property]]\nname = "x"\nformula = """{formula}"""\n')


@pytest.mark.parametrize("data, needle", [
    ('description = "café"\n'.encode("latin-1"), "byte 0xe9 is not UTF-8 text"),
    ('description = "x"\n'.encode("utf-16"), "not UTF-8"),
    (b'description = "x"\x00\n', "NUL byte"),
    (bytes(range(256)), "NUL byte"),
])
def test_files_that_are_not_utf8_text(tmp_path, data, needle):
    path = check_file(tmp_path, data)
    for argv in (["check", path], ["export", "promela", path], ["scenario", path],
                 ["check", "handshake", "--variant", path], ["trace", path]):
        code, _, err = run_cli(*argv)
        one_line_error(code, err, "c.toml", needle)


def test_endless_and_huge_files_are_refused_unread():
    code, _, err = run_cli("check", "/dev/zero")
    one_line_error(code, err, "/dev/zero", "larger than 4 MiB")
    code, _, err = run_cli("trace", "/dev/zero")
    one_line_error(code, err, "/dev/zero")


@pytest.mark.parametrize("formula, needle", [
    ("always " + "(" * 100 + "true" + ")" * 100, "nests more than 64 levels"),
    ("always " + "not " * 5000 + "true", "nests more than 64 levels"),
    ("always (" + "- " * 5000 + "1 == 0)", "nests more than 64 levels"),
    ("always " + "if true then " * 3000 + "true" + " else true" * 3000, "nests more than 64"),
    ("always (a.sent - " + " - ".join(["1"] * 300) + " == 0)", "levels deep (limit 100)"),
    ("always (1 / 0 == 0)", "'/' by zero"),
    ("always (1 / a.sent == 0)", "'/' needs a constant divisor"),
    ("always (a.sent % b.sent == 0)", "'%' needs a constant divisor"),
    ("always (a.sent < 12345678901234567890)", "too large"),
])
def test_deep_long_and_undefined_expressions(tmp_path, formula, needle):
    code, _, err = run_cli("check", formula_file(tmp_path, formula), "-q")
    one_line_error(code, err, "c.toml", needle)


def test_long_flat_chains_are_checked(tmp_path):
    states = " or ".join(f"a.state == '{s}'" for s in ["CLOSED", "SYN-SENT", "ESTABLISHED"] * 200)
    code, out, err = run_cli("check", formula_file(tmp_path, f"always ({states})"), "-q")
    assert code == 0 and "holds" in out, err
    total = " + ".join(["a.sent"] * 2000)
    code, out, err = run_cli("check", formula_file(tmp_path, f"always ({total} == 0)"), "-q")
    assert code == 0, err
    assert E.depth(E.parse(states)) < 20


def test_deep_definitions_are_refused(tmp_path):
    defs = "\n".join(f'd{i} = "d{i - 1} and true"' for i in range(1, 200))
    path = check_file(tmp_path, PROPS + f'[define]\nd0 = "true"\n{defs}\n'
                      '[[property]]\nname = "x"\nformula = "always d199"\n')
    code, _, err = run_cli("check", path, "-q")
    one_line_error(code, err, "more than 32 levels")


def test_deep_expressions_through_scenarios_reports_and_pairs(tmp_path):
    deep = "(" * 80 + "true" + ")" * 80
    scen = (ROOT / "specs/scenarios/fig6-handshake.toml").read_text()
    scen = scen.replace('name = "syn"\n', f'name = "syn"\nwhere = "{deep}"\n', 1)
    code, _, err = run_cli("scenario", check_file(tmp_path, scen, "s.toml"))
    one_line_error(code, err, "s.toml", "nests more than 64")
    path = formula_file(tmp_path, "always " + deep)
    for argv in (["report", path, "-o", str(tmp_path / "r.html")],
                 ["diagram", "--pairs", path, "-o", str(tmp_path / "p.dot")]):
        code, _, err = run_cli(*argv)
        one_line_error(code, err, "c.toml", "nests more than 64")


def test_a_key_on_the_wrong_kind_of_scenario_line_is_refused(tmp_path):
    scen = (ROOT / "specs/scenarios/fig6-handshake.toml").read_text()
    scen = scen.replace('call = "open_passive"\n', 'call = "open_passive"\nwhere = "true"\n', 1)
    code, _, err = run_cli("scenario", check_file(tmp_path, scen, "s.toml"))
    one_line_error(code, err, "s.toml", "'where' belongs to send, inject and arrive lines")


def test_wrong_types_in_files(tmp_path):
    code, _, err = run_cli("check", check_file(tmp_path, "variant = 42\n" + PROPS))
    one_line_error(code, err, "c.toml", "'variant' must name a variant")
    code, _, err = run_cli("check", check_file(tmp_path, 'properties = 7\n'))
    one_line_error(code, err, "'properties' must be a string or a list")
    code, _, err = run_cli("check", check_file(tmp_path, 'scripts = "x"\n'))
    one_line_error(code, err, "'scripts' must be a table")


def test_a_variant_path_is_relative_to_the_check_naming_it(tmp_path, monkeypatch):
    sub = tmp_path / "checks"
    sub.mkdir()
    (tmp_path / "mine.toml").write_text('extends = "rfc9293"\nname = "mine"\n')
    path = check_file(sub, 'variant = "../mine.toml"\nproperties = ["no_deadlock"]\n' + PROPS)
    monkeypatch.chdir(ROOT)   # somewhere else: the path must not depend on it
    code, out, err = run_cli("check", path, "-q")
    assert code == 0 and "(mine)" in out, err
    bad = check_file(sub, 'variant = "../nowhere.toml"\nproperties = ["no_deadlock"]\n', "b.toml")
    code, _, err = run_cli("check", bad)
    one_line_error(code, err, "b.toml:1: variant", "nowhere.toml", str(tmp_path / "nowhere.toml"))


def test_a_local_property_may_be_listed_too(tmp_path):
    path = check_file(tmp_path, 'properties = ["no_deadlock", "x"]\n' + PROPS + '[[property]]\n'
                      'name = "x"\nformula = "sometimes a.state == \'ESTABLISHED\'"\n')
    code, out, err = run_cli("check", path, "-q")
    assert code == 0 and re.search(r"\bx\s+sometimes\s+holds", out), err


def test_bad_set_values_are_blamed_on_the_command_line():
    code, _, err = run_cli("check", "handshake", "--set", "data=2", "--set", "seq_space=6")
    one_line_error(code, err, "--set", "too small")
    assert "handshake.toml" not in err


def test_graph_export_creates_its_directory(tmp_path):
    target = tmp_path / "new" / "dir" / "g.graphml"
    code, _, err = run_cli("check", "handshake", "--set", "loss=0", "-p", "no_deadlock", "-q",
                           "--graph", str(target))
    assert code == 0 and target.exists(), err


def test_the_memory_limit_ends_a_search_unknown():
    code, out, err = run_cli("check", "close", "--set", "capacity=4", "--set", "loss=4",
                             "--set", "dup=2", "-q", "--max-memory", "1M")
    assert code == 3, err
    assert "INCOMPLETE (max-memory)" in out and "unknown" in out and "--max-memory" in out
    code, _, err = run_cli("check", "close", "--max-memory", "lots")
    one_line_error(code, err, "--max-memory", "not a size")


def test_jobs_are_capped_by_checks_and_cores():
    import os

    from tcpmodel.workers import count as job_count
    cores = len(os.sched_getaffinity(0))
    assert job_count(1000, 2) == min(2, cores)
    assert job_count(1000, 1000) == cores and job_count(1, 6) == 1


def test_progress_under_quiet_is_a_heartbeat_and_growth_is_warned(monkeypatch):
    from tcpmodel.engines.explicit import exploration
    now = [100.0]
    monkeypatch.setattr(exploration.time, "monotonic", lambda: now[0])
    out = io.StringIO()
    p = exploration.Progress("c", out, quiet=True, limited=False, hint="no [scripts] for A")
    now[0] += 10
    p.tick(1000, 10, 3)
    assert out.getvalue() == ""                      # quiet: nothing for a short run
    now[0] += p.HEARTBEAT
    p.tick(2000, 10, 4)
    assert "2,000 states" in out.getvalue() and "in use" in out.getvalue()
    p.tick(p.GROWTH_STATES, 10, 9)
    assert "warning: 5,000,000 states" in out.getvalue() and "no [scripts] for A" in out.getvalue()
    p.tick(p.GROWTH_STATES * 2, 10, 9)
    assert out.getvalue().count("warning") == 1
    limited = io.StringIO()
    q = exploration.Progress("c", limited, quiet=True, limited=True)
    q.tick(q.GROWTH_STATES, 1, 1)
    assert "warning" not in limited.getvalue()


def test_list_params_prints_toml_values_and_bounds():
    code, out, _ = run_cli("list", "params")
    assert code == 0 and "True" not in out and "default true" in out
    assert re.search(r"seq_space\s+default 8\s+values 4\.\.256", out)


def test_list_rules_prints_a_variants_rule_ids_in_order():
    from tcpmodel.spec import load_variant
    code, out, _ = run_cli("list", "rules", "--variant", "rfc1337")
    ids = [line.split()[0].lstrip("+") for line in out.splitlines()[1:]]
    assert code == 0 and ids == [r.id for r in load_variant("rfc1337").rules]
    # the overlay's own rules are marked
    assert next(line for line in out.splitlines() if "timewait-ignore-rst" in line).startswith(" +")
    assert next(line for line in out.splitlines() if "sync-rst" in line).startswith("  ")
    code, _, err = run_cli("list", "checks", "--variant", "rfc1337")
    one_line_error(code, err, "--variant only applies to 'list rules'")


def test_parameter_bounds_are_documented():
    from tcpmodel.params import describe
    limits = (ROOT / "docs/model.md").read_text().split("## Limits", 1)[1].split("\n## ", 1)[0]
    text = " ".join(limits.split())
    for name, _, values, _ in describe():
        m = re.search(rf"`{name}`(.{{0,40}}?){re.escape(values)}", text)
        assert m, (name, values)


def test_arguments_that_are_not_utf8():
    code, _, err = run_cli("check", "caf\udce9")
    one_line_error(code, err, "argument 2", "not UTF-8")
