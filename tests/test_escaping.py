"""User text never becomes markup: a state, a rule, a label, a property, a description and a
check named with <&"> go through every picture (SVG, DOT, Mermaid, HTML) as plain text."""

import re
from html.parser import HTMLParser

import pytest
from pictures import ROOT, groups, needs_layout, parse_svg, texts
from test_cli import run

EVIL_STATE = 'EST<&">X'
EVIL = '<&">'


def hostile_variant(tmp_path):
    """rfc9293 with ESTABLISHED renamed EST<&">X, a rule id and an edge label with <&">."""
    text = (ROOT / "specs" / "rfc9293.toml").read_text()
    text = text.replace('next = "ESTABLISHED"', 'next = "\'EST<&\\">X\'"')
    text = text.replace('"ESTABLISHED"', '"EST<&\\">X"')
    text = text.replace('"established-fin"', '"fin<&\\">"')
    text = text.replace('close = "CLOSE"', 'close = "CLOSE <&\\">"')
    p = tmp_path / "evil.toml"
    p.write_text(text)
    return p


def hostile_check(tmp_path):
    variant = hostile_variant(tmp_path)
    p = tmp_path / "chk&<x>.toml"
    p.write_text(f'''description = "<script>alert(1)</script> & \\"quoted\\""
variant = "{variant}"
[scripts]
a = [{{ call = "open_active", when = "peer.state == 'LISTEN'" }},
     {{ call = "close", when = "state == 'EST<&\\">X'" }}]
b = ["open_passive", {{ call = "close", when = "state == 'CLOSE-WAIT'" }}]
[[property]]
name = "p<&\\">"
formula = "sometimes a.state == 'EST<&\\">X'"
[[property]]
name = "bad<&\\">"
formula = "always a.state != 'FIN-WAIT-2'"
''')
    return p


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


@needs_layout
def test_hostile_names_in_every_diagram_format(tmp_path):
    variant = hostile_variant(tmp_path)
    for args in ([], ["--main"], ["--diff", str(variant)]):
        code, _, err = run("diagram", "--variant", str(variant), *args, "-o", str(tmp_path / "d.svg"))
        assert code == 0, err
        root = parse_svg((tmp_path / "d.svg").read_text())   # well-formed XML
        shown = [t for n in groups(root, "node") for t in texts(n)]
        assert EVIL_STATE in shown                            # decoded back to the plain name
    svg = (tmp_path / "d.svg").read_text()
    assert EVIL_STATE not in svg and "EST&lt;&amp;" in svg
    code, _, _ = run("diagram", "--variant", str(variant), "-o", str(tmp_path / "d.mmd"))
    mmd = (tmp_path / "d.mmd").read_text()
    assert code == 0 and EVIL not in mmd and "EST#lt;#amp;#quot;#gt;X" in mmd
    code, dot, _ = run("diagram", "--variant", str(variant))
    assert code == 0 and 'label=<<b>EST&lt;&amp;&quot;&gt;X</b>' in dot
    assert '"fin<&\\">' in dot   # in a DOT string, only the quote needs escaping


@needs_layout
def test_hostile_names_in_report_charts_and_pairs(tmp_path):
    check = hostile_check(tmp_path)
    out = tmp_path / "r.html"
    code, _, err = run("report", str(check), "--witnesses", "-q", "-o", str(out))
    assert code == 1, err   # bad<&"> is violated: A reaches FIN-WAIT-2
    html = out.read_text()
    parser = Tags()
    parser.feed(html)
    assert "script" not in parser.tags
    assert EVIL not in html and "<script>" not in html
    assert "p&lt;&amp;&quot;&gt;" in html and "bad&lt;&amp;&quot;&gt;" in html
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.DOTALL)
    assert len(svgs) == 4   # state pairs, endpoint diagram, a witness and a counterexample chart
    for s in svgs:
        parse_svg(s)
    code, _, err = run("check", str(check), "-q", "--out", str(tmp_path / "out"))
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert code == 1 and names == [f"chk__x_-bad____{s}" for s in (".json", ".mmd", ".svg", ".txt")]
    chart = parse_svg((tmp_path / "out" / "chk__x_-bad____.svg").read_text())
    assert any("bad<&\">" in t for t in texts(chart))


@pytest.mark.parametrize("text", ['<&">', "a\\N b\\l c\\\\", "x\x01y"])
def test_xml_escaping_of_odd_text(text):
    from tcpmodel.render.xml import esc
    root = parse_svg(f'<svg xmlns="http://www.w3.org/2000/svg"><text a="{esc(text)}">{esc(text)}'
                     "</text></svg>")
    assert next(iter(root)).text == text.replace("\x01", "?")   # XML forbids control characters


@needs_layout
@pytest.mark.parametrize("text", ['<&">', "a\\N b\\l c\\G", 'q"uo\\"te'])
def test_dot_strings_reach_the_picture_verbatim(text):
    from tcpmodel.dot import quote
    from tcpmodel.render.graphviz import render
    root = parse_svg(render(f"digraph {{ n [label={quote(text)}] }}\n", "svg"))
    (node,) = groups(root, "node")
    assert texts(node) == [text]   # no escape sequence (\N, \l, \G) was interpreted
