"""EdgeBits (a bool per edge packed 8 to a byte) reads as the bool array it packs."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tcpmodel.engines.explicit.graph_arrays import EdgeBits


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=70), st.lists(st.integers(1, 20), max_size=8),
       st.data())
def test_packed_blocks_sets_and_reads_match_a_bool_array(bools, cuts, data):
    ref = np.array(bools, bool)
    n = len(ref)
    blocks, lo = [], 0
    for c in cuts:   # consecutive blocks of uneven sizes, as the row blocks of a pass
        blocks.append(ref[lo:lo + c])
        lo += c
    blocks.append(ref[lo:])
    bits = EdgeBits.packed(n, blocks)
    more = np.array(data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=10)), np.int64)
    if n:
        bits.set(more)
        ref[more] = True
    assert len(bits) == n
    for a in range(0, n + 1, 3):
        for b in range(a, n + 1, 4):
            assert bits[a:b].tolist() == ref[a:b].tolist()
    idx = np.array(data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=10)), np.int64)
    if n:
        assert bits[idx].tolist() == ref[idx].tolist()
