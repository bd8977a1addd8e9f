"""NumPy's floating-point error state, set and restored at a sixth of ``np.errstate``'s cost.

Design note.  A helper that computes ``exp`` of a value that may be large
(``logistic``) has to keep NumPy from warning about an overflow the formula expects,
and the tape's backward pass runs its nodes with the warnings of division and
overflow off.  ``with np.errstate(over="ignore"):`` costs about 0.7 µs, as much as
``np.exp`` of 1000 numbers; on a logistic-regression gradient of 1000 samples that
is 5 % of the whole.  Since NumPy 2.0 the state is one context variable holding an
opaque object made by ``_make_extobj``, and ``errstate`` is a Python class around
``set`` and ``reset`` of that variable.  :func:`enter` makes the object and sets the
variable (0.17 µs); :func:`leave` resets it: the same thing ``errstate`` does, without
the class.  ``_make_extobj`` starts from the current state, so what a caller did not
name keeps the user's setting, exactly as with ``errstate``.

These are private NumPy names.  If a NumPy release moves or changes them (the probe
below fails), :func:`enter` falls back to entering an ``np.errstate`` and
:func:`leave` to exiting it, so only the speed depends on them.

Use (``quiet_overflow()`` is ``enter(over="ignore")``, cheaper)::

    token = enter(over="ignore")
    try:
        u = np.exp(t)
    finally:
        leave(token)

Tests: tests/runtime/test_fpstate.py (both paths).
"""

import numpy as np

try:
    from numpy._core._ufunc_config import _extobj_contextvar as _STATE
    from numpy._core.umath import _make_extobj as _make

    _STATE.reset(_STATE.set(_make(over="ignore")))  # (the probe)
except Exception:  # pragma: no cover - depends on the NumPy release
    _STATE = _make = None


def _enter_fast(**settings):
    return _set(_make(**settings))


def _quiet_overflow_fast():
    return _set(_make(over="ignore"))


def _enter_errstate(**settings):
    state = np.errstate(**settings)
    state.__enter__()
    return state


def _leave_errstate(state):
    state.__exit__(None, None, None)


def _quiet_overflow_errstate():
    return _enter_errstate(over="ignore")


def use(fast):
    """Bind :func:`enter` and :func:`leave` to the fast path (``fast`` true, when this
    NumPy has it) or to the ``np.errstate`` fallback; the tests run both."""
    global enter, quiet_overflow, leave, _set
    if fast and _STATE is not None:
        _set = _STATE.set
        enter, quiet_overflow = _enter_fast, _quiet_overflow_fast
        leave = _STATE.reset  # (a C method: no Python frame)
    else:
        enter, quiet_overflow = _enter_errstate, _quiet_overflow_errstate
        leave = _leave_errstate


enter = quiet_overflow = leave = _set = None
use(True)
enter.__doc__ = """``enter(**settings)``: set NumPy's error handling as
``np.errstate(**settings)`` would; gives a token for ``leave(token)``, which restores
the state it replaced.  ``quiet_overflow()`` is ``enter(over="ignore")`` without the
keyword (a third of the cost on the fast path)."""
