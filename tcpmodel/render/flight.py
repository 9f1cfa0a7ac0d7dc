"""Segments in flight along a trace: which send each arrival, loss or duplicate refers to.

A trace step says what an endpoint sent and what it received, but not which earlier send an
arrival is (the channels may reorder).  Identical segments in flight in the same direction
are matched oldest first: they carry the same bits, so any choice is a correct reading, and
oldest first draws retransmissions and late arrivals the way one would explain them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Flight:
    """One copy of a segment in the network, from the step that sent it to its fate."""
    text: str
    sender: str               # "A" or "B"
    sent: int                 # row of the send: step k of the trace is row k
    end: int | None = None    # row of the arrival, loss or drop; None: still in flight
    fate: str = "inflight"    # received, lost, dropped (channel full), inflight
    dup_of: Flight | None = None   # the copy this one was duplicated from ...
    dup_row: int | None = None       # ... at this row
    stale: bool = False       # arrived at a later incarnation of its receiver
    delayed: bool = False     # overtaken: a later send in the same direction arrived first
    unseen: bool = False      # its send is not in the trace (a trace that starts mid-run)
    forged: bool = False      # forged by the attacker as if ``sender`` had sent it (arrives at once)


def flights(trace) -> list[Flight]:
    """Every copy of every segment in ``trace``, in the order the copies came to be."""
    out: list[Flight] = []
    waiting: dict = {"A": [], "B": []}     # sender -> copies in flight, oldest first
    for row, st in enumerate(trace.steps, start=1):
        if st.kind == "inject" and st.received is None:   # forged and left in flight
            f = Flight(st.moved, st.direction.split("->")[0], row, forged=True)
            out.append(f)
            waiting[f.sender].append(f)
        elif st.kind == "inject":
            out.append(Flight(st.received, st.direction.split("->")[0], row, row, "received",
                              forged=True))
        if st.kind == "rcv":
            sender = st.direction.split("->")[0]
            f = _take(waiting[sender], st.received)
            if f is None:
                f = Flight(st.received, sender, row - 1, unseen=True)
                out.append(f)
            else:
                # copies still waiting that were sent before this one were overtaken
                for g in waiting[sender]:
                    if _origin(g) < _origin(f):
                        g.delayed = True
            f.end, f.fate, f.stale = row, "received", st.stale
        if st.kind in ("loss", "dup", "drop", "replay"):
            sender = st.direction.split("->")[0]
            if st.kind in ("loss", "drop"):
                f = _take(waiting[sender], st.moved)
                if f is not None:
                    f.end, f.fate = row, "lost"
            else:
                orig = next((g for g in waiting[sender] if g.text == st.moved), None)
                copy = Flight(st.moved, sender, orig.sent if orig else row, dup_of=orig,
                              dup_row=row)
                out.append(copy)
                waiting[sender].append(copy)
        if st.sent:
            # the reply to a forged segment comes from its receiver
            sender = st.actor if st.actor in ("A", "B") else st.direction.split("->")[1]
            f = Flight(st.sent, sender, row)
            out.append(f)
            if st.overflow:
                f.end, f.fate = row, "dropped"
            else:
                waiting[sender].append(f)
    return out


def _origin(f: Flight) -> int:
    return f.dup_row if f.dup_row is not None else f.sent


def _take(queue: list, text: str) -> Flight | None:
    for i, f in enumerate(queue):
        if f.text == text:
            return queue.pop(i)
    return None
