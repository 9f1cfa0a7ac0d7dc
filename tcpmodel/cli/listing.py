"""``tcpmodel list``: shipped checks, variants, properties and parameters."""

from __future__ import annotations

from .common import EXIT_OK


def add_parser(sub) -> None:
    ls = sub.add_parser("list", help="list shipped checks, variants, properties and parameters")
    ls.add_argument("what", nargs="?", choices=["checks", "variants", "properties", "params"],
                    help="only this kind")


def run(args) -> int:
    from ..check import list_checks, load_check, load_library
    from ..params import describe
    from ..spec import list_variants, load_variant

    what = args.what
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
        for name, default, doc in describe():
            print(f"  {name:<14} default {default:<9} {doc}")
    return EXIT_OK
