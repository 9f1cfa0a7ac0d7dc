try:
    from .launch import entry
except KeyboardInterrupt:   # Ctrl-C before the entry point is loaded
    raise SystemExit(3) from None

entry()
