"""Helpers of the fuzz tests (test_fuzz.py, and scripts/fuzz.py for the long profile):
hypothesis strategies for well-typed expressions and for mutated input files, an evaluator of
the Promela expressions the exporter writes (C semantics), and the command line run in-process.

Profiles: ``ci`` (the default: few examples, derandomised so CI runs the same inputs every
time) and ``long`` (many random examples; ``scripts/fuzz.py``)."""

from __future__ import annotations

import io
import json
import os
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent

settings.register_profile("ci", max_examples=int(os.environ.get("TCPMODEL_FUZZ_EXAMPLES", 60)),
                          derandomize=True, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=int(os.environ.get("TCPMODEL_FUZZ_EXAMPLES", 2000)),
                          deadline=None, database=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("TCPMODEL_FUZZ_PROFILE", "ci"))

# ------------------------------------------------------------------ well-typed expressions

STATES = ("CLOSED", "LISTEN", "SYN-SENT", "ESTABLISHED")
NAMES = {"s1": "seq", "s2": "seq", "s3": "seq", "i1": "int", "i2": "int", "b1": "bool",
         "b2": "bool", "st": "state"}
SMALL = st.integers(-9, 9)


def _paren(text: str) -> str:
    return f"({text})"


def ints(depth: int):
    leaf = st.one_of(st.sampled_from(["i1", "i2", "k"]), SMALL.map(str))
    if depth <= 0:
        return leaf
    sub, b, s = ints(depth - 1), bools(depth - 1), seqs(depth - 1)
    divisor = st.sampled_from(["1", "2", "3", "-2", "-3", "k"])
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-"]), sub).map(lambda t: _paren(" ".join(t))),
        st.tuples(sub, st.sampled_from(["0", "2", "3", "-1"])).map(lambda t: f"({t[0]} * {t[1]})"),
        st.tuples(sub, st.sampled_from(["/", "%"]), divisor).map(lambda t: _paren(" ".join(t))),
        sub.map(lambda x: f"(-{x})"),
        st.tuples(st.sampled_from(["min", "max"]), sub, sub).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(s, s).map(lambda t: f"({t[0]} - {t[1]})"),   # a forward distance
        st.tuples(b, sub, sub).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
        st.lists(leaf, min_size=3, max_size=20).map(lambda xs: _paren(" + ".join(xs))),
    )


def seqs(depth: int):
    leaf = st.sampled_from(["s1", "s2", "s3"])
    if depth <= 0:
        return leaf
    sub, i, b = seqs(depth - 1), ints(depth - 1), bools(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-"]), i).map(lambda t: _paren(" ".join(t))),
        st.tuples(b, sub, sub).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
    )


def bools(depth: int):
    leaf = st.sampled_from(["b1", "b2", "true", "false", "flag"])
    if depth <= 0:
        return leaf
    sub, i, s = bools(depth - 1), ints(depth - 1), seqs(depth - 1)
    state = st.sampled_from([f"'{x}'" for x in STATES])
    return st.one_of(
        leaf,
        st.tuples(i, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), i).map(
            lambda t: _paren(" ".join(t))),
        st.tuples(s, st.sampled_from(["==", "!="]), s).map(lambda t: _paren(" ".join(t))),
        st.tuples(st.sampled_from(["st"]), st.sampled_from(["==", "!="]), state).map(
            lambda t: _paren(" ".join(t))),
        st.lists(state, min_size=1, max_size=3).map(lambda xs: f"(st in [{', '.join(xs)}])"),
        st.tuples(i, st.lists(SMALL.map(str), min_size=1, max_size=3)).map(
            lambda t: f"({t[0]} in [{', '.join(t[1])}])"),
        sub.map(lambda x: f"(not {x})"),
        st.tuples(sub, st.sampled_from(["and", "or", "implies"]), sub).map(
            lambda t: _paren(" ".join(t))),
        st.tuples(st.sampled_from(["and", "or"]), st.lists(sub, min_size=3, max_size=20)).map(
            lambda t: _paren(f" {t[0]} ".join(t[1]))),
        st.tuples(st.sampled_from(["seq_lt", "seq_le"]), s, s).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(s, s, s).map(lambda t: f"seq_in({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(sub, sub, sub).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
    )


def expressions(depth: int = 3):
    """(type, text) of a well-typed expression over NAMES, k (= 3) and flag (= true)."""
    return st.one_of(bools(depth).map(lambda x: ("bool", x)), ints(depth).map(lambda x: ("int", x)),
                     seqs(depth).map(lambda x: ("seq", x)))


def environments(n: int):
    """Values of NAMES (in their order) for a sequence space of n."""
    value = {"seq": st.integers(0, n - 1), "int": SMALL, "bool": st.booleans(),
             "state": st.integers(0, len(STATES) - 1)}
    return st.tuples(*(value[t] for t in NAMES.values()))


# ------------------------------------------------------------------ Promela expressions in C

_PML_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(->|&&|\|\||==|!=|<=|>=|[-+*/%<>()!:]))")
_BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5,
           "*": 6, "/": 6, "%": 6}


def eval_promela(text: str, values: dict) -> int:
    """The value of a Promela expression as pan computes it (C ints: / and % truncate towards
    zero; comparisons and logic give 0 or 1; ``(c -> x : y)`` is a conditional)."""
    toks, pos = [], 0
    while pos < len(text):
        m = _PML_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"cannot read Promela at {text[pos:pos + 20]!r}")
        toks.append(m.group(m.lastindex))
        pos = m.end()
    i = 0

    def peek():
        return toks[i] if i < len(toks) else None

    def take():
        nonlocal i
        i += 1
        return toks[i - 1]

    def unary():
        t = take()
        if t == "(":
            v = binary(0)
            if peek() == "->":
                take()
                x = binary(0)
                assert take() == ":"
                y = binary(0)
                v = x if v else y
            assert take() == ")"
            return v
        if t == "!":
            return int(not unary())
        if t == "-":
            return -unary()
        if t.isdigit():
            return int(t)
        return int(values[t])

    def binary(min_prec):
        left = unary()
        while peek() in _BINARY and _BINARY[peek()] > min_prec:
            op = take()
            right = binary(_BINARY[op])
            left = _C_OPS[op](left, right)
        return left

    v = binary(0)
    assert i == len(toks), text
    return v


def _cdiv(x, y):
    q = abs(x) // abs(y)
    return q if (x < 0) == (y < 0) else -q


_C_OPS = {"||": lambda x, y: int(bool(x or y)), "&&": lambda x, y: int(bool(x and y)),
          "==": lambda x, y: int(x == y), "!=": lambda x, y: int(x != y),
          "<": lambda x, y: int(x < y), "<=": lambda x, y: int(x <= y),
          ">": lambda x, y: int(x > y), ">=": lambda x, y: int(x >= y),
          "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
          "/": _cdiv, "%": lambda x, y: x - y * _cdiv(x, y)}


# ------------------------------------------------------------------ the command line, in-process

def run_cli(*argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``tcpmodel ARGV`` run in this process; an exception
    escaping the command line propagates (that is a crash the tests report)."""
    from tcpmodel.cli import main
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, err: str, *, file: str | None = None) -> None:
    """A verdict (0, 1, 3) or an input error: exit 2 with one line that names ``file``.
    Records the outcome (``--hypothesis-show-statistics`` lists them)."""
    from hypothesis import event
    kind = "malformed TOML" if "malformed TOML" in err else "not UTF-8 or NUL" if (
        "UTF-8" in err or "NUL" in err) else "other input error"
    event(f"exit {code}" + (f": {kind}" if code == 2 else ""))
    assert "Traceback" not in err, err
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tcpmodel: error: "), err
        if file is not None:
            assert file in lines[0] or "command line" in lines[0] or "--" in lines[0], err
    else:
        assert code in (0, 1, 3), (code, err)


# ------------------------------------------------------------------ mutated input files

FRAGMENTS = ['"', "'", "[", "]", "[[rule]]", "[[property]]", "[[line]]", "{", "}", "=", ",", "#",
             "\\", "1e400", "-1", "99999999999999999999", "true", '"x"', "[]", "{}", "not", "and",
             "(", ")", "((((((((((((((((((((", "if", "then", "else", "/ 0", "% a.snd_nxt",
             "seq_in(", "a.state", "'CLOSED'", "é", "\t", "\x7f", '"""', "[params]", "[scripts]",
             "variant = 42", 'variant = "../nowhere.toml"', "extends = 3", 'state = "*"',
             "loss = \"unbounded\"", "seq_space = 1000000", "incarnations = 8", "when = ",
             "next = ", "set = { snd_nxt = \"x\" }", "send = {}", "not " * 200,
             " or ".join(["true"] * 600), "- " * 300 + "1"]


@st.composite
def mutated(draw, texts: list[str]) -> bytes:
    """One of ``texts`` with a few edits: lines deleted, repeated or swapped, fragments of
    TOML and expressions inserted, bytes that are not UTF-8, a cut."""
    lines = draw(st.sampled_from(texts)).splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "repeat", "swap", "insert", "replace", "bytes",
                                   "cut"]))
        if op == "delete" and len(lines) > 1:
            del lines[k]
        elif op == "repeat":
            lines.insert(k, lines[k])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[k], lines[j] = lines[j], lines[k]
        elif op == "insert":
            lines.insert(k, draw(st.sampled_from(FRAGMENTS)) + "\n")
        elif op == "replace":
            ln = lines[k]
            a = draw(st.integers(0, len(ln)))
            b = draw(st.integers(a, len(ln)))
            lines[k] = ln[:a] + draw(st.sampled_from(FRAGMENTS)) + ln[b:]
        elif op == "bytes":
            raw = draw(st.binary(min_size=1, max_size=8))
            return "".join(lines[:k]).encode() + raw + "".join(lines[k:]).encode()
        else:
            text = "".join(lines)
            return text[:draw(st.integers(0, len(text)))].encode()
    return "".join(lines).encode()


def shipped(pattern: str) -> list[str]:
    return [p.read_text() for p in sorted(ROOT.glob(pattern))]


def trace_document() -> dict:
    """A real trace in the JSON form ``tcpmodel check --out`` writes (handshake's witness)."""
    from tcpmodel.check import build, load_check
    from tcpmodel.engines import explicit
    model = build(load_check("handshake"), ["both_established"])
    res = explicit.check(model)
    return json.loads(json.dumps(res.properties[0].trace.to_json()))


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 10 ** 6), st.text(max_size=8),
              st.sampled_from(["rcv", "A->B", "A", "CLOSED", "call", "inject", "drop"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)


@st.composite
def mutated_json(draw, doc):
    """``doc`` with a few values replaced (by other types, wrong strings) or removed."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(JSON_VALUES)
    return doc


def _paths(node, prefix=()):
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for k, v in items:
        yield prefix + (k,)
        yield from _paths(v, prefix + (k,))


TOML_VALUES = st.recursive(
    st.one_of(st.booleans(), st.integers(-3, 300), st.sampled_from([10 ** 20, -(10 ** 20), 2 ** 63 - 1]),
              st.floats(allow_nan=False), st.sampled_from(FRAGMENTS + [
                  "any", "unbounded", "fixed", "CLOSED", "ESTABLISHED", "*", "open_active",
                  "rcv_syn", "SYN", "RST,ACK", "rfc1337", "found", "impossible", "A", "B",
                  "strong", "weak", "none", "snd_nxt + 1", "a.state == 'CLOSED'", "x" * 5000,
                  "sync-rst", "closed-open-active", "no_deadlock"]), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["a", "b", "call", "when", "seq", "ctl",
                                                             "x", "snd_nxt", "deliver_ab"]),
                                            inner, max_size=3)),
    max_leaves=5)


@st.composite
def mutated_toml(draw, texts: list[str]) -> bytes:
    """One of ``texts`` (TOML) with a few values replaced by others of any type, or removed:
    well-formed TOML whose content is wrong."""
    import tomllib
    doc = tomllib.loads(draw(st.sampled_from(texts)))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(TOML_VALUES)
    return toml_text(doc).encode()


def toml_text(doc: dict) -> str:
    """A TOML document for ``doc``: scalars first, then [tables], then [[arrays of tables]]."""
    from tcpmodel.tomlfile import toml_value
    key = lambda k: k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)
    out, tables, arrays = [], [], []
    for k, v in doc.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            arrays.append((k, v))
        else:
            out.append(f"{key(k)} = {toml_value(v)}")
    for k, v in tables:
        out.append(f"[{key(k)}]")
        out += [f"{key(a)} = {toml_value(b)}" for a, b in v.items()]
    for k, items in arrays:
        for v in items:
            out.append(f"[[{key(k)}]]")
            out += [f"{key(a)} = {toml_value(b)}" for a, b in v.items()]
    return "\n".join(out) + "\n"


def broken(texts: list[str]):
    """Mutated files: half edited as text (mostly malformed), half as data (well-formed TOML,
    wrong content)."""
    return st.one_of(mutated(texts), mutated_toml(texts))
