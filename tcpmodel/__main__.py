try:
    from .launch import entry
except KeyboardInterrupt:   # Ctrl-C before the entry point is loaded
    import sys
    print("tcpmodel: interrupted", file=sys.stderr)
    raise SystemExit(3) from None

entry()
