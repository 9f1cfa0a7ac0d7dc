"""The visited set (an open-addressing hash table over exact 64-bit keys) against a dict."""

import numpy as np
from hypothesis import given, settings, strategies as st

from tcpmodel.engines.explicit.store import Visited

KEYS = st.integers(min_value=0, max_value=(1 << 64) - 2)


def _check(v: Visited, ref: dict, probe: list) -> None:
    q = np.array(probe, np.uint64)
    got = v.find(q)
    assert got.tolist() == [ref.get(k, -1) for k in probe]
    assert v.keys_by_id().tolist() == sorted(ref, key=ref.get)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(KEYS, max_size=40), max_size=12), st.lists(KEYS, max_size=30))
def test_batches_of_new_keys_get_consecutive_ids(batches, others):
    v = Visited(size=4)          # tiny: forces probing, wrap-around and growth by rehash
    ref: dict = {}
    for batch in batches:
        q = np.array(list(dict.fromkeys(batch)), np.uint64)
        ids, ends = v.find(q, slots=True)
        miss = ids < 0
        assert ids[~miss].tolist() == [ref[k] for k in q[~miss].tolist()]
        v.add(q[miss], ends[miss])
        for k in q[miss].tolist():
            ref[k] = len(ref)
        _check(v, ref, batch + others)
    assert v.n == len(ref)


def test_keys_sharing_a_home_slot_and_the_table_end():
    v = Visited(size=8)
    # every key in the same home slot: one cluster that wraps past the end of the table
    size = len(v.table)
    keys = []
    k = 0
    while len(keys) < 4:
        if int(v._home(np.array([k], np.uint64))[0]) == size - 1:
            keys.append(k)
        k += 1
    v.add(np.array(keys, np.uint64))
    assert v.find(np.array(keys + [k + 10**6], np.uint64)).tolist() == [0, 1, 2, 3, -1]
    assert (v.table != Visited.EMPTY).sum() == 4


def test_exact_keys_differing_in_one_bit_are_different_states():
    v = Visited()
    base = np.uint64(0xDEADBEEF12345678)
    keys = np.array([base ^ np.uint64(1 << i) for i in range(64)] + [base], np.uint64)
    v.add(keys[:64])
    assert v.find(keys).tolist() == list(range(64)) + [-1]
