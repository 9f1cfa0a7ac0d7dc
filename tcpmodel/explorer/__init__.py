"""``tcpmodel explore``: step through a check's state space in the browser.

``session``: the model side (states interned on demand, successors labelled as in traces,
properties at a state, shortest paths to a formula, the check's traces as paths, paths as
traces); ``server``: a local HTTP server (127.0.0.1 only) for the page in ``static/``.
"""
