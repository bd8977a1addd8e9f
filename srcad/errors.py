"""srcad's exception classes."""

import linecache


class SrcadError(Exception):
    """Base class of every error srcad raises on its own account."""


class UnsupportedError(SrcadError):
    """The compiler cannot transform a construct.

    Carries ``.filename``, ``.lineno``, the quoted source line and a hint that
    says what to write instead.  Example::

        srcad.UnsupportedError: example.py:12: `global` statements are not supported
            global counter
        Instead: pass the value in as an argument and return the new value.

    With ``mode="auto"`` (the default) ``srcad.grad`` catches this error and runs
    the function on the tape instead, with one ``FallbackWarning``.
    """

    def __init__(self, what, filename=None, lineno=None, hint=None, line=None):
        self.what = what
        self.filename = filename
        self.lineno = lineno
        self.hint = hint
        if line is None and filename and lineno:
            line = linecache.getline(filename, lineno).strip()
        self.line = line or ""
        where = f"{filename}:{lineno}: " if filename else ""
        msg = f"{where}{what}"
        if self.line:
            msg += f"\n    {self.line}"
        if hint:
            msg += f"\nInstead: {hint}"
        super().__init__(msg)


class FallbackWarning(UserWarning):
    """``srcad.grad(mode="auto")`` could not transform a function and used the tape."""
