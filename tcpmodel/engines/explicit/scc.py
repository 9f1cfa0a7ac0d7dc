"""Strongly connected components without recursion (Tarjan's algorithm with an explicit stack)."""

from __future__ import annotations


def strongly_connected_components(nodes, successors) -> list[list[int]]:
    """SCCs of the subgraph induced by ``nodes``.

    ``successors(v)`` yields v's successors; those outside ``nodes`` are ignored.
    Returns a list of components (lists of nodes), in reverse topological order.
    Iterative, so it scales past Python's recursion limit.
    """
    inside = nodes if isinstance(nodes, (set, frozenset, dict)) else set(nodes)
    index: dict = {}
    low: dict = {}
    on_stack: set = set()
    stack: list = []
    out: list = []
    counter = 0
    for root in inside:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors(root)))]
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in inside:
                    continue
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(successors(w))))
                    advanced = True
                    break
                if w in on_stack and index[w] < low[v]:
                    low[v] = index[w]
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out
