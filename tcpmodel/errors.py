"""Input errors: one line naming the file, the location and the fix; and leaving quietly
after Ctrl-C."""

from __future__ import annotations


class InputError(Exception):
    """Bad user input (spec, check file, expression, parameter, command line).

    The CLI prints ``str(err)`` as a single line and exits with code 2.
    """

    def __init__(self, what: str, *, file: str | None = None, where: str | None = None,
                 fix: str | None = None):
        self.what = what
        self.file = file
        self.where = where
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        place = ""
        if self.file and self.where:
            place = f"{self.file}:{self.where}: "
        elif self.file:
            place = f"{self.file}: "
        elif self.where:
            place = f"{self.where}: "
        text = f"{place}{self.what}"
        if self.fix:
            text += f" (fix: {self.fix})"
        return " ".join(text.split())  # always one line

    def located(self, *, file: str | None = None, where: str | None = None) -> "InputError":
        """Return a copy with the file/location filled in where still missing."""
        w = self.where
        if where and w:
            w = f"{where}, {w}"
        elif where:
            w = where
        return InputError(self.what, file=self.file or file, where=w, fix=self.fix)


def did_you_mean(word: str, choices) -> str:
    """A short 'did you mean' suffix, or the list of valid choices."""
    import difflib

    choices = sorted({str(c) for c in choices})
    close = difflib.get_close_matches(str(word), choices, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    if len(choices) <= 16:
        return "valid: " + ", ".join(choices)
    return f"{len(choices)} valid names, e.g. " + ", ".join(choices[:8])


def interrupted() -> int:
    """Leave after Ctrl-C: one line on stderr, exit code 3 (the run's verdict is unknown)."""
    import signal
    import sys
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # a second Ctrl-C while leaving
    try:
        print("tcpmodel: interrupted", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
    return 3
