"""``tcpmodel diagrams``: regenerate (or verify) the pictures in diagrams/."""

from __future__ import annotations

import sys

from .common import EXIT_OK, EXIT_VIOLATED


def add_parser(sub) -> None:
    rg = sub.add_parser("diagrams", help="regenerate the diagrams the README shows",
                        description="Regenerate diagrams/ (rendered with graphviz-pure, whose "
                                    "output is the same on every machine).")
    rg.add_argument("--dir", metavar="DIR", help="target directory (default: the repository's diagrams/)")
    rg.add_argument("--check", action="store_true", dest="verify",
                    help="only compare: exit 1 if a file is missing or differs")


def run(args) -> int:
    from pathlib import Path

    from ..render.regen import regenerate
    changed = regenerate(args.dir, verify=args.verify)
    for path in changed:
        word = "written" if not args.verify else "differs" if Path(path).exists() else "missing"
        print(f"  {word}: {path}", file=sys.stderr)
    if args.verify and changed:
        again = "tcpmodel diagrams" + (f" --dir {args.dir}" if args.dir else "")
        print(f"tcpmodel: {args.dir or 'diagrams/'} is out of date: run '{again}'", file=sys.stderr)
        return EXIT_VIOLATED
    return EXIT_OK
