"""The expression language: parsing, types, modular sequence arithmetic, and that nothing is eval'd."""

import pytest

from tcpmodel import expr as E


def compile_(text, **names):
    sc = E.Scope(8)
    for i, (k, (t, v)) in enumerate(names.items()):
        sc.slot(k, t, lambda env, i=i: env[i])
    env = tuple(v for _, v in names.values())
    c = E.Compiler(sc).compile(E.parse(text))
    return c.type, c.fn(env)


def test_sequence_arithmetic_wraps():
    assert compile_("x + 7", x=(E.SEQ, 3)) == (E.SEQ, 2)
    assert compile_("x - 5", x=(E.SEQ, 3)) == (E.SEQ, 6)
    assert compile_("x - y", x=(E.SEQ, 1), y=(E.SEQ, 6)) == (E.INT, 3)  # forward distance


def test_seq_in_is_a_modular_half_open_interval():
    # [6, 2) in a space of 8 holds 6, 7, 0, 1
    got = [compile_("seq_in(x, 6, 2)", x=(E.SEQ, v))[1] for v in range(8)]
    assert got == [True, True, False, False, False, False, True, True]


def test_seq_lt_is_serial_number_order():
    assert compile_("seq_lt(x, 1)", x=(E.SEQ, 7))[1] is True   # 7 < 1 across the wrap
    assert compile_("seq_lt(x, 7)", x=(E.SEQ, 1))[1] is False


def test_ordering_sequence_numbers_directly_is_rejected():
    with pytest.raises(E.ExprError, match="seq_lt"):
        compile_("x < 3", x=(E.SEQ, 1))


def test_conditional_and_logic():
    assert compile_("if x == 1 then 5 else 6", x=(E.INT, 1)) == (E.INT, 5)
    assert compile_("not b implies x > 2", b=(E.BOOL, True), x=(E.INT, 0))[1] is True


def test_errors_carry_a_column():
    with pytest.raises(E.ExprError) as e:
        E.parse("snd_nxt + ")
    assert e.value.pos == len("snd_nxt + ")
    with pytest.raises(E.ExprError, match="chain"):
        E.parse("a < b < c")
    with pytest.raises(E.ExprError, match="and"):
        E.parse("a && b")


def test_nothing_is_evaluated_as_python():
    for text in ("__import__('os').system('touch /tmp/pwned')", "open('x')", "x.__class__"):
        with pytest.raises(E.ExprError):
            compile_(text, x=(E.INT, 1))


def test_enum_literals_are_checked():
    st = E.Enum("state", ("CLOSED", "LISTEN"))
    sc = E.Scope(8)
    sc.slot("state", st, lambda env: env[0])
    c = E.Compiler(sc).compile(E.parse("state in ['LISTEN']"))
    assert c.fn((1,)) is True
    with pytest.raises(E.ExprError, match="did you mean 'LISTEN'"):
        E.Compiler(sc).compile(E.parse("state == 'LISTNE'"))


def test_unknown_names_suggest_a_fix():
    sc = E.Scope(8)
    sc.slot("snd_nxt", E.SEQ, lambda env: 0)
    with pytest.raises(E.ExprError, match="snd_nxt"):
        E.Compiler(sc).compile(E.parse("snd_nx + 1"))
