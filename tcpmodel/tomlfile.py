"""Reading TOML input files with locations good enough for one-line errors."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError


@dataclass
class TomlFile:
    """A parsed TOML document plus the line numbers of its array-of-tables entries."""
    path: str
    data: dict
    text: str
    _tables: dict = field(default_factory=dict)

    def table_line(self, array: str, index: int) -> int | None:
        """Line (1-based) of the index-th ``[[array]]`` header."""
        lines = self._tables.get(array)
        if lines is None:
            pat = re.compile(r"^\s*\[\[\s*" + re.escape(array) + r"\s*\]\]")
            lines = [i + 1 for i, ln in enumerate(self.text.splitlines()) if pat.match(ln)]
            self._tables[array] = lines
        return lines[index] if index < len(lines) else None

    def key_line(self, key: str, after: int = 0) -> int | None:
        """First line at or after ``after`` that assigns ``key`` (or is the header ``[key]``)."""
        if key.startswith("["):
            pat = re.compile(r"^\s*" + re.escape(key))
        else:
            pat = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for i, ln in enumerate(self.text.splitlines()[after:], start=after + 1):
            if pat.match(ln):
                return i
        return None

    def where(self, line: int | None, what: str) -> str:
        return f"{line}: {what}" if line else what


def load_toml(path: str | Path) -> TomlFile:
    """Parse a TOML file; malformed input becomes a one-line InputError."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=str(p), fix="check the path or the name") from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", file=str(p)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        where = f"{m.group(1)}:{m.group(2)}" if m else None
        if "(at end of document)" in msg:
            where = f"{len(text.splitlines())}: end of file"
        what = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", msg)
        raise InputError(f"malformed TOML: {what}", file=str(p), where=where,
                         fix="see https://toml.io for the syntax") from None
    return TomlFile(str(p), data, text)


def expect_type(value, types, *, file: str, where: str, what: str, example: str):
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
        raise InputError(f"{what} has the wrong type ({type(value).__name__})", file=file,
                         where=where, fix=f"write it like {example}")
    return value


def _tuple(t):
    return t if isinstance(t, tuple) else (t,)


def check_keys(table: dict, allowed, *, file: str, where: str) -> None:
    """Reject unknown keys (typos must not be silently ignored)."""
    from .errors import did_you_mean
    for k in table:
        if k not in allowed:
            raise InputError(f"unknown key '{k}'", file=file, where=where,
                             fix=did_you_mean(k, allowed))


def toml_value(v) -> str:
    """A value as a TOML file spells it: true, "text", [1, 2], { k = 1 }."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    return str(v)  # dates and times: str() is their TOML spelling
