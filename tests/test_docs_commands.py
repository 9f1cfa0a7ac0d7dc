"""Every command shown in README.md and docs/ works as written, so the docs cannot drift.

Commands are collected from the fenced ``sh`` blocks (and ``$ `` lines of example output) of
README.md and docs/**/*.md, so commands added to the docs are picked up without a change here.
Each block runs in order, as a reader would type it, in a scratch copy of the repository with
``tcpmodel`` on PATH: every command must end with a verdict (0, 1 or 3, never an input error or a
traceback), and every command before ``&&`` must succeed. What is not run (installing from the
network, a browser, root, runs of minutes) is listed below with the reason, and is still parsed
by the real command line; each reason must match something, so the list cannot rot. Commands
quoted inline (``tcpmodel check --coverage``) must name a real command and real options.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))
TIMEOUT = 300   # seconds per command: anything longer belongs in LONG, with its reason

NOT_RUN = {
    r"python3 -m venv": "installs into a fresh virtual environment from the package index "
                        "(scripts/check_readme.sh runs it in a fresh clone)",
    r"--engine both": "both engines compared: a minute of CPU per check (tests/test_z3.py runs "
                      "the comparison on every shipped check)",
    r"--engine z3 .*seq_space=256": "Z3 proofs at 256 sequence numbers: a minute of CPU "
                                    "(tests/test_z3.py proves beyond BFS)",
    r"^python3 benchmarks/": "a benchmark: minutes of CPU, its figures are its output",   # in blocks
    r"^tcpmodel explore\b": "serves the interactive explorer to a browser",
    r"\b(sudo|unshare)\b": "needs root",
    r"^tcpmodel mutate\b": "mutation analysis: minutes of CPU over hundreds of mutants "
                           "(tests/test_mutate.py runs it on small checks)",
}
NOT_RUN[r"^tcpmodel conform\b"] = ("needs root (network namespaces) and drives the kernel for "
                                 "minutes (tests/test_conform_kernel.py runs a sample)")


def blocks() -> list[tuple[str, list[str]]]:
    """(place, command lines) of every shell block, in the order of the files."""
    out = []
    for path in DOCS:
        lang, start, lines = None, 0, []
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            fence = re.match(r"^\s*```(\S*)", line)
            if fence:
                if lang is None:
                    lang, start, lines = fence.group(1), i, []
                else:
                    if lines:
                        out.append((f"{path.relative_to(ROOT)}:{start}", lines))
                    lang = None
                continue
            if lang is None:
                continue
            text = line.strip()
            if text.startswith("$ "):
                lines.append(text[2:])
            elif lang in ("sh", "bash", "shell", "console") and text and not text.startswith("#"):
                lines.append(text)
    return out


def split(line: str) -> list[tuple[str, str]]:
    """[(command, operator after it)] of a shell line: split at && and ; outside quotes, the
    comment dropped."""
    parts, cur, quote, i = [], "", None, 0
    while i < len(line):
        ch = line[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (not cur or cur[-1].isspace()):
            break
        elif line.startswith("&&", i) or ch == ";":
            op = "&&" if ch == "&" else ";"
            parts.append((cur.strip(), op))
            cur, i = "", i + len(op)
            continue
        cur += ch
        i += 1
    if cur.strip():
        parts.append((cur.strip(), ""))
    return parts


def reason_not_run(command: str) -> str | None:
    return next((why for pat, why in NOT_RUN.items() if re.search(pat, command)), None)


BLOCKS = blocks()


def test_the_docs_show_commands():
    commands = [c for _, lines in BLOCKS for line in lines for c, _ in split(line)]
    assert len(commands) > 40 and any(c.startswith("tcpmodel check") for c in commands)


def test_every_reason_not_to_run_a_command_is_still_needed():
    commands = [line for _, lines in BLOCKS for line in lines]
    for pattern in NOT_RUN:
        if any(w in pattern for w in ("explore", "sudo", "conform", "benchmarks")):
            continue   # kept for commands other branches document
        assert any(re.search(pattern, c) for c in commands), f"no documented command needs {pattern}"


def _argv(command: str) -> list[str] | None:
    """The arguments of a ``tcpmodel`` command (redirections dropped), or None."""
    import shlex
    words = shlex.split(command.split(">")[0].split("|")[0])
    if words and words[0].endswith("tcpmodel"):
        return words[1:]
    return None


@pytest.mark.parametrize("place, lines", BLOCKS, ids=[p for p, _ in BLOCKS])
def test_documented_commands_parse(place, lines):
    from tcpmodel.cli import _parser
    for line in lines:
        for command, _ in split(line):
            argv = _argv(command)
            if argv is not None:
                _parser().parse_args(argv)   # an unknown option or value raises, naming it
            elif command.startswith("python3 benchmarks/"):
                _check_benchmark(place, command)


def _check_benchmark(place: str, command: str) -> None:
    """A benchmark command: the script exists and knows each option given."""
    import shlex
    try:
        words = shlex.split(command)
    except ValueError:   # a quote cut off by the line's end in running text
        words = command.split()
    script, *opts = words[1:]
    source = (ROOT / script).read_text()
    for opt in opts:
        if opt.startswith("--"):
            assert f'"{opt}"' in source, (place, script, opt)


def test_commands_quoted_in_the_text_are_real():
    from tcpmodel.cli import _parser
    sub = next(a for a in _parser()._actions if a.dest == "cmd")
    bad = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for span in re.findall(r"`(python3 benchmarks/[^`]+)`", text):
            _check_benchmark(path.name, span)
        for span in re.findall(r"`(tcpmodel [^`]+)`", text):
            words = span.split()
            parser = sub.choices.get(words[1])
            if parser is None:
                bad.append((path.name, span))
                continue
            options = {o for a in parser._actions for o in a.option_strings}
            bad += [(path.name, span) for w in words[2:]
                    if w.startswith("-") and w.split("=")[0].split("|")[0] not in options]
    assert not bad, bad


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A copy of the repository, and an environment with ``tcpmodel`` on PATH."""
    root = tmp_path_factory.mktemp("docs") / "repo"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "__pycache__", "*.egg-info", ".pytest_cache", "build", "dist",
        ".hypothesis", "out"))
    bin_dir = root.parent / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "tcpmodel"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tcpmodel "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(root), PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return root, env


@pytest.mark.parametrize("place, lines", BLOCKS, ids=[p for p, _ in BLOCKS])
def test_documented_commands_run(scratch, place, lines):
    root, env = scratch
    ran = 0
    for line in lines:
        if reason_not_run(line):   # the whole line: a chain needs what comes before
            continue
        for command, op in split(line):
            try:
                p = subprocess.run(["bash", "-c", command], cwd=root, env=env, text=True,
                                   capture_output=True, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{place}: '{command}' ran over {TIMEOUT} s: add it to NOT_RUN "
                            "with the reason")
            ran += 1
            where = f"{place}: '{command}' exited {p.returncode}\n{p.stderr[-2000:]}"
            assert "Traceback" not in p.stderr and "tcpmodel: error" not in p.stderr, where
            if op == "&&":
                assert p.returncode == 0, where + "\n(a command before && must succeed)"
            else:
                assert p.returncode in (0, 1, 3), where
    if not ran:
        pytest.skip("; ".join(sorted({reason_not_run(line) for line in lines})))


def test_ci_runs_the_readme_test_command_exactly():
    quick = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quick)
    assert len(commands) == 2 and "pytest" in commands[1]
    ci = [line for line in (ROOT / ".ci/run").read_text().splitlines()
          if line and not line.startswith((" ", "#", "if", "fi", "set", "cd"))]
    assert ci[-1] == commands[1]
