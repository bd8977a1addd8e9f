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

Registering is lazy, since most nodes never meet a write: recording a node that saves
something only appends a weak reference to it (:class:`_Registry`, a list); the first
write after that reads the saved values of the nodes still alive and files them under
their memory blocks (``index``).  Each node is read once, so a program with writes pays
what an eager registry would, and one without pays one append per node.
"""

import threading
import weakref

import numpy as np

from .device import memory_root


class _Registry(list):
    """The nodes recorded since the last write that saved a value (weak references: a
    node that dies before any write is never read), and ``index``: ``{id(memory block):
    [(weakref to node, parameter, item)]}`` for the nodes filed already."""

    __slots__ = ("index",)

    def __init__(self):
        list.__init__(self)
        self.index = {}


class _State(threading.local):
    reg = None  # the running NumPy program's registry (a class default: no lookup miss)


_STATE = _State()


def registry():
    """The registry of the NumPy program running in this thread, or None."""
    return _STATE.reg


class active:  # noqa: N801 - used as a function: ``with cow.active():``
    """Copy-on-write semantics for in-place updates while the block runs (reentrant).

    A class rather than a generator context manager: it is entered on every call of a
    tape transformation, where contextlib's machinery is a measurable cost."""

    __slots__ = ("outer",)

    def __enter__(self):
        self.outer = _STATE.reg
        if self.outer is None:
            _STATE.reg = _Registry()

    def __exit__(self, *exc):
        if self.outer is None:
            _STATE.reg = None
        return False


def _root(a):
    return id(memory_root(a))


_TENSOR = [None]  # the Tensor class, set by tensor.py (which imports this module)


def register(reg, node, args=None, read=None, res=None):
    """Note that ``node`` saved values (filed under their memory blocks at the next
    write, see :func:`_file_pending`); the other parameters are read off the node."""
    reg.append(weakref.ref(node))


def _file_pending(reg):
    """File the saved values of the nodes recorded since the last write (those alive and
    not freed) under the memory blocks they live in."""
    Tensor = _TENSOR[0]  # noqa: N806
    index = reg.index
    for ref in reg:
        node = ref()
        if node is None or getattr(node, "_freed", True):
            continue
        args = node._args
        an = node._an
        for i in an.read:
            a = args[i]
            if isinstance(a, Tensor):
                index.setdefault(_root(a._data), []).append((ref, i, -1))
            elif type(a) in (list, tuple):
                for j, v in enumerate(a):
                    if isinstance(v, Tensor):
                        index.setdefault(_root(v._data), []).append((ref, i, j))
        if an.res:
            res = node._res[0]
            if type(res) in (tuple, list):
                for r in res:
                    index.setdefault(_root(r), []).append((ref, -1, -1))
            else:
                index.setdefault(_root(res), []).append((ref, -1, -1))
    del reg[:]


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


# --------------------------------------------------------------------------------------
# Copies standing for NumPy views
#
# A NumPy function the tape does not know as a view (``np.diagonal(t)``, a piece of
# ``np.split(t)``) returns memory shared with a tensor; the tape gives a read-only copy
# instead (interop._unshare).  NumPy's view would follow later writes into the tensor;
# the copy cannot, so such a write is refused while the copy is alive (never a stale
# value or a lost gradient).

_STALE = {}  # id(root array) -> (weakref to the root, [(weakref to a copy, function name)])
# The same for plain arrays sharing a tensor's memory (``np.asarray`` of a tensor that
# does not require grad, inside a NumPy program): they follow plain writes, as NumPy's
# views do, but not a recorded one, whose derivative they would silently lack.
_ALIASES = {}


def _note(table, root, arr, what):
    try:
        rref = weakref.ref(root)
    except TypeError:
        return
    if len(table) > 256:  # forget the arrays that are gone
        for k in [k for k, e in table.items() if e[0]() is None]:
            del table[k]
    entry = table.get(id(root))
    if entry is None or entry[0]() is not root:
        entry = table[id(root)] = (rref, [])
    entry[1][:] = [c for c in entry[1] if c[0]() is not None]
    entry[1].append((weakref.ref(arr), what))


def note_stale_copy(root, copy, what):
    """``copy`` stands for a NumPy view (made by ``what``) of the memory of ``root``."""
    _note(_STALE, root, copy, what)


def plain_alias(data):
    """``data`` (a tensor's array) as a plain array for NumPy: shared memory, and noted
    while a NumPy program runs, so that a recorded write into it is refused."""
    if registry() is None or not isinstance(data, np.ndarray):
        return data
    alias = data.view()
    _note(_ALIASES, _root_array(data), alias, "asarray")
    return alias


_root_array = memory_root


def _live(table, data):
    root = _root_array(data)
    entry = table.get(id(root))
    if entry is None:
        return None
    live = [c for c in entry[1] if c[0]() is not None] if entry[0]() is root else []
    if not live:
        del table[id(root)]
        return None
    return live[0][1]


def _refuse_stale(data):
    what = _live(_STALE, data)
    if what is not None:
        raise RuntimeError(
            f"srcad: np.{what}(...) returned a view of this array's memory earlier, which the "
            "tape does not track (it holds a copy); writing into the array now would leave "
            f"that copy stale. Take a copy (np.{what}(...).copy()) and use it, or write into "
            "a copy of the array."
        )


def before_recorded_write(data):
    """Called before a write that is recorded (its value requires grad) into ``data``."""
    if _ALIASES and _live(_ALIASES, data) is not None:
        raise RuntimeError(
            "srcad: a plain NumPy array shares this array's memory (np.asarray or a library "
            "call turned it into one earlier); writing a value being differentiated into "
            "it now would give that plain array the new values without their derivative. "
            "Take a copy (np.array(...)) before the write, or write into a copy."
        )


def before_write(data):
    """Called before ``data`` (a tensor's array) is written in place."""
    if _STALE:
        _refuse_stale(data)
    reg = registry()
    if reg is None:
        return
    if reg:
        _file_pending(reg)
    entries = reg.index.pop(_root(data), None)
    if not entries:
        return
    for ref, i, j in entries:
        node = ref()
        if node is not None:
            _detach_saved(node, i, j)


def snapshot_operands(t, rest):
    """``rest`` with operands that alias ``t`` (``s *= s``) replaced by copies, taken
    before ``t`` is overwritten (only while a NumPy program runs)."""
    if registry() is None:
        return rest
    Tensor = _TENSOR[0]  # noqa: N806
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


def as_numbers(t, listed=False):
    """``t`` (a tensor being differentiated) as the Python numbers NumPy would give for
    ``item()`` (a 0-d tensor) or ``tolist()`` (nested lists of them): a private copy,
    recorded on the tape, that no later write into ``t`` reaches."""
    c = t.clone()
    return _listed(c) if listed else _number(c.reshape(()))


def _listed(c):
    return _number(c) if c.ndim == 0 else [_listed(c[i]) for i in range(c.shape[0])]


NUMBER_CLASS = []  # numpy_mode.NumberTensor, set when numpy_mode is imported


def number_value(v, d):
    """``v``'s value ``d`` as NumPy code holds it: the Python float for a tensor standing
    for one (``stands_for_number``: weak in NumPy's promotion, where a 0-d float64
    array would not be), else ``d`` itself."""
    if getattr(type(v), "stands_for_number", False):
        return float(d)
    return d


def _number(c):
    """A 0-d float tensor as the Python float NumPy's ``item()`` gives (its class says
    so to the program's ``type``)."""
    if NUMBER_CLASS and type(c) is NUMBER_CLASS[0].__base__ and c._data.dtype.kind == "f":
        c.__class__ = NUMBER_CLASS[0]
    return c
