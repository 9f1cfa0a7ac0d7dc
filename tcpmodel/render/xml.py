"""Escaping for the SVG and HTML writers: user text (state, rule and property names) never
becomes markup."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0 at all


def esc(text) -> str:
    """Text content or a double-quoted attribute value, with &, <, >, " and ' escaped."""
    s = _CONTROL.sub("?", str(text))
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def strip_prolog(svg: str) -> str:
    """An SVG document without its XML declaration, DOCTYPE and comments, to inline in HTML."""
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    return svg.strip()
