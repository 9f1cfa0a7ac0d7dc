"""Engines: siblings over the one transition-system interface (initial_states, successors).

Two families: ``explicit`` (BFS over concrete states; the reference, and liveness) and
``symbolic`` (Z3: BMC and k-induction); ``crosscheck`` compares them on one model."""
