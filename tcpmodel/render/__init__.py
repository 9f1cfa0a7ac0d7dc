"""Pictures, one job per module.

    transitions  rule data -> the endpoint's transitions (state, event / action, next state)
    fsm          endpoint state diagram as DOT (RFC 9293 Figure 5 layout, from [diagram])
    diff         two variants on one diagram (added / removed / changed transitions)
    coverage     which transitions a finished search fired
    pairs        reachable (A state, B state) pairs of a search as DOT
    seqchart     sequence chart of a trace as SVG, laid out here (no layout engine)
    mermaid      Mermaid text: stateDiagram of the rules, sequenceDiagram of a trace
    graphviz     runs dot / graphviz-pure on DOT text
    html         the self-contained HTML report
    regen        regenerates the repository's diagrams/
    xml          escaping shared by the SVG and HTML writers

Nothing here imports graphviz or networkx at import time: ``tcpmodel check`` stays fast.
"""
