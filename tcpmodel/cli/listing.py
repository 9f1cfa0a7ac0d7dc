"""``tcpmodel list``: shipped checks, variants, properties, parameters, and a variant's rules."""

from __future__ import annotations

from .common import EXIT_OK


def add_parser(sub) -> None:
    ls = sub.add_parser("list", help="list shipped checks, variants, properties and parameters")
    ls.add_argument("what", nargs="?",
                    choices=["checks", "variants", "properties", "params", "rules"],
                    help="only this kind (rules: the rule ids of a variant, which overlays name "
                         "in replace, before, after and remove)")
    ls.add_argument("--variant", help="list rules: of this variant (default rfc9293; a name or "
                                      "a path)")


def run(args) -> int:
    from ..check import list_checks, load_check, load_library
    from ..params import describe
    from ..spec import list_variants, load_variant

    what = args.what
    if args.variant and what != "rules":
        from ..errors import InputError
        raise InputError("--variant goes with 'list rules'", where="command line",
                         fix="tcpmodel list rules --variant NAME")
    if what in (None, "checks"):
        print("checks:")
        for n in list_checks():
            c = load_check(n)
            print(f"  {n:<12} {' '.join(c.description.split())}")
    if what in (None, "variants"):
        print("variants:")
        for v in list_variants():
            print(f"  {v:<12} {load_variant(v).description}")
    if what in (None, "properties"):
        print("properties (specs/properties.toml):")
        _, props, _ = load_library()
        for n, p in props.items():
            print(f"  {n:<22} {' '.join(p.formula.split())}")
    if what in (None, "params"):
        print("parameters (--set KEY=VALUE or [params] in a check file):")
        for name, default, values, doc in describe():
            if len(default) > 9:
                print(f"  {name:<14} default {default}\n  {'':<14} {'':<17} values {values}: {doc}")
            else:
                print(f"  {name:<14} default {default:<9} values {values}: {doc}")
    if what == "rules":
        _rules(args.variant or "rfc9293")
    return EXIT_OK


def _rules(name: str) -> None:
    """The rules of a variant in order (the first that matches a state, event and condition
    fires), each with its states, events and, for an overlay's own, the file."""
    from pathlib import Path

    from ..check import named_variant
    spec = named_variant(name, None)
    print(f"rules of {spec.name}, in order (an overlay names them in replace, before, after "
          "and remove):")
    base = spec.files[0]
    for r in spec.rules:
        states = "*" if set(r.states) == set(spec.states) else ",".join(r.states)
        events = "*" if set(r.events) == set(spec.all_events) else ",".join(r.events)
        origin = f"  ({Path(r.src.file).name})" if r.src.file != base else ""
        print(f"  {r.id:<28} {states} / {events}{origin}")
