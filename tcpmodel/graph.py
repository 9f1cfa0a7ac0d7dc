"""The reachable state graph as a networkx DiGraph (small runs only), and its export."""

from __future__ import annotations

from .errors import InputError


def to_networkx(model, exploration, limit: int = 5000):
    """DiGraph of the explored states: node ids as in the search, with the endpoint states,
    channel contents and whether the state is terminal; edges carry the step's description."""
    import networkx as nx

    n = len(exploration.states)
    if n > limit:
        raise InputError(f"the state graph has {n:,} states, more than the export limit {limit:,}",
                         where="--graph", fix="draw the readable projection instead: tcpmodel diagram --pairs "
                             f"{model.check.name} -o pairs.svg; or raise --graph-limit, or "
                             "shrink the model with --set")
    system = model.system
    ma, mb = system.machines
    g = nx.DiGraph(name=model.check.name)
    for sid, s in enumerate(exploration.states):
        g.add_node(sid, a=ma.state_name(s[0]), b=mb.state_name(s[1]),
                   ab=" ".join(system.seg_text(x) for x in s[9]),
                   ba=" ".join(system.seg_text(x) for x in s[10]))
    for sid, s in enumerate(exploration.states):
        moves = system.successors(s)
        if not moves:
            g.nodes[sid]["terminal"] = True
        for act, t in moves:
            tid = exploration.index.get(t)
            if tid is None:  # beyond a search limit
                continue
            label = system.event_name(act)
            if act.kind != "loss" and act.kind != "dup":
                label = f"{'AB'[act.side]}: {label}"
            g.add_edge(sid, tid, label=label, kind=act.kind)
    return g


def write_graph(model, exploration, path: str, limit: int) -> None:
    """Write the graph as GraphML or DOT (by the suffix), creating missing directories as
    ``-o`` and ``--out`` do."""
    import networkx as nx
    from pathlib import Path

    if not (path.endswith(".graphml") or path.endswith(".dot") or path.endswith(".gv")):
        raise InputError(f"unknown graph format for '{path}'", where="--graph",
                         fix="use a .graphml or .dot file name")
    g = to_networkx(model, exploration, limit)
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if path.endswith(".graphml"):
            nx.write_graphml(g, path)
        else:
            from .dot import write_dot
            write_dot(g, path)
    except OSError as e:
        raise InputError(f"cannot write: {e.strerror}", file=path, where="--graph",
                         fix="choose a path in a directory you can write to") from None
