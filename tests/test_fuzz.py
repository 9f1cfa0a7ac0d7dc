"""Fuzzing (hypothesis): valid expressions round-trip and mean the same in every backend;
mutated and garbage input files, expressions, --set values and command lines end in a
verdict or in one line and exit 2, never a traceback.

The CI profile runs a few dozen derandomised examples per test; ``scripts/fuzz.py`` runs the
long profile (thousands of random ones) and reports how many inputs ran."""

import json
from operator import itemgetter

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fuzzing import (FRAGMENTS, NAMES, STATES, assert_clean, environments, eval_promela,
                     broken, expressions, mutated_json, run_cli, shipped, trace_document)
from tcpmodel import expr as E

SPACES = st.sampled_from([4, 5, 6, 8, 16, 256])


def shape(node):
    """A tree without its character positions."""
    if isinstance(node, E.Node):
        return (type(node).__name__,) + tuple(
            shape(getattr(node, f)) for f in node.__dataclass_fields__ if f != "pos")
    if isinstance(node, tuple):
        return tuple(shape(x) for x in node)
    return node


@given(expressions(4))
def test_printed_expressions_parse_back_to_the_same_tree(typed):
    _, text = typed
    node = E.parse(text)
    printed = E.to_text(node)
    again = E.parse(printed)
    assert shape(again) == shape(node), (text, printed)
    assert E.to_text(again) == printed


def scope(n):
    sc = E.Scope(n)
    types = {"seq": E.SEQ, "int": E.INT, "bool": E.BOOL, "state": E.Enum("state", STATES)}
    for k, (name, t) in enumerate(NAMES.items()):
        sc.slot(name, types[t], itemgetter(k))
    sc.const("k", E.INT, 3)
    sc.const("flag", E.BOOL, True)
    return sc, types


@given(SPACES.flatmap(lambda n: st.tuples(st.just(n), expressions(3), environments(n))))
def test_closures_z3_and_promela_agree_on_random_states(case):
    import z3

    from tcpmodel.engines.symbolic.exprs import Sorts, Z3Compiler, Z3Scope
    from tcpmodel.export.pml_expr import PromelaCompiler

    n, (_, text), env = case
    sc, types = scope(n)
    node = E.parse(text)
    for sub in E.walk(node):   # the z3 encoding keeps ints in 16 bits (docs/engines.md)
        if isinstance(sub, (E.Binary, E.Unary, E.Call, E.Cond)):
            c = E.Compiler(sc).compile(sub)
            if c.type == E.INT:
                assume(abs(c.value if c.is_const else c.fn(env)) < 1 << 15)
    closure = E.Compiler(sc).compile(node)
    expected = closure.value if closure.is_const else closure.fn(env)

    sorts = Sorts(n)
    var = {name: sorts.var(types[t], name) for name, t in NAMES.items()}
    zc = Z3Compiler(Z3Scope(sc, var.__getitem__), sorts)
    term = zc.term(zc.compile(node))
    got = z3.simplify(z3.substitute(term, *[(var[name], sorts.val(types[t], v))
                                            for (name, t), v in zip(NAMES.items(), env)]))
    got = z3.is_true(got) if z3.is_bool(got) else (
        got.as_signed_long() if closure.type == E.INT else got.as_long())
    assert got == expected, ("z3", text, env)

    pml = PromelaCompiler(sc, {name: name for name in NAMES}).compile(node)
    value = eval_promela(pml.text, {name: int(v) for name, v in zip(NAMES, env)})
    assert (bool(value) if closure.type == E.BOOL else value) == expected, ("promela", text, env,
                                                                            pml.text)


# ------------------------------------------------------------------ bad input: one line, exit 2

@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _write(scratch, name, data: bytes) -> str:
    path = scratch / name
    path.write_bytes(data)
    return str(path)


@given(broken(shipped("specs/rfc9293.toml")))
def test_mutated_rule_files(scratch, data):
    path = _write(scratch, "rules.toml", data)
    code, _, err = run_cli("check", "handshake", "--variant", path, "-q", "--max-states", "300",
                           "-p", "no_deadlock")
    assert_clean(code, err, file="rules.toml")


@given(broken(shipped("specs/rfc[0-8]*.toml")))
def test_mutated_overlays(scratch, data):
    path = _write(scratch, "overlay.toml", data)
    code, _, err = run_cli("check", "close", "--variant", path, "-q", "--max-states", "300")
    assert_clean(code, err, file="overlay.toml")


@given(broken(shipped("specs/checks/*.toml") + shipped("specs/properties.toml")))
def test_mutated_checks(scratch, data):
    path = _write(scratch, "check.toml", data)
    code, _, err = run_cli("check", path, "-q", "--max-states", "300")
    assert_clean(code, err, file="check.toml")


@given(broken(shipped("specs/scenarios/*.toml")))
def test_mutated_scenarios(scratch, data):
    path = _write(scratch, "scenario.toml", data)
    code, _, err = run_cli("scenario", path, "--max-states", "300")
    assert_clean(code, err, file="scenario.toml")


TOKENS = ["a.state", "b.snd_nxt", "snd_nxt", "seg.ack", "seg.SYN", "state", "param.data",
          "'CLOSED'", "'ESTABLISHED'", "'NOPE'", "0", "1", "-", "+", "*", "/", "%", "==", "!=",
          "<", "and", "or", "not", "implies", "in", "if", "then", "else", "(", ")", "[", "]", ",",
          "seq_in", "seq_lt", "min", "all", "ab", "count", "true", "terminal", "step.kind",
          "'call'", "peer.state", "msl_expired", "x", "leads_to", "eventually", "always", "."]
GARBAGE = st.one_of(st.text(max_size=40),
                    st.lists(st.sampled_from(TOKENS + FRAGMENTS), max_size=25).map(" ".join),
                    expressions(2).map(itemgetter(1)))
PLACES = {
    "formula": '[[property]]\nname = "p"\nformula = "always ({})"\n',
    "sometimes": '[[property]]\nname = "p"\nformula = "sometimes {}"\n',
    "leads_to": '[[property]]\nname = "p"\nformula = "a.state == \'CLOSED\' leads_to {}"\n',
    "define": 'properties = ["no_deadlock"]\n[define]\nend = "{}"\n',
    "script": '[scripts]\na = [{{ call = "open_active", when = "{}" }}]\nb = ["open_passive"]\n'
              'properties = ["no_deadlock"]\n',
    "strengthen": 'properties = ["no_deadlock"]\n[strengthen]\nno_deadlock = "{}"\n',
}
RULE_PLACES = {
    "when": '[[rule]]\nbefore = "sync-rst"\nid = "fz"\nstate = "*"\nevent = "*"\nwhen = "{}"\n',
    "set": '[[rule]]\nbefore = "sync-rst"\nid = "fz"\nstate = "ESTABLISHED"\nevent = "*"\n'
           'when = "true"\nset = {{ snd_nxt = "{}" }}\n',
    "next": '[[rule]]\nreplace = "closed-open-passive"\nnext = "{}"\n',
    "send": '[[rule]]\nreplace = "closed-open-active"\nsend = {{ seq = "{}", ctl = "SYN" }}\n',
}


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


@given(st.sampled_from(sorted(PLACES)), GARBAGE)
def test_garbage_expressions_in_checks(scratch, place, text):
    body = PLACES[place].format(_toml_string(text))
    path = _write(scratch, "expr.toml", body.encode())
    code, _, err = run_cli("check", path, "-q", "--max-states", "300")
    assert_clean(code, err, file="expr.toml")


@given(st.sampled_from(sorted(RULE_PLACES)), GARBAGE)
def test_garbage_expressions_in_rules(scratch, place, text):
    body = 'extends = "rfc9293"\n' + RULE_PLACES[place].format(_toml_string(text))
    path = _write(scratch, "rule.toml", body.encode())
    code, _, err = run_cli("check", "handshake", "--variant", path, "-q", "--max-states", "300",
                           "-p", "no_deadlock")
    assert_clean(code, err, file="rule.toml")


@pytest.fixture(scope="module")
def trace_doc():
    return trace_document()


@given(st.data())
def test_mutated_trace_files(scratch, trace_doc, data):
    doc = data.draw(mutated_json(trace_doc))
    path = _write(scratch, "trace.json", json.dumps(doc).encode())
    code, _, err = run_cli("trace", path, "-o", str(scratch / "trace.svg"))
    assert_clean(code, err, file="trace.json")


SET_KEYS = ["seq_space", "loss", "dup", "capacity", "iss", "iss_a", "data", "channel",
            "attacker_flags", "incarnations", "rcv_wnd", "crash_sides", "nosuch", ""]
SET_VALUES = ["0", "-1", "3", "256", "257", "99999999999999999999999", "unbounded", "true", "x",
              "[1,2]", "[]", "[SYN,RST]", "[FOO]", "'any'", "1e3", "", "=", "é"]


@given(st.lists(st.one_of(
    st.tuples(st.sampled_from(SET_KEYS), st.sampled_from(SET_VALUES)).map("=".join),
    st.text(max_size=12)), min_size=1, max_size=3))
def test_set_values(items):
    argv = ["check", "handshake", "-q", "--max-states", "300", "-p", "no_deadlock"]
    for item in items:
        argv += ["--set", item]
    code, _, err = run_cli(*argv)
    assert_clean(code, err)


OPTION_VALUES = ["0", "-1", "1", "2", "1e9", "nan", "inf", "x", "", "rfc1337", "rfc9999",
                 "handshake", "crash", "no_deadlock", "/dev/zero", "nonexistent/dir/f.svg",
                 "f.pdf", "f.mmd", "4G", "1K", "-5M", "both", "z3"]


@given(st.sampled_from(["check", "export", "list", "diagram", "trace", "scenario"]), st.data())
def test_command_lines(scratch, monkeypatch, command, data):
    from tcpmodel.cli import _parser
    monkeypatch.chdir(scratch)   # anything written lands here
    sub = next(a for a in _parser()._actions if a.dest == "cmd").choices[command]
    options = [a for a in sub._actions if a.option_strings and a.dest != "help"]
    argv = [command]
    for action in data.draw(st.lists(st.sampled_from(options), max_size=4)) if options else ():
        argv.append(action.option_strings[0])
        if action.nargs != 0:
            argv.append(data.draw(st.sampled_from(OPTION_VALUES)))
    argv += data.draw(st.lists(st.sampled_from(OPTION_VALUES + ["promela", "params", "rules"]),
                               max_size=2))
    if command == "check":
        argv += ["--max-states", "300", "--timeout", "5", "--engine", "explicit", "-q"]
    if command == "scenario":
        argv += ["fig6-handshake", "--max-states", "300"]
    if command == "diagram" and ("--pairs" in argv or "--coverage" in argv):
        argv += ["--set", "loss=0"]
    code, _, err = run_cli(*argv)
    assert_clean(code, err)
