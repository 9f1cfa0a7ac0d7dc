"""Rule files: the completeness check, overlays, and one-line errors naming file, line and fix."""

import re

import pytest

from tcpmodel.errors import InputError
from tcpmodel.spec import load_variant, specs_dir

BASE = (specs_dir() / "rfc9293.toml").read_text()


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def drop_rule(text, rid):
    """The rule file without the [[rule]] whose id is rid."""
    blocks = re.split(r"(?m)^(?=\[\[rule\]\])", text)
    kept = [b for b in blocks if f'id = "{rid}"\n' not in b]
    assert len(kept) == len(blocks) - 1, rid
    return "".join(kept)


def test_shipped_variants_are_complete():
    for v in ("rfc9293", "rfc793", "rfc1337"):
        spec = load_variant(v)
        for s in spec.states:
            for e in spec.all_events:
                assert spec.rules_for(s, e), (v, s, e)


def test_a_missing_state_event_pair_is_reported(tmp_path):
    path = write(tmp_path, "x.toml", drop_rule(BASE, "listen-rcv-rst"))
    with pytest.raises(InputError) as e:
        load_variant(path)
    msg = str(e.value)
    assert "LISTEN x event rcv_rst" in msg and "x.toml" in msg and "fix:" in msg


def test_a_guarded_last_rule_is_incomplete(tmp_path):
    text = BASE.replace('id = "closed-rcv-rst"\n', 'id = "closed-rcv-rst"\nwhen = "seg.seq == 0"\n')
    with pytest.raises(InputError, match="CLOSED x event rcv_rst.*has a 'when'"):
        load_variant(write(tmp_path, "x.toml", text))


def test_unknown_state_names_file_line_and_fix(tmp_path):
    text = BASE.replace('state = "LISTEN"\nevent = "open_passive"', 'state = "LISTNE"\nevent = "open_passive"')
    with pytest.raises(InputError) as e:
        load_variant(write(tmp_path, "x.toml", text))
    msg = str(e.value)
    line = next(i + 1 for i, l in enumerate(text.splitlines()) if l.strip() == 'id = "listen-open-error"') - 1
    assert f"x.toml:{line}:" in msg and "unknown state 'LISTNE'" in msg and "LISTEN" in msg


def test_bad_expression_reports_column(tmp_path):
    text = BASE.replace('set = { snd_nxt = "snd_nxt + 1", sent = "sent + 1" }',
                        'set = { snd_nxt = "snd_nxt + ", sent = "sent + 1" }')
    from tcpmodel.params import resolve
    from tcpmodel.endpoint import EndpointMachine
    with pytest.raises(InputError, match=r"rule 'send-data' key 'set.snd_nxt'.*column 11"):
        EndpointMachine(load_variant(write(tmp_path, "x.toml", text)), resolve({}), "A")


def test_malformed_toml(tmp_path):
    with pytest.raises(InputError, match=r"x.toml:3(:\d+|: end of file): malformed TOML"):
        load_variant(write(tmp_path, "x.toml", 'name = "x"\n[endpoint]\nstates = [\n'))


def test_overlay_replace_before_remove(tmp_path):
    base = write(tmp_path, "base.toml", BASE)
    over = write(tmp_path, "over.toml", f'''extends = "{base}"
remove = ["out-of-order"]
[[rule]]
before = "sync-rst"
id = "tw-ignore"
state = "TIME-WAIT"
event = ["rcv_rst", "rcv_rstack"]
[[rule]]
replace = "listen-close"
next = "LISTEN"
''')
    spec = load_variant(over)
    ids = [r.id for r in spec.rules]
    assert "out-of-order" not in ids
    assert ids.index("tw-ignore") == ids.index("sync-rst") - 1
    # the replacement keeps the old rule's place but not its name: traces show which rule fired
    assert "listen-close" not in ids
    new = spec.rules[ids.index("listen-close@over")]
    assert new.next.text == "'LISTEN'" and new.replaces == "listen-close"
    assert ids.index("listen-close@over") == [r.id for r in load_variant(base).rules].index(
        "listen-close")   # out-of-order, removed, comes later


def test_replacing_rules_show_their_own_names():
    """rfc5961's challenge ACK is not sync-syn-reset; the RFC figure still draws rfc793's CLOSE
    in CLOSE-WAIT (it replaces a rule of [diagram] main)."""
    from tcpmodel.render.transitions import transitions
    ids = [r.id for r in load_variant("rfc5961").rules]
    assert "syn-challenge" in ids and "sync-syn-reset" not in ids
    main = {(t.rule, t.src, t.dst) for t in transitions(load_variant("rfc793")) if t.main}
    assert ("closewait-close-closing", "CLOSE-WAIT", "CLOSING") in main


def test_overlay_naming_a_missing_rule(tmp_path):
    over = write(tmp_path, "o.toml", 'extends = "rfc9293"\n[[rule]]\nreplace = "sync-rts"\n')
    with pytest.raises(InputError, match="no rule with id 'sync-rts'.*sync-rst"):
        load_variant(over)


def test_unknown_key_is_not_ignored(tmp_path):
    text = BASE.replace('id = "closed-open-passive"\n', 'id = "closed-open-passive"\nnxt = "LISTEN"\n')
    with pytest.raises(InputError, match="unknown key 'nxt'.*next"):
        load_variant(write(tmp_path, "x.toml", text))


def test_overlay_errors_name_the_overlay(tmp_path):
    from tcpmodel.endpoint import EndpointMachine
    from tcpmodel.params import resolve
    dup = write(tmp_path, "dup.toml", 'extends = "rfc9293"\n[[rule]]\nbefore = "sync-rst"\n'
                'id = "sync-rst"\nstate = "TIME-WAIT"\nevent = ["rcv_rst"]\n')
    with pytest.raises(InputError, match=r"dup.toml:2: .*duplicate rule id 'sync-rst' \(also "):
        load_variant(dup)
    retyped = write(tmp_path, "retyped.toml", 'extends = "rfc9293"\n[define]\nack_ok = "seg.ack"\n')
    with pytest.raises(InputError, match=r"retyped.toml:3: .*'ack_ok' is seq here but bool in "):
        EndpointMachine(load_variant(retyped), resolve({}), "A")
