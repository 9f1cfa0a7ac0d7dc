"""``tcpmodel list``: shipped checks, variants, properties and parameters; a variant's rules."""

from __future__ import annotations

from .common import EXIT_OK


def add_parser(sub) -> None:
    ls = sub.add_parser("list", help="list shipped checks, variants, properties and parameters")
    ls.add_argument("what", nargs="?",
                    choices=["checks", "variants", "properties", "params", "rules"],
                    help="only this kind; 'rules' lists a variant's rules in the order they are "
                         "tried (not part of the full listing)")
    ls.add_argument("--variant", metavar="V",
                    help="the variant whose rules 'list rules' shows: a name or a path (default rfc9293)")


def run(args) -> int:
    from ..check import list_checks, load_check, load_library
    from ..params import describe
    from ..spec import list_variants, load_variant

    what = args.what
    if what == "rules":
        from ..check import named_variant
        return _rules(named_variant(args.variant or "rfc9293", None))
    if args.variant:
        from ..errors import InputError
        raise InputError("--variant only applies to 'list rules'", where="command line",
                         fix="tcpmodel list rules --variant " + args.variant)
    if what in (None, "checks"):
        print("checks:")
        for n in list_checks():
            c = load_check(n)
            print(f"  {n:<20} {' '.join(c.description.split())}")
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


def _rules(spec) -> int:
    """One line per rule; '+' marks the rules the variant's own file adds or replaces."""
    from ..spec import rule_summary
    overlay = len(spec.files) > 1
    print(f"rules of {spec.name} ({len(spec.rules)}; for a state and event the first rule whose "
          f"'when' holds fires" + ("; + from " + spec.files[-1] if overlay else "") + "):")
    width = max(len(r.id) for r in spec.rules)
    for r in spec.rules:
        mark = "+" if overlay and r.src.file == spec.files[-1] else " "
        print(f" {mark}{r.id:<{width}}  {rule_summary(spec, r)}")
    return EXIT_OK
