"""tcpmodel: a model checker for the TCP connection state machine."""

__version__ = "0.1.0"
