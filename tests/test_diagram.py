"""The endpoint state diagram, the variant diff and the [diagram] table: every rule is drawn,
only the figure's rules with --main, and bad tables are one-line errors."""

import tomllib

import pytest
from pictures import (
    ROOT,
    declared_transitions,
    groups,
    needs_layout,
    parse_svg,
    texts,
    variant_raw,
)

from tcpmodel.errors import InputError
from tcpmodel.render.diff import diff_transitions
from tcpmodel.render.fsm import fsm_dot
from tcpmodel.render.graphviz import render
from tcpmodel.spec import load_variant

BASE = (ROOT / "specs" / "rfc9293.toml").read_text()


def drawn_transitions(svg_text) -> set:
    """{(state, next state, rule id)} read off a rendered state diagram: edges between nodes,
    and the rules listed inside a node (those keep the state)."""
    root = parse_svg(svg_text)
    state_of = {}
    for node in groups(root, "node"):
        nid = node.find("{http://www.w3.org/2000/svg}title").text
        state_of[nid] = texts(node)[0]
    out = set()
    for node in groups(root, "node"):
        nid = node.find("{http://www.w3.org/2000/svg}title").text
        for c in node.get("class").split():
            if c.startswith("rule-"):
                out.add((state_of[nid], state_of[nid], c[5:]))
    for edge in groups(root, "transition"):
        src, dst = edge.find("{http://www.w3.org/2000/svg}title").text.split("->")
        for c in edge.get("class").split():
            if c.startswith("rule-"):
                out.add((state_of[src], state_of[dst], c[5:]))
    return out


@needs_layout
@pytest.mark.parametrize("variant", ["rfc9293", "rfc793", "rfc1337"])
def test_every_rule_transition_is_drawn(variant):
    expected = declared_transitions(variant_raw(variant))
    drawn = drawn_transitions(render(fsm_dot(load_variant(variant)), "svg"))
    assert drawn == expected
    assert len(expected) > 100


@needs_layout
def test_main_diagram_draws_exactly_the_figure_rules():
    main = tomllib.loads(BASE)["diagram"]["main"]
    expected = {(s, t, r) for s, t, r in declared_transitions(variant_raw("rfc9293"))
                if r in main and s != t}
    drawn = drawn_transitions(render(fsm_dot(load_variant("rfc9293"), main_only=True), "svg"))
    assert drawn == expected
    assert ("ESTABLISHED", "CLOSE-WAIT", "established-fin") in drawn
    assert {r for _, _, r in drawn} == set(main)


@needs_layout
def test_figure5_layout_closed_on_top_established_centre_closing_below():
    root = parse_svg(render(fsm_dot(load_variant("rfc9293"), main_only=True), "svg"))
    y = {}
    for node in groups(root, "node"):
        state = texts(node)[0]
        ys = [float(t.get("y")) for t in node.iter("{http://www.w3.org/2000/svg}text")]
        y.setdefault(state, []).append(ys[0])
    assert len(y["CLOSED"]) == 2  # drawn twice, as in the figure
    top = min(y["CLOSED"])
    assert top < y["LISTEN"][0] < y["SYN-SENT"][0] < y["ESTABLISHED"][0] < y["FIN-WAIT-1"][0]
    assert y["FIN-WAIT-1"][0] < y["FIN-WAIT-2"][0] < y["TIME-WAIT"][0]
    assert y["SYN-SENT"][0] == y["SYN-RECEIVED"][0]


@needs_layout
def test_coverage_draws_what_the_engine_never_fired_dashed():
    from conftest import run_check

    from tcpmodel.render.explored import project
    model, res = run_check("close")
    proj = project(model.system, res._exploration)
    root = parse_svg(render(fsm_dot(model.check.spec, fired=proj.fired, coverage_of="close"),
                            "svg"))
    solid, dashed = set(), set()
    for edge in groups(root, "transition"):
        rules = {c[5:] for c in edge.get("class").split() if c.startswith("rule-")}
        path = edge.find(".//{http://www.w3.org/2000/svg}path")
        (dashed if path.get("stroke-dasharray") else solid).update(rules)
    assert res.unfired_rules and dashed and solid
    # the engine's own bookkeeping: a rule it never fired is never drawn as fired
    assert solid.isdisjoint(res.unfired_rules)
    assert set(res.unfired_rules) & dashed   # and some of them are edges, drawn dashed
    assert {"closed-open-active", "close-fin", "finwait2-fin"} <= solid


def test_diff_rfc793_to_rfc9293_follows_the_overlay():
    rows = {(t.rule, t.src, t.dst): s for t, s, _ in
            diff_transitions(load_variant("rfc793"), load_variant("rfc9293"))}
    # rfc793.toml: removes synrcvd-syn-passive, replaces closewait-close (next CLOSING),
    # and redefines synrcvd_ack_ok (read by synrcvd-bad-ack and synrcvd-simultaneous-synack)
    assert rows[("synrcvd-syn-passive", "SYN-RECEIVED", "LISTEN")] == "added"
    assert rows[("closewait-close", "CLOSE-WAIT", "LAST-ACK")] == "added"
    assert rows[("closewait-close-closing", "CLOSE-WAIT", "CLOSING")] == "removed"
    assert rows[("synrcvd-bad-ack", "SYN-RECEIVED", "SYN-RECEIVED")] == "changed"
    assert rows[("synrcvd-simultaneous-synack", "SYN-RECEIVED", "ESTABLISHED")] == "changed"
    # and a CLOSE queued in CLOSE-WAIT sends its FIN like rfc793's CLOSE there: to CLOSING
    assert rows[("output-fin-closewait", "CLOSE-WAIT", "LAST-ACK")] == "added"
    assert rows[("output-fin-closewait-closing", "CLOSE-WAIT", "CLOSING")] == "removed"
    assert sum(1 for s in rows.values() if s != "same") == 7


def test_diff_rfc9293_to_rfc1337_shows_the_hidden_reset():
    rows = {(t.rule, t.src, t.dst): s for t, s, _ in
            diff_transitions(load_variant("rfc9293"), load_variant("rfc1337"))}
    changed = {k: s for k, s in rows.items() if s != "same"}
    assert changed == {("timewait-ignore-rst", "TIME-WAIT", "TIME-WAIT"): "added",
                       ("closing-rst", "TIME-WAIT", "CLOSED"): "removed"}


# ------------------------------------------------------------------ the [diagram] table

def write(tmp_path, text):
    p = tmp_path / "v.toml"
    p.write_text(text)
    return str(p)


def line_of(text, needle):
    return next(i + 1 for i, ln in enumerate(text.splitlines()) if needle in ln)


@pytest.mark.parametrize("old, new, message", [
    ('rows = [["CLOSED"], ["LISTEN"],', 'rows = [["CLOSED"], ["LISTNE"],', "unknown state 'LISTNE'"),
    ('main = ["closed-open-passive",', 'main = ["closed-open-pasive",',
     "no rule with id 'closed-open-pasive'"),
    ('rcv_fin = "rcv FIN"', 'rcv_finn = "rcv FIN"', "unknown event 'rcv_finn'"),
    ('rows = [["CLOSED"], ["LISTEN"],', 'rows = [["CLOSED"],', "state 'LISTEN' is in no row"),
])
def test_bad_diagram_table_is_one_line_with_file_line_and_fix(tmp_path, old, new, message):
    assert old in BASE
    text = BASE.replace(old, new)
    with pytest.raises(InputError) as e:
        load_variant(write(tmp_path, text))
    msg = str(e.value)
    key = new.split("=")[0].strip()
    assert message in msg and "v.toml:" in msg and "fix:" in msg and "\n" not in msg
    assert f"v.toml:{line_of(text, new.split(',')[0])}:" in msg or key == "rcv_finn" and \
        f"v.toml:{line_of(text, 'rcv_finn')}:" in msg


def test_an_overlay_cannot_redraw_the_layout(tmp_path):
    p = tmp_path / "o.toml"
    p.write_text('extends = "rfc9293"\n[diagram]\nmain = []\n')
    with pytest.raises(InputError, match=r"cannot redefine \[diagram\]"):
        load_variant(str(p))


def test_main_needs_a_main_list(tmp_path):
    text = BASE[:BASE.index("[diagram]")] + BASE[BASE.index("# ---", BASE.index("[diagram]")):]
    spec = load_variant(write(tmp_path, text))
    assert spec.diagram is None and "rfc9293" in fsm_dot(spec)   # still drawn, one row per state
    with pytest.raises(InputError, match="names no main transitions"):
        fsm_dot(spec, main_only=True)
