"""Copy on write for NumPy programs run on the tape.

PyTorch code that changes a tensor in place after the backward saved it gets the
version-counter error (E6), and so it does on srcad's tape.  A NumPy program means the
update (``t -= 0.2 * np.tanh(m)`` after ``t`` was used): its gradient is well defined,
the backward just needs the value ``t`` had when it was used.  While a NumPy program
runs (:func:`active`), every node that saves a tensor's value registers it here, keyed
by the memory block the value lives in (the root ``.base`` of its array); a write into
a tensor first gives every node that saved a value in that block its own copy (a
snapshot tensor at the saved version), then lets the write happen.  Nothing is copied
unless something saved is overwritten, and nothing changes outside NumPy programs.
"""

import contextlib
import threading
import weakref

import numpy as np

_STATE = threading.local()


def registry():
    """The registry of the NumPy program running in this thread, or None."""
    return getattr(_STATE, "reg", None)


@contextlib.contextmanager
def active():
    """Copy-on-write semantics for in-place updates while the block runs (reentrant)."""
    outer = registry()
    if outer is None:
        _STATE.reg = {}
    try:
        yield
    finally:
        if outer is None:
            _STATE.reg = None


def _root(a):
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return id(a)


def register(reg, node, args, read, res):
    """Note which saved values of ``node`` live in which memory block."""
    from .tensor import Tensor  # noqa: PLC0415

    ref = weakref.ref(node)
    for i in read:
        a = args[i]
        if isinstance(a, Tensor):
            reg.setdefault(_root(a._data), []).append((ref, i, -1))
        elif type(a) in (list, tuple):
            for j, v in enumerate(a):
                if isinstance(v, Tensor):
                    reg.setdefault(_root(v._data), []).append((ref, i, j))
    if type(res) in (tuple, list):
        for r in res:
            reg.setdefault(_root(r), []).append((ref, -1, -1))
    elif res is not None:
        reg.setdefault(_root(res), []).append((ref, -1, -1))


def _saved_version(node, i):
    for k, v in node._vers:
        if k == i:
            return v
    return None


def _snapshot(t, version):
    from .tensor import wrap  # noqa: PLC0415

    s = wrap(t._data.copy(), t._rg, t._fn, t._nr)
    s._vc = [t._vc[0] if version is None else version]
    return s


def _detach_saved(node, i, j):
    if getattr(node, "_freed", True):
        return
    if i == -1:
        out, vc = node._res
        ver = _saved_version(node, -1)
        out = type(out)(r.copy() for r in out) if type(out) in (tuple, list) else out.copy()
        node._res = (out, [vc[0] if ver is None else ver])
        return
    args = list(node._args)
    a = args[i]
    ver = _saved_version(node, i)
    if j == -1:
        args[i] = _snapshot(a, ver)
    else:
        items = list(a)
        items[j] = _snapshot(items[j], None if ver is None else ver[j])
        args[i] = type(a)(items)
    node._args = tuple(args)


def before_write(data):
    """Called before ``data`` (a tensor's array) is written in place."""
    reg = registry()
    if not reg:
        return
    entries = reg.pop(_root(data), None)
    if not entries:
        return
    for ref, i, j in entries:
        node = ref()
        if node is not None:
            _detach_saved(node, i, j)


def snapshot_operands(t, rest):
    """``rest`` with operands that alias ``t`` (``s *= s``) replaced by copies, taken
    before ``t`` is overwritten (only while a NumPy program runs)."""
    from .tensor import Tensor  # noqa: PLC0415

    if registry() is None:
        return rest
    root = _root(t._data)
    return tuple(
        _snapshot(a, None) if isinstance(a, Tensor) and _root(a._data) == root else a for a in rest
    )


def refusal(what):
    """The message for turning a value being differentiated into ``what`` while a NumPy
    program runs (None outside one: PyTorch's own message applies)."""
    if registry() is None:
        return None
    return (
        "Can't call numpy() on Tensor that requires grad. "  # PyTorch's leading message
        f"srcad: a value being differentiated cannot become {what} (a write into a NumPy "
        "array made outside the function, np.float64(), or a library call that needs plain "
        "arrays): its derivative would be lost. Create the arrays you write into inside "
        "the function (np.zeros, np.empty, ...) or pass them as arguments."
    )
