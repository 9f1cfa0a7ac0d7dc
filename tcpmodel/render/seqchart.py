"""Sequence charts of traces as SVG, laid out here (no layout engine needed).

Two lifelines (TCP A left, TCP B right); one row per step with both endpoints' states after
it (boxes of states that changed are bold); each segment a slanted arrow from the row that
sent it to the row that received it, labelled ``<SEQ><ACK><CTL>``.  A lost segment ends in a
cross, a copy made by the network forks off the original (dashed), a segment that reaches a
later incarnation is red (STALE), one overtaken by a later send is marked delayed.  User calls,
timeouts and crashes are notes beside the lifelines, with the rule that fired; the loop of a
lasso (liveness counterexample) is bracketed.

:func:`layout` returns the geometry (used by the tests to check that no two labels overlap);
:func:`chart_svg` the SVG text.  Output is deterministic: same trace, same bytes.
"""

from __future__ import annotations

import math
from functools import cached_property
from dataclasses import dataclass, field

from .flight import Flight, flights
from .xml import esc

MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
SANS = "Helvetica, Arial, sans-serif"
ROW = 34                  # vertical distance of two steps
BOXW, BOXH = 116, 20      # state boxes
GAP = 480                 # distance of the two lifelines
BRACKET_W, NUM_W, NOTE_W = 26, 30, 210
Y0 = 92                   # row 0 (the initial states)
SEG_FONT = 10.5
SEG_CHAR = 0.6 * SEG_FONT  # monospace advance: label widths are known exactly
NOTE_FONT, RULE_FONT = 11.0, 9.5
XA = BRACKET_W + NUM_W + NOTE_W + BOXW / 2
XB = XA + GAP
WIDTH = XB + BOXW / 2 + NOTE_W + 10

INK, FAINT, RED, ORANGE = "#1f3b63", "#9a9a9a", "#c0392b", "#b9770e"
PURPLE = "#7d3c98"   # forged by the attacker


@dataclass(frozen=True)
class Box:
    """An oriented rectangle: centre, half width/height along its own axes, angle (radians)."""
    cx: float
    cy: float
    hw: float
    hh: float
    angle: float = 0.0

    @cached_property
    def corners(self) -> tuple:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return tuple((self.cx + dx * c - dy * s, self.cy + dx * s + dy * c)
                     for dx, dy in ((-self.hw, -self.hh), (self.hw, -self.hh),
                                    (self.hw, self.hh), (-self.hw, self.hh)))

    @cached_property
    def bounds(self) -> tuple:
        xs = [x for x, _ in self.corners]
        ys = [y for _, y in self.corners]
        return min(xs), min(ys), max(xs), max(ys)

    def overlaps(self, other: Box) -> bool:
        """Separating-axis test of two oriented rectangles (interiors intersect)."""
        ax0, ay0, ax1, ay1 = self.bounds
        bx0, by0, bx1, by1 = other.bounds
        if ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0:
            return False  # disjoint bounding boxes: disjoint interiors (quick exit)
        a, b = self.corners, other.corners
        for poly in (a, b):
            for i in range(4):
                (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % 4]
                nx, ny = y2 - y1, x1 - x2
                pa = [nx * x + ny * y for x, y in a]
                pb = [nx * x + ny * y for x, y in b]
                if max(pa) <= min(pb) or max(pb) <= min(pa):
                    return False
        return True


@dataclass
class Chart:
    width: float
    height: float
    parts: list = field(default_factory=list)    # SVG fragments, in drawing order
    labels: list = field(default_factory=list)   # Box of every segment label
    notes: list = field(default_factory=list)    # Box of every note beside a lifeline
    boxes: list = field(default_factory=list)    # Box of every state box
    steps: int = 0


def y_of(row: int) -> float:
    return Y0 + row * ROW


def layout(trace, title: str = "", mark: int | None = None) -> Chart:
    """The chart's geometry and SVG fragments; ``mark``: a step whose row is highlighted
    (e.g. where a kernel's run first differs from the model's)."""
    n = len(trace.steps)
    bottom = y_of(n) + ROW * 0.9
    chart = Chart(WIDTH, bottom + (34 if trace.loop_start is not None else 14), steps=n)
    P = chart.parts
    if title:
        P.append(_text(WIDTH / 2, 24, title, size=14, anchor="middle", weight="bold", font=SANS))
    for x, name in ((XA, "TCP A"), (XB, "TCP B")):
        P.append(_text(x, 58, name, size=13, anchor="middle", weight="bold", font=SANS))
        P.append(f'<line x1="{x:.1f}" y1="{y_of(0):.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
                 f'stroke="#b5b5b5" stroke-width="1"/>')
    P.append('<g class="initial">')
    P.append(_num(0, y_of(0)))
    P += [_box(XA, y_of(0), trace.initial_a, True, chart),
          _box(XB, y_of(0), trace.initial_b, True, chart)]
    P.append("</g>")
    prev = (trace.initial_a, trace.initial_b)
    for row, st in enumerate(trace.steps, start=1):
        _step(chart, row, st, prev)
        prev = (st.a, st.b)
    _segments(chart, flights(trace), bottom)
    if trace.loop_start is not None:
        _loop(chart, trace.loop_start + 1, n)
    if mark is not None and 1 <= mark <= n:
        y = y_of(mark)
        chart.parts.insert(0, f'<rect class="mark" data-step="{mark}" x="0" y="{y - ROW / 2:.1f}" '
                              f'width="{WIDTH:.0f}" height="{ROW}" fill="#fbe3e0"/>')
    return chart


def chart_svg(trace, title: str = "", mark: int | None = None) -> str:
    """A self-contained SVG document of the trace's sequence chart (``mark``: see layout)."""
    c = layout(trace, title, mark)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{c.width:.0f}" '
            f'height="{c.height:.0f}" viewBox="0 0 {c.width:.0f} {c.height:.0f}" '
            f'class="tcpmodel-chart" data-steps="{c.steps}">')
    body = [f'<rect width="{c.width:.0f}" height="{c.height:.0f}" fill="white"/>'] + c.parts
    return head + "\n" + "\n".join(body) + "\n</svg>\n"


# ------------------------------------------------------------------ rows

def _step(chart: Chart, row: int, st, prev: tuple) -> None:
    y = y_of(row)
    P = chart.parts
    P.append(f'<g class="step" data-step="{row}">')
    P.append(f"<title>{esc(_describe(st))}</title>")
    P.append(_num(row, y))
    P.append(_box(XA, y, st.a, st.a != prev[0], chart))
    P.append(_box(XB, y, st.b, st.b != prev[1], chart))
    side = (st.actor if st.actor in ("A", "B") else
            st.direction[-1] if st.kind == "inject" else (st.direction or "A->B")[0])
    what = st.note.split(": ", 1)[1] if ": " in st.note else (st.note or st.event)
    if st.actor == "network":
        what = f"network: {what}"
    tags = [t for t in (st.rule, st.signal and f"signal: {st.signal}",
                        "STALE segment" if st.stale else None,
                        "dropped: channel full" if st.overflow else None) if t]
    lines = [(what, NOTE_FONT, "#222222", "normal"), ("  ".join(tags), RULE_FONT, "#6b6b6b", "normal")]
    colour = RED if st.kind == "crash" else None
    for k, (text, size, fill, weight) in enumerate(lines):
        if not text:
            continue
        text = _fit(text, NOTE_W - 12, size)
        ty = y - 1 if k == 0 else y + 10
        if not lines[1][0]:
            ty = y + 4
        x = XA - BOXW / 2 - 8 if side == "A" else XB + BOXW / 2 + 8
        anchor = "end" if side == "A" else "start"
        w = len(text) * size * 0.6
        chart.notes.append(Box(x - w / 2 if side == "A" else x + w / 2, ty - size * 0.35,
                               w / 2, size * 0.55))
        P.append(_text(x, ty, text, size=size, anchor=anchor, fill=colour or fill, font=SANS,
                       weight=weight, italic=st.actor == "network" and k == 0))
    P.append("</g>")


def _describe(st) -> str:
    """The step in words, for the row's tooltip: note, rule, segment and TCB changes."""
    parts = [f"{st.index}. {st.note or st.event}"]
    if st.rule:
        parts.append(f"rule {st.rule}")
    for k in ("received", "sent", "moved"):
        v = getattr(st, k)
        if v:
            parts.append(f"{k} {v}")
    for side, ch in (st.changes or {}).items():
        parts.append(f"{side}: " + ", ".join(f"{k} {v[0]}->{v[1]}" for k, v in ch.items()))
    return "; ".join(parts)


# ------------------------------------------------------------------ segments

def _edge(sender: str, row: int) -> tuple:
    """Where an arrow leaves (or reaches) ``sender``'s box at ``row``."""
    return (XA + BOXW / 2, y_of(row)) if sender == "A" else (XB - BOXW / 2, y_of(row))


def _segments(chart: Chart, fl: list, bottom: float) -> None:
    geo: dict = {}   # id(flight) -> (start, end)
    arrows, labels, marks = [], [], []
    for f in fl:
        recv = "B" if f.sender == "A" else "A"
        start = _edge(f.sender, f.sent)
        if f.dup_row is not None:
            start = _fork(geo.get(id(f.dup_of)), f)
            marks.append(f'<circle cx="{start[0]:.1f}" cy="{start[1]:.1f}" r="3.5" fill="{ORANGE}"/>')
            chart.labels.append(Box(start[0], start[1], 5, 5))
        rx = _edge(recv, 0)[0]
        if f.forged:   # from the attacker, between the lifelines, straight into the receiver
            start = ((XA + XB) / 2, y_of(f.sent) - ROW * 0.55)
        if f.fate == "received":
            end = _edge(recv, f.end)
        elif f.fate == "lost":
            end = (start[0] + (rx - start[0]) * 0.6, y_of(f.end))
        elif f.fate == "dropped":   # never entered the full channel: it dies on the way there
            end = (start[0] + (rx - start[0]) * 0.6, y_of(f.end) + ROW * 0.5)
        else:   # still in flight when the trace ends: it would arrive below the last row
            end = (rx, bottom)
        geo[id(f)] = (start, end)
        colour = (PURPLE if f.forged else RED if (f.stale or f.fate in ("lost", "dropped"))
                  else ORANGE if f.delayed else INK)
        dash = ' stroke-dasharray="5,3"' if (f.dup_row is not None or f.unseen
                                              or f.fate == "inflight") else ""
        cls = " ".join(["segment", f.fate] + [k for k in ("stale", "delayed", "forged")
                                               if getattr(f, k)]
                       + (["dup"] if f.dup_row is not None else []))
        arrows.append(f'<g class="{cls}" data-from="{f.sent}" data-to="{f.end if f.end is not None else ""}">'
                      f'<line x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" '
                      f'y2="{end[1]:.1f}" stroke="{colour}" stroke-width="1.3"{dash}/>'
                      + (_cross(end) if f.fate in ("lost", "dropped") else
                         _head(start, end, colour) if f.fate == "received" else "") + "</g>")
        if f.fate in ("lost", "dropped"):
            chart.labels.append(Box(end[0], end[1], 6, 6))
        labels.append((f, start, end, colour))
    # short arrows have the fewest places for a label: they choose first
    labels.sort(key=lambda x: math.dist(x[1], x[2]))
    texts, wanted = zip(*(_candidates(f, a, b) for f, a, b, _ in labels)) if labels else ((), ())
    for (_, _, _, colour), text, box in zip(labels, texts, _place(chart, list(wanted))):
        chart.labels.append(box)
        marks.append(_label_svg(text, box, colour))
    chart.parts += arrows + marks


def _fork(orig_geo, f: Flight) -> tuple:
    """The point where a duplicate leaves the original's arrow (at the duplicating step)."""
    y = y_of(f.dup_row)
    if orig_geo is None:
        return ((XA + XB) / 2, y)
    (x1, y1), (x2, y2) = orig_geo
    if y2 == y1:
        return (x1, y)
    t = min(max((y - y1) / (y2 - y1), 0.0), 1.0)
    return (x1 + (x2 - x1) * t, y)


def _suffix(f: Flight) -> str:
    tags = ["forged"] if f.forged else []
    if f.dup_row is not None:
        tags.append("dup")
    if f.stale:
        tags.append("STALE")
    elif f.delayed and f.fate != "inflight":
        tags.append("delayed")
    tags.append({"lost": "lost", "dropped": "dropped", "inflight": "in flight"}
                .get(f.fate, ""))
    return " ".join(t for t in tags if t)


def _candidates(f: Flight, start, end) -> tuple:
    """(text, places): where the segment's label may sit along its arrow, best first."""
    text = f.text + (f"  {_suffix(f)}" if _suffix(f) else "")
    (x1, y1), (x2, y2) = start, end
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    # read left to right whichever way the arrow points
    angle = math.atan2(uy, ux) if ux >= 0 else math.atan2(-uy, -ux)
    nx, ny = uy, -ux                    # a normal; make it point up the page
    if ny > 0:
        nx, ny = -nx, -ny
    hw, hh = len(text) * SEG_CHAR / 2 + 2, SEG_FONT * 0.62
    inside, outside = [], []   # labels within the arrow's length first, then overhanging
    for off in (hh + 2.5, -(hh + 2.5), 3 * hh + 4, -(3 * hh + 4)):   # beside the arrow, or a line off
        for t in CANDIDATES:
            fits = t * length >= hw + 12 and (1 - t) * length >= hw + 12   # clear of the head
            box = Box(x1 + dx * t + nx * off, y1 + dy * t + ny * off, hw, hh, angle)
            (inside if fits else outside).append(box)
    return text, inside + outside


def _place(chart: Chart, wanted: list) -> list:
    """Choose a place per label so that no two overlap (greedy, shortest arrows first, and
    one round of repair: a label that finds no room may push a placed one elsewhere)."""
    fixed = chart.labels + chart.notes + chart.boxes
    chosen: dict = {}

    def free(box, skip=()):
        return (not any(box.overlaps(o) for o in fixed)
                and not any(box.overlaps(b) for k, b in chosen.items() if k not in skip))

    for k, places in enumerate(wanted):
        spot = next((b for b in places if free(b)), None)
        if spot is None:
            spot = _repair(k, places, wanted, chosen, free)
        chosen[k] = spot or places[0]
    return [chosen[k] for k in range(len(wanted))]


def _repair(k, places, wanted, chosen, free):
    for b in places:
        blockers = [j for j, o in chosen.items() if b.overlaps(o)]
        if not blockers or len(blockers) > 2:
            continue
        saved = {j: chosen[j] for j in blockers}
        for j in blockers:
            alt = next((a for a in wanted[j] if not a.overlaps(b) and free(a, skip=(j,))), None)
            if alt is None:
                break
            chosen[j] = alt
        else:
            if free(b):
                return b
        chosen.update(saved)
    return None


def _label_svg(text: str, box: Box, colour: str) -> str:
    deg = math.degrees(box.angle)
    return (f'<g class="label" transform="translate({box.cx:.1f},{box.cy:.1f}) rotate({deg:.2f})">'
            f'<rect x="{-box.hw:.1f}" y="{-box.hh:.1f}" width="{2 * box.hw:.1f}" '
            f'height="{2 * box.hh:.1f}" fill="white" fill-opacity="0.85"/>'
            + _text(0, SEG_FONT * 0.35, text, size=SEG_FONT, anchor="middle", fill=colour, font=MONO)
            + "</g>")


CANDIDATES = sorted((0.5 + d * k / 100 for k in range(0, 46, 3) for d in (1, -1)),
                    key=lambda t: (abs(t - 0.5), t))


def _head(start, end, colour) -> str:
    (x1, y1), (x2, y2) = start, end
    a = math.atan2(y2 - y1, x2 - x1)
    pts = [(x2, y2)] + [(x2 - 9 * math.cos(a + s * 0.38), y2 - 9 * math.sin(a + s * 0.38))
                        for s in (1, -1)]
    return f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" fill="{colour}"/>'


def _cross(p) -> str:
    x, y = p
    return (f'<path d="M{x - 5:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 5:.1f} M{x - 5:.1f},{y + 5:.1f} '
            f'L{x + 5:.1f},{y - 5:.1f}" stroke="{RED}" stroke-width="2.2"/>')


# ------------------------------------------------------------------ pieces

def _loop(chart: Chart, first: int, last: int) -> None:
    """Bracket the rows of a lasso's loop and say where it returns."""
    top, bot = y_of(first) - ROW / 2 + 3, y_of(last) + ROW / 2 - 3
    x = 16
    chart.parts.append(
        f'<g class="loop" data-first="{first}" data-last="{last}">'
        f'<path d="M{x + 8},{top:.1f} L{x},{top:.1f} L{x},{bot:.1f} L{x + 8},{bot:.1f}" '
        f'fill="none" stroke="{ORANGE}" stroke-width="2"/>'
        + _text(x - 5, (top + bot) / 2, "loop: repeats forever", size=10, anchor="middle",
                fill=ORANGE, font=SANS, rotate=-90)
        + _text(x, bot + 22, f"after step {last}, back to step {first}: the loop repeats forever",
                size=11, anchor="start", fill=ORANGE, font=SANS) + "</g>")


def _num(row: int, y: float) -> str:
    return _text(BRACKET_W + NUM_W - 6, y + 4, f"{row}.", size=11, anchor="end", fill="#555555",
                 font=SANS)


def _box(x: float, y: float, state: str, changed: bool, chart: Chart | None = None) -> str:
    fill, stroke, ink, weight = (("#dde8f7", "#35557f", "#10233f", "bold") if changed
                                 else ("#f7f7f7", "#d0d0d0", "#8c8c8c", "normal"))
    label = _fit(state, BOXW - 8, 11)
    if chart is not None:
        chart.boxes.append(Box(x, y, BOXW / 2, BOXH / 2))
    return (f'<rect class="state" x="{x - BOXW / 2:.1f}" y="{y - BOXH / 2:.1f}" width="{BOXW}" '
            f'height="{BOXH}" rx="4" fill="{fill}" stroke="{stroke}"/>'
            + _text(x, y + 4, label, size=11, anchor="middle", fill=ink, font=MONO, weight=weight))


def _fit(text: str, width: float, size: float) -> str:
    """Shorten ``text`` with an ellipsis to fit ``width`` (the full text is in the tooltip)."""
    most = max(int(width / (size * 0.6)), 4)
    return text if len(text) <= most else text[:most - 1] + "\u2026"


def _text(x, y, text, *, size, anchor, fill="#222222", font=SANS, weight="normal",
          italic=False, rotate=None) -> str:
    rot = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
    style = ' font-style="italic"' if italic else ""
    bold = f' font-weight="{weight}"' if weight != "normal" else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{font}" font-size="{size}" '
            f'text-anchor="{anchor}" fill="{fill}"{bold}{style}{rot}>{esc(text)}</text>')
