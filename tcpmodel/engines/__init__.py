"""Engines: siblings over the one transition-system interface (initial_states, successors)."""
