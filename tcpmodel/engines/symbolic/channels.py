"""Channel operations on slot arrays (``state.Chan``): the symbolic counterparts of the
explicit engine's tuple operations, for an int or a term slot index.  Slots past the length
stay zero; a bag stays sorted (``insert_sorted``), a FIFO keeps sending order (``append``)."""

from __future__ import annotations

import z3

from .state import SEG_KEYS, Chan, ite, mux, slot_key


def mux_chan(sel, chans) -> Chan:
    return Chan(mux(sel, [c.length for c in chans]),
                [{k: mux(sel, [c.slots[i][k] for c in chans]) for k in SEG_KEYS}
                 for i in range(len(chans[0].slots))])


def select(cond, a: Chan, b: Chan) -> Chan:
    if cond is True:
        return a
    if cond is False:
        return b
    return Chan(z3.If(cond, a.length, b.length),
                [{k: z3.If(cond, x[k], y[k]) for k in SEG_KEYS} for x, y in zip(a.slots, b.slots)])


def remove(ch: Chan, j, lay) -> Chan:
    """Drop slot j and shift the rest down (keeps FIFO order; a bag does not mind)."""
    zero = lay.zero_seg()
    old = ch.slots + [zero]
    slots = [{k: ite(_lt(i, j), old[i][k], old[i + 1][k]) for k in SEG_KEYS}
             for i in range(len(ch.slots))]
    return Chan(ch.length - 1, slots)


def _lt(i: int, j):
    if isinstance(j, int):
        return i < j
    return z3.ULT(i, j) if i < (1 << j.size()) else False


def insert_sorted(ch: Chan, seg: dict) -> Chan:
    """Insert into a sorted bag (``tuple(sorted(ch + (x,)))``)."""
    kx = slot_key(seg)
    below = [z3.And(z3.ULT(i, ch.length), z3.ULE(slot_key(sl), kx)) for i, sl in enumerate(ch.slots)]
    slots = []
    for i, sl in enumerate(ch.slots):
        here = True if i == 0 else below[i - 1]
        prev = ch.slots[i - 1] if i > 0 else sl
        slots.append({k: ite(below[i], sl[k], ite(here, seg[k], prev[k])) for k in SEG_KEYS})
    return Chan(ch.length + 1, slots)


def append(ch: Chan, seg: dict) -> Chan:
    slots = [{k: ite(ch.length == i, seg[k], sl[k]) for k in SEG_KEYS} for i, sl in enumerate(ch.slots)]
    return Chan(ch.length + 1, slots)


def insert_after(ch: Chan, j, seg: dict) -> Chan:
    old = ch.slots
    slots = []
    for i in range(len(old)):
        prev = old[i - 1] if i > 0 else old[0]
        slots.append({k: ite(_lt(i, j + 1) if isinstance(j, int) else z3.ULE(i, j),
                             old[i][k],
                             ite((j == i - 1) if i > 0 else False, seg[k], prev[k]))
                      for k in SEG_KEYS})
    return Chan(ch.length + 1, slots)


def compact(ch: Chan, keep, lay) -> Chan:
    """Keep the slots satisfying ``keep``, in order, packed to the front."""
    w = lay.len_bits
    kept = [z3.And(z3.ULT(i, ch.length), keep(sl)) for i, sl in enumerate(ch.slots)]
    pos = []
    count = z3.BitVecVal(0, w)
    for kp in kept:
        pos.append(count)
        count = count + z3.If(kp, z3.BitVecVal(1, w), z3.BitVecVal(0, w))
    zero = lay.zero_seg()
    slots = []
    for out_i in range(len(ch.slots)):
        acc = zero
        for i in range(len(ch.slots) - 1, -1, -1):
            hit = z3.And(kept[i], pos[i] == out_i)
            acc = {k: z3.If(hit, ch.slots[i][k], acc[k]) for k in SEG_KEYS}
        slots.append(acc)
    return Chan(count, slots)
