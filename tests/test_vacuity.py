"""Vacuity: an `always (P implies Q)` whose premise P is never true is flagged, like a leads_to
whose premise is never reached."""

import pytest

from test_cli import run as cli_run

CHECK = '''
variant = "rfc9293"
[scripts]
a = [{{ call = "open_active", when = "peer.state == 'LISTEN'" }}]
b = ["open_passive"]
[define]
closing_pair = "a.state == 'CLOSING' and b.state == 'CLOSING'"
[[property]]
name = "p"
formula = "{formula}"
'''


def check(tmp_path, formula, *args):
    path = tmp_path / "v.toml"
    path.write_text(CHECK.format(formula=formula))
    code, out, _ = cli_run("check", str(path), "--no-diffs", *args)
    return code, out


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_an_unreachable_premise_is_flagged(tmp_path, monkeypatch, engine):
    from tcpmodel.check import build, load_check
    from tcpmodel.engines.explicit import search, vectorised
    path = tmp_path / "v.toml"
    path.write_text(CHECK.format(formula="always (closing_pair implies a.snd_nxt == 0)"))
    model = build(load_check(str(path)))
    if engine == "reference":
        def unavailable(*args, **kw):
            raise OverflowError  # what makes search.explore fall back to the reference engine
        monkeypatch.setattr(vectorised, "explore_fast", unavailable)
    res = search.check(model)
    p = res.properties[0]
    assert p.verdict == "holds" and p.detail.startswith("vacuous:")
    assert any("premise of 'implies' ((a.state == 'CLOSING') and (b.state == 'CLOSING'))" in w
               or ("premise of 'implies'" in w and "never true" in w) for w in res.warnings)


def test_a_reached_premise_is_not_flagged(tmp_path):
    code, out = check(tmp_path, "always (a.state == 'ESTABLISHED' implies a.snd_una == a.iss + 1)")
    assert code == 0 and "vacuous" not in out and "never true" not in out
    # a violated implication had its premise true: no warning either
    code, out = check(tmp_path, "always (a.state == 'ESTABLISHED' implies a.snd_una == a.iss)")
    assert code == 1 and "never true" not in out


def test_cli_warns_and_json_says_so(tmp_path):
    code, out = check(tmp_path, "always (closing_pair implies a.snd_nxt == 0)")
    assert code == 0 and "is never true (the property holds vacuously)" in out
    import json
    code, out = check(tmp_path, "always (closing_pair implies a.snd_nxt == 0)", "--json")
    doc = json.loads(out)
    run = doc["checks"][0] if "checks" in doc else doc
    assert any("never true" in w for w in run["warnings"])
