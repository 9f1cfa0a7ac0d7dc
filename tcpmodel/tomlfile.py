"""Reading TOML input files with locations good enough for one-line errors."""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError


_ASSIGN = re.compile(r"^\s*([^\s=\[#][^=]*?)\s*=")


@dataclass
class TomlFile:
    """A parsed TOML document plus the line numbers of its array-of-tables entries."""
    path: str
    data: dict
    text: str
    _tables: dict = field(default_factory=dict)
    _lines: list | None = None
    _keys: dict | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def table_line(self, array: str, index: int) -> int | None:
        """Line (1-based) of the index-th ``[[array]]`` header."""
        lines = self._tables.get(array)
        if lines is None:
            pat = re.compile(r"^\s*\[\[\s*" + re.escape(array) + r"\s*\]\]")
            lines = [i + 1 for i, ln in enumerate(self.lines) if pat.match(ln)]
            self._tables[array] = lines
        return lines[index] if index < len(lines) else None

    def key_line(self, key: str, after: int = 0) -> int | None:
        """First line at or after ``after`` that assigns ``key`` (or is the header ``[key]``)."""
        if key.startswith("["):
            pat = re.compile(r"^\s*" + re.escape(key))
            for i, ln in enumerate(self.lines[after:], start=after + 1):
                if pat.match(ln):
                    return i
            return None
        if self._keys is None:   # one pass: a file with many keys stays linear
            self._keys = {}
            for i, ln in enumerate(self.lines, start=1):
                m = _ASSIGN.match(ln)
                if m:
                    self._keys.setdefault(m.group(1), []).append(i)
        lines = self._keys.get(key, ())
        k = bisect.bisect_left(lines, after + 1)
        return lines[k] if k < len(lines) else None

    def where(self, line: int | None, what: str) -> str:
        return f"{line}: {what}" if line else what


MAX_INPUT_BYTES = 4 << 20   # rule files, checks, scenarios and traces are a few kB; 4 MiB is plenty


def read_input(path: str | Path, *, limit: int = MAX_INPUT_BYTES) -> str:
    """The text of an input file, or a one-line InputError: a missing or unreadable file, one
    larger than ``limit`` bytes (endless ones such as /dev/zero included), a NUL byte (a binary
    file) or bytes that are not UTF-8, each with the line and column where it starts."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise InputError("file not found", file=str(p), fix="check the path or the name") from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", file=str(p),
                         fix="give the path of a file") from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", file=str(p),
                         fix="check the file's permissions") from None
    if len(data) > limit:
        raise InputError(f"the file is larger than {limit >> 20} MiB (or endless)", file=str(p),
                         fix="give a tcpmodel input file: rule files, checks, scenarios and "
                             "traces are a few kB") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]   # a UTF-8 byte-order mark, as some editors write
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError("the file is UTF-16 text (it starts with a UTF-16 byte-order mark), "
                         "not UTF-8", file=str(p), where="1:1",
                         fix="save it as UTF-8 (e.g. iconv -f utf-16 -t utf-8)")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError("the file contains a NUL byte (a binary file?)", file=str(p),
                         where=_line_col(data, nul),
                         fix="give a text file; UTF-16 text must be saved as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"byte 0x{data[e.start]:02x} is not UTF-8 text", file=str(p),
                         where=_line_col(data, e.start),
                         fix="save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None


def _line_col(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"{line}:{col}"


def load_toml(path: str | Path) -> TomlFile:
    """Parse a TOML file; malformed input becomes a one-line InputError."""
    p = Path(path)
    text = read_input(p)
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
    except RecursionError:   # tomllib parses nested arrays and tables recursively
        raise InputError("malformed TOML: arrays or tables nest too deeply", file=str(p),
                         fix="nest at most a few levels") from None
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
    if not isinstance(table, dict):
        raise InputError(f"expected a table here, not {_kind(table)}", file=file, where=where,
                         fix="write { key = value, ... } or a [table] section")
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


def table(d: dict, key: str, tf: TomlFile, example: str) -> dict:
    """``d[key]`` when it is a table (an empty one when missing), else a one-line error."""
    v = d.get(key, {})
    if not isinstance(v, dict):
        line = tf.key_line(key) or tf.key_line(f"[{key}]")
        raise InputError(f"'{key}' must be a table, not {_kind(v)}", file=tf.path,
                         where=tf.where(line, key), fix=f"write it like {example}")
    return v


def table_array(d: dict, key: str, tf: TomlFile, example: str) -> list:
    """``d[key]`` when it is an array of tables (``[[key]]``; empty when missing)."""
    v = d.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise InputError(f"'{key}' must be a list of [[{key}]] tables", file=tf.path,
                         where=tf.where(tf.key_line(key), key), fix=f"write it like {example}")
    return v


def names(d: dict, key: str, tf: TomlFile, example: str) -> list:
    """``d[key]`` as a list of strings (one string is a list of one; empty when missing)."""
    v = d.get(key, [])
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise InputError(f"'{key}' must be a string or a list of strings", file=tf.path,
                         where=tf.where(tf.key_line(key), key), fix=f"write it like {example}")
    return v


def _kind(v) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list"}.get(type(v), "a value")
