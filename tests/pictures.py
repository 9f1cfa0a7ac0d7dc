"""Helpers for the picture tests: reading SVG, and the transitions a rule file declares,
computed here from the raw TOML (not with tcpmodel's own code)."""

import re
import shutil
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"

needs_layout = pytest.mark.skipif(not (shutil.which("dot") or shutil.which("graphviz-pure")),
                                  reason="no Graphviz layout program (pip install graphviz-pure)")


def parse_svg(text):
    """The SVG's root element; raises if the document is not well-formed XML."""
    return ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)


def groups(root, cls):
    """Every <g> whose class list contains ``cls``."""
    return [g for g in root.iter(f"{SVG}g") if cls in g.get("class", "").split()]


def texts(el):
    return ["".join(t.itertext()) for t in el.iter(f"{SVG}text")]


def variant_raw(name: str) -> dict:
    """A shipped variant as one raw TOML table: an overlay applied to its base by hand
    (remove; replace keeps id, state and event; before/after insert)."""
    raw = tomllib.loads((ROOT / "specs" / f"{name}.toml").read_text())
    if "extends" not in raw:
        return raw
    base = variant_raw(raw["extends"])
    rules = [r for r in base["rule"] if r["id"] not in raw.get("remove", [])]
    for r in raw.get("rule", []):
        ids = [x["id"] for x in rules]
        if "replace" in r:
            i = ids.index(r["replace"])
            old = rules[i]
            new = {k: v for k, v in r.items() if k != "replace"}
            for k in ("id", "state", "event"):
                new.setdefault(k, old[k])
            rules[i] = new
        else:
            key = "before" if "before" in r else "after"
            i = ids.index(r[key]) + (key == "after")
            rules.insert(i, {k: v for k, v in r.items() if k != key})
    return dict(base, rule=rules)


def declared_transitions(raw: dict) -> set:
    """{(state, next state, rule id)} as a reader of the rule file would list them: a rule
    fires in each of its states for each of its events that no earlier rule without `when`
    takes; it moves to its `next` (every quoted state of a conditional) or stays."""
    states = raw["endpoint"]["states"]
    groups_ = raw.get("groups", {})
    ev = raw["events"]
    all_events = [e for k in ("user", "segment", "timer") for e in ev.get(k, [])]

    def expand(names, singles, named):
        names = [names] if isinstance(names, str) else names
        out = []
        for n in names:
            out += singles if n == "*" else named.get(n, [n])
        return out

    rules = raw["rule"]
    taken = {}
    for i, r in enumerate(rules):
        if "when" not in r:
            for s in expand(r["state"], states, groups_):
                for e in expand(r["event"], all_events, ev):
                    taken.setdefault((s, e), i)
    out = set()
    for i, r in enumerate(rules):
        for s in expand(r["state"], states, groups_):
            if not any(taken.get((s, e), i) >= i for e in expand(r["event"], all_events, ev)):
                continue
            nxt = r.get("next")
            if nxt is None:
                targets = {s}
            elif nxt in states:
                targets = {nxt}
            else:
                targets = set(re.findall(r"'([^']+)'", nxt))
            out |= {(s, t, r["id"]) for t in targets}
    return out
