"""NumPy semantics for NumPy-written programs run on the tape.

``srcad.grad(f, mode="tape")`` (and the automatic fallback) run ``f`` on tensors.  A
NumPy program creates arrays and writes into them (``h = np.zeros((n, 3));
h[i] = x[i]``), builds arrays from values (``np.array([a, b])``), calls ``math.exp``,
and updates arrays in place after using them.  The user's code stays as it is: srcad
owns the function object, so it runs a copy of it (same code, defaults and closure)
whose globals see proxies instead of the ``numpy`` and ``math`` modules:

* array creation (``zeros``, ``ones``, ``empty``, ``full``, ``eye``, ``identity``,
  ``arange``, ``linspace``, the ``*_like`` family, ``array``, ``asarray``, ``copy``,
  ``concatenate``/``stack`` of plain arrays...) of floating dtype gives a tensor
  that does not require grad, so a later write of a tensor into it is recorded;
  integer and boolean arrays stay NumPy arrays (indices, masks);
* ``np.array``/``np.asarray`` of tensors, or of lists holding tensors, stack them on
  the tape; ``np.asarray(t)`` of a tensor is ``t`` (as for an array);
* ``math.exp(t)`` and the other elementwise ``math`` functions of a tensor are the
  NumPy ufuncs, recorded; ``float(t)`` of a value being differentiated is the value
  as a 0-d tensor (the identity, as the source compiler has it), ``int(t)`` a number;
* in-place updates follow NumPy's meaning: copy on write (:mod:`.cow`).

Helper functions the program calls are run the same way when they are plain Python
functions of a module that uses ``numpy`` or ``math`` (not NumPy, SciPy or srcad
themselves): the patched globals hold patched copies of them, made per call, and so
are helpers held in closure cells.  A function that assigns module globals
(``global n; n += 1``) is run as it is, since its writes must reach the real module.
Code written for PyTorch (``import srcad as torch``) is unaffected: its ``torch``
name is not replaced, and outside these runs the tape keeps PyTorch's rules.
"""

import builtins
import dis
import functools
import math
import numbers
import operator
import sys
import threading
import types
import weakref

import numpy as np

from . import cow
from . import interop as _interop
from .device import is_cupy
from .dtypes import to_dtype
from .grad_mode import STATE as _GRAD
from .numpy_compat import NUMPY_PROGRAM
from .tensor import Tensor, wrap
from .tensor import record_op1 as _record_op1

__all__ = ["numpy_program", "running"]

_NDARRAY = np.ndarray


# --------------------------------------------------------------------------------------
# Arrays that can hold tensors


# A device (CuPy) array among the arguments of the NumPy program running on the tape, or
# None (tape_bridge sets it for the call): the floating arrays the program makes are
# made there too, so that writing the arguments' values into them stays on one device
# (plain NumPy code on CuPy arrays mixes host and device arrays freely in places where
# the tape's tensors cannot).
_DEVICE = threading.local()  # .like, per thread (as cow's registry)


class arrays_on_device_of:  # noqa: N801 - used as a function, as cow.active
    """Floating arrays made by the program live where ``like`` (a device array, or
    None for the host) lives, while the block runs.  (A class rather than a generator
    context manager: entered on every call of a tape transformation.)"""

    __slots__ = ("like", "before")

    def __init__(self, like):
        self.like = like

    def __enter__(self):
        self.before = getattr(_DEVICE, "like", None)
        _DEVICE.like = self.like

    def __exit__(self, *exc):
        _DEVICE.like = self.before
        return False


def _placed(a):
    like = getattr(_DEVICE, "like", None)
    return a if like is None else np.asarray(a, like=like)  # NEP 35: cupy.asarray


def _holder(a):
    """A floating NumPy array made inside the program, as a tensor that can hold tensors."""
    if type(a) is np.ndarray:
        return wrap(_placed(a)) if a.dtype.kind in "fc" else a
    if is_cupy(a) and a.dtype.kind in "fc":  # (made on a device already)
        return wrap(a)
    return a


def _has_tensor(obj):
    if isinstance(obj, Tensor):
        return True
    if type(obj) in (list, tuple):
        return any(_has_tensor(v) for v in obj)
    return False


def _as_tensor(obj, dtype):
    """Nested lists of tensors, numbers and arrays stacked into one tensor."""
    if isinstance(obj, Tensor):
        return obj if dtype is None else obj.astype(dtype)
    if type(obj) in (list, tuple) and _has_tensor(obj):
        parts = [_as_tensor(v, dtype) for v in obj]
        return np.stack(parts)
    a = np.asarray(obj, dtype=dtype)
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    return wrap(_placed(a))


def array(obj, dtype=None, *, copy=True, **kwargs):
    if _has_tensor(obj):
        t = _as_tensor(obj, dtype)
        return t.clone() if copy and t is obj else t
    return _holder(np.array(obj, dtype=dtype, copy=copy, **kwargs))


def asarray(obj, dtype=None, **kwargs):
    if isinstance(obj, Tensor) and getattr(type(obj), "stands_for_number", False):
        # a Python number argument: NumPy makes a new array of it, which the program
        # may write into without changing the number (srcad.tape_bridge._number_leaf)
        t = obj.clone()
        return t if dtype is None else t.astype(dtype)
    if isinstance(obj, Tensor) and dtype is None:
        return obj
    if _has_tensor(obj):
        return _as_tensor(obj, dtype)
    if isinstance(obj, np.ndarray):  # no copy: the program's own array, unchanged
        return np.asarray(obj, dtype=dtype, **kwargs)
    return _holder(np.asarray(obj, dtype=dtype, **kwargs))


def _creator(fn):
    def create(*args, **kwargs):
        return _holder(fn(*args, **kwargs))

    create.__name__ = fn.__name__
    create.__doc__ = fn.__doc__
    return create


def _like(fn):
    def create(a, *args, **kwargs):
        out = fn(a, *args, **kwargs)  # a tensor argument dispatches to the tape
        return out if isinstance(out, Tensor) else _holder(out)

    create.__name__ = fn.__name__
    return create


class vectorize:  # noqa: N801  (NumPy's name)
    """``np.vectorize``: on tensors, ``pyfunc`` runs element by element on the tape and
    the results are stacked (NumPy's own class on anything else)."""

    def __init__(self, pyfunc=None, *args, **kwargs):
        self._np = np.vectorize(pyfunc, *args, **kwargs)
        self._plain = not args and set(kwargs) <= {"otypes", "doc", "cache"}
        self.pyfunc = pyfunc

    def __call__(self, *args, **kwargs):
        if not (self._plain and not kwargs and _has_tensor(list(args))):
            return self._np(*args, **kwargs)
        shape = np.broadcast_shapes(*[np.shape(a) for a in args])
        flat = [_flat_broadcast(a, shape) for a in args]
        n = int(np.prod(shape, dtype=np.int64))
        outs = [_as_tensor(self.pyfunc(*[f[k] for f in flat]), None) for k in range(n)]
        if not outs:
            return wrap(np.zeros(shape))
        return np.stack(outs).reshape(shape)


def _flat_broadcast(a, shape):
    if isinstance(a, Tensor):
        if tuple(a.shape) != tuple(shape):
            a = a.expand(*shape) if shape else a
        return a.reshape(-1)
    return np.broadcast_to(np.asarray(a), shape).reshape(-1)


class NumberTensor(Tensor):
    """A tape tensor standing for a Python float: a float argument's leaf, and what a
    NumPy program computes from such floats and Python numbers alone (``a * 2.0``,
    ``math.sin(a)``, ``float(v)``), where NumPy itself would hold a Python float rather
    than a NumPy scalar.  Augmented assignment rebinds (``s += b`` is ``s = s + b``), as
    for the number itself, and ``type`` in the program says ``float`` (:func:`type_`).
    An operation with anything else (an array, a NumPy scalar, a plain 0-d tensor)
    gives a plain tensor, as NumPy gives an array or a NumPy scalar there."""

    __slots__ = ()
    stands_for_number = True  # np.asarray of it is a new array

    def __setitem__(self, key, value):
        raise TypeError("'float' object does not support item assignment")

    def __iadd__(self, other):
        return self + other

    def __isub__(self, other):
        return self - other

    def __imul__(self, other):
        return self * other

    def __itruediv__(self, other):
        return self / other

    def __ipow__(self, other):
        return self**other

    def __round__(self, ndigits=None):  # a Python float's round: no derivative
        v = float(self._data)
        return builtins.round(v) if ndigits is None else builtins.round(v, ndigits)


NumberTensor.__name__ = "Tensor"
cow.NUMBER_CLASS.append(NumberTensor)  # (item() and tolist() in NumPy programs)
_PY_NUMBERS = (builtins.float, int, bool)


def as_number(t):
    """``t`` (a fresh 0-d tensor) as the Python float it stands for."""
    if type(t) is Tensor and t.ndim == 0:
        t.__class__ = NumberTensor
    return t


def _keeps_number(name):
    base = getattr(Tensor, name)
    # Python asks a subclass's reflected method first (``x - a`` with a plain tensor
    # ``x`` calls ``a.__rsub__(x)``); Tensor's reflected methods take a non-tensor
    # left operand, so a tensor there gets its own forward method
    forward = getattr(Tensor, "__" + name[3:]) if name.startswith("__r") else None

    def op(self, other, *rest):
        t = type(other)
        if forward is not None and t is not NumberTensor and isinstance(other, Tensor):
            return forward(other, self, *rest)
        out = base(self, other, *rest)
        if (t in _PY_NUMBERS or t is NumberTensor) and type(out) is Tensor:
            out.__class__ = NumberTensor  # float op float: a float (0-d, as both are)
        return out

    op.__name__ = name
    return op


def _unary_number(name):
    base = getattr(Tensor, name)

    def op(self):
        out = base(self)
        if type(out) is Tensor:
            out.__class__ = NumberTensor
        return out

    op.__name__ = name
    return op


for _name in (
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ "
    "__pow__ __rpow__ __floordiv__ __rfloordiv__ __mod__ __rmod__"
).split():
    setattr(NumberTensor, _name, _keeps_number(_name))
for _name in ("__neg__", "__pos__", "__abs__"):
    setattr(NumberTensor, _name, _unary_number(_name))


def _numpy_type(t):
    """The type NumPy would have where a NumPy program on the tape has tensor ``t``: the
    float an argument's tensor stands for, the NumPy scalar of a 0-d result (a
    reduction, ``x[i]`` of a vector), else ``np.ndarray``."""
    if getattr(type(t), "stands_for_number", False):
        return builtins.float
    d = t._data
    return d.dtype.type if d.ndim == 0 else np.ndarray


class _AsNumPySees(type):
    """A type test in a NumPy program on the tape (``isinstance(s, float)``, ``np.ndarray``,
    ``np.floating``, ``numbers.Real``...): a tensor is an instance where the value NumPy
    would have there is (:func:`_numpy_type`); before, every such test said no and the
    other branch ran. ``_stands_for`` is the type tested."""

    def __instancecheck__(cls, obj):
        if isinstance(obj, Tensor):
            return issubclass(_numpy_type(obj), cls._stands_for)
        return isinstance(obj, cls._stands_for)

    def __subclasscheck__(cls, sub):
        return issubclass(np.ndarray if issubclass(sub, Tensor) else sub, cls._stands_for)


def _scalar_kind(np_type):
    # a subclass, so that np.issubdtype(x.dtype, np.floating) takes it for NumPy's own
    return _AsNumPySees(np_type.__name__, (np_type,), {"_stands_for": np_type})


def isscalar(element):
    """``np.isscalar``: a 0-d tensor stands for a NumPy scalar (or a Python float)."""
    if isinstance(element, Tensor):
        return _numpy_type(element) is not np.ndarray
    return np.isscalar(element)


class ndarray(np.ndarray, metaclass=_AsNumPySees):  # noqa: N801
    """``np.ndarray`` as a NumPy program run on the tape sees it: ``isinstance(x,
    np.ndarray)`` holds for the tensors standing for arrays; constructing one is
    NumPy's."""

    _stands_for = np.ndarray

    def __new__(cls, *args, **kwargs):
        return np.ndarray(*args, **kwargs)


# Both classes derive from ``np.float64`` so that, used as a dtype (``np.zeros(3,
# dtype=float)``, ``x.astype(float)``), NumPy reads them as float64: a subclass of
# Python's ``float`` would be an *object* dtype.


def _float_new(cls, x=0.0):
    """``float(x)``/``np.float64(x)`` in a NumPy program on the tape: of a value being
    differentiated, that value as a 0-d tensor; anything else as the type it stands for."""
    if isinstance(x, Tensor) and x.requires_grad:
        if x._data.size != 1:
            raise TypeError("only length-1 arrays can be converted to Python scalars")
        v = cow.as_numbers(x)  # (a Python float's tensor)
        if cls._stands_for is not builtins.float and type(v) is NumberTensor:
            v.__class__ = Tensor  # np.float64(v): a NumPy scalar
        if cls._stands_for is np.float32:
            v = v.astype(np.float32)
        return v
    return cls._stands_for(x)


class float_(np.float64, metaclass=_AsNumPySees):  # noqa: N801
    """``float`` as a NumPy program run on the tape sees it: ``float(t)`` of a value
    being differentiated is that value as a 0-d tensor (a copy, recorded: the source
    compiler treats it as the identity); anything else, ``isinstance(v, float)`` and
    ``dtype=float``, as usual."""

    _stands_for = builtins.float
    __new__ = _float_new


class float64(np.float64, metaclass=_AsNumPySees):  # noqa: N801
    """``np.float64`` as a NumPy program run on the tape sees it: of a value being
    differentiated, that value as a 0-d tensor (as ``float``); a dtype as usual."""

    _stands_for = np.float64
    __new__ = _float_new


class float32(np.float32, metaclass=_AsNumPySees):  # noqa: N801
    """``np.float32`` as a NumPy program run on the tape sees it: of a value being
    differentiated, that value as a 0-d float32 tensor (the cast recorded); a dtype as
    usual."""

    _stands_for = np.float32
    __new__ = _float_new


def _int_type(np_type):
    """``np.int64`` and the like: of a tensor, its values as integers (an index array;
    piecewise constant, so no derivative to keep); a dtype as usual."""

    class integer(np_type, metaclass=_AsNumPySees):  # noqa: N801
        _stands_for = np_type

        def __new__(cls, x=0):
            if isinstance(x, Tensor):
                return np_type(x.detach()._data)
            return np_type(x)

    integer.__name__ = integer.__qualname__ = np_type.__name__
    return integer


class _TypeMeta(builtins.type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, builtins.type)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, builtins.type)


class type_(builtins.type, metaclass=_TypeMeta):  # noqa: N801
    """``type`` as a NumPy program run on the tape sees it: ``type(v)`` is the class the
    program names for what NumPy would hold there (:func:`_numpy_type` of a tensor:
    ``float`` for a Python float's tensor, ``np.float64`` for a reduction's 0-d result,
    ``np.ndarray`` for an array), so ``type(s) is float``, ``type(x) is np.ndarray`` and
    ``type(a)(v)`` answer as in NumPy; before, ``type`` said ``Tensor`` and the program
    took the other branch.  ``type(name, bases, namespace)`` and ``isinstance(c, type)``
    are Python's."""

    def __new__(cls, obj, *rest, **kwargs):
        if rest or kwargs:
            return builtins.type(obj, *rest, **kwargs)
        t = _numpy_type(obj) if isinstance(obj, Tensor) else builtins.type(obj)
        return _SEEN_AS.get(t, t)


type_.__name__ = type_.__qualname__ = "type"
float_.__name__ = float_.__qualname__ = "float"


class _Concatenator:
    """``np.r_`` / ``np.c_`` with tensors among the items: the same concatenation,
    recorded (NumPy's own object for anything else, and for string directives)."""

    def __init__(self, plain, columns):
        self._plain = plain
        self._columns = columns

    def __getitem__(self, key):
        items = key if type(key) is tuple else (key,)
        if not any(isinstance(v, Tensor) for v in items) or any(isinstance(v, str) for v in items):
            return self._plain[key]
        parts = []
        for v in items:
            if isinstance(v, slice):
                v = self._plain[v]  # a range, as NumPy makes it
            if not isinstance(v, Tensor):
                v = np.asarray(v)
            if v.ndim == 0:
                v = v.reshape((1, 1) if self._columns else (1,))
            elif self._columns and v.ndim == 1:
                v = v.reshape((-1, 1))
            parts.append(v)
        return np.concatenate(parts, axis=-1 if self._columns else 0)

    def __len__(self):
        return 0


_BUILTINS = {"float": float_, "type": type_}

_OVERRIDES = {
    "vectorize": vectorize,
    "float64": float64,
    "float32": float32,
    "ndarray": ndarray,
    "isscalar": isscalar,
    "generic": _scalar_kind(np.generic),
    "number": _scalar_kind(np.number),
    "inexact": _scalar_kind(np.inexact),
    "floating": _scalar_kind(np.floating),
    "int64": _int_type(np.int64),
    "int32": _int_type(np.int32),
    "r_": _Concatenator(np.r_, columns=False),
    "c_": _Concatenator(np.c_, columns=True),
    "array": array,
    "asarray": asarray,
    "asanyarray": asarray,
    "ascontiguousarray": asarray,
}
_INTP = np.intp if np.intp in (np.int64, np.int32) else None
_OVERRIDES["intp"] = (
    _OVERRIDES[_INTP.__name__] if _INTP is not None else _int_type(np.intp)
)  # (the same class as np.int64 where NumPy's are one)
# what ``type(v)`` gives in the program for each type NumPy has (type_)
_SEEN_AS = {
    builtins.float: float_,
    np.float64: float64,
    np.float32: float32,
    np.ndarray: ndarray,
    np.int64: _OVERRIDES["int64"],
    np.int32: _OVERRIDES["int32"],
    np.intp: _OVERRIDES["intp"],
}
for _name in ("zeros", "ones", "empty", "eye", "identity"):
    _OVERRIDES[_name] = _creator(getattr(np, _name))


def full(shape, fill_value, dtype=None, **kwargs):
    """``np.full`` (and ``np.full_like``, below): a fill value being differentiated is
    spread over the shape, recorded (its gradient sums the copies); NumPy converted the
    tensor and the tape refused."""
    if isinstance(fill_value, Tensor):
        out = fill_value + np.zeros(shape, dtype=fill_value._data.dtype)
        return out if dtype is None else out.astype(dtype)
    return _holder(np.full(shape, fill_value, dtype=dtype, **kwargs))


def full_like(a, fill_value, dtype=None, **kwargs):
    if isinstance(fill_value, Tensor):
        shape = kwargs.get("shape") or np.shape(a)
        kind = dtype if dtype is not None else getattr(a, "dtype", None)
        return full(shape, fill_value, dtype=None if kind is None else to_dtype(kind).np)
    return _plain_full_like(a, fill_value, dtype=dtype, **kwargs)


_OVERRIDES["full"] = full
for _name in ("arange", "linspace"):
    _OVERRIDES[_name] = _creator(getattr(np, _name))
# results that are new arrays (a tensor argument dispatches to the tape as before)
for _name in (
    "zeros_like",
    "ones_like",
    "empty_like",
    "copy",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "tile",
    "diag",
):
    _OVERRIDES[_name] = _like(getattr(np, _name))
_plain_full_like = _like(np.full_like)
_OVERRIDES["full_like"] = full_like


# --------------------------------------------------------------------------------------
# Lists of tensors given to NumPy functions
#
# ``np.sum([a, b])`` converts its list with ``np.asarray`` before any dispatch, since
# NumPy looks for ``__array_function__``/``__array_ufunc__`` only on the arguments
# themselves; a tensor being differentiated inside the list then refuses to become a
# plain array.  For NumPy the list *is* that array, so the call is retried with every
# list (or tuple) argument that holds tensors stacked on the tape first.  Only after the
# refusal: a function that takes its sequence element by element (``np.concatenate``,
# ``np.stack``) dispatches on the tensors inside and never refuses.

_DISPATCHER = type(np.sum)


def _holds_tensor_rg(obj):
    if isinstance(obj, Tensor):
        return obj.requires_grad
    if type(obj) in (list, tuple):
        return any(_holds_tensor_rg(v) for v in obj)
    return False


def _lift(v):
    return _as_tensor(v, None) if type(v) in (list, tuple) and _has_tensor(v) else v


def _retry_lifted(fn, args, kwargs, exc):
    """``fn`` called again with its lists of tensors stacked, or ``exc`` raised."""
    if not str(exc).startswith("Can't call numpy() on Tensor that requires grad"):
        raise exc
    values = list(args) + list(kwargs.values())
    if not any(type(v) in (list, tuple) and _holds_tensor_rg(v) for v in values):
        raise exc
    return fn(*[_lift(a) for a in args], **{k: _lift(v) for k, v in kwargs.items()})


def _lifting(fn):
    """NumPy function ``fn`` that takes lists of tensors as the arrays they stand for."""

    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RuntimeError as exc:
            return _retry_lifted(fn, args, kwargs, exc)

    call.__name__ = getattr(fn, "__name__", "function")
    call.__qualname__ = getattr(fn, "__qualname__", call.__name__)
    call.__doc__ = getattr(fn, "__doc__", None)
    call.__wrapped__ = fn
    return call


_UFUNC_METHODS = ("reduce", "accumulate", "outer", "reduceat", "at")
_UFUNC_ATTRS = ("nin", "nout", "nargs", "ntypes", "types", "identity", "signature")


def _ufunc(uf):
    """NumPy ufunc ``uf`` as a NumPy program on the tape calls it: a plain function
    (cheaper to call than an object with ``__call__``, which every ``np.sin(t)`` paid)
    that takes lists of tensors as arrays, with the ufunc's methods (lifted the same
    way) and its plain attributes (``nin``, ``identity``, ...) on it.

    ``np.sin(t)`` of one tensor, the commonest call, is recorded here directly (what
    ``Tensor.__array_ufunc__`` would do after NumPy's dispatch, see
    ``interop.unary_plan``)."""
    plan1 = []  # interop.unary_plan(uf), found on the first call

    def call(*args, **kwargs):
        if len(args) == 1 and not kwargs:
            x = args[0]
            if type(x) is Tensor:
                if not plan1:
                    plan1.append(_interop.unary_plan(uf))
                plan = plan1[0]
                d = x._data
                if plan and type(d) is _NDARRAY:
                    # (a 0-d float value as a NumPy scalar: the same ufunc loop, less
                    # of NumPy's 0-d array overhead; the result is a 0-d array again)
                    out = uf(d if d.ndim or d.dtype.kind != "f" else d[()])
                    if type(out) is not _NDARRAY and isinstance(out, np.generic):
                        if _interop.numpy_scalar(x._rg and _GRAD.enabled):
                            return out  # (NumPy's scalar)
                        out = np.asarray(out)
                    if type(out) is _NDARRAY:
                        if x._rg and _GRAD.enabled:
                            return _record_op1(plan[0], plan[1], x, out)
                        return wrap(out)
        if not kwargs:
            for a in args:
                if isinstance(a, Tensor):
                    # what NumPy's dispatch would reach (Tensor.__array_ufunc__), called
                    # directly when it is the common call (None: go the long way)
                    out = _interop._ufunc_call(uf, args)
                    if out is not None:
                        return out
                    break
        try:
            return uf(*args, **kwargs)
        except RuntimeError as exc:
            return _retry_lifted(uf, args, kwargs, exc)

    call.__name__ = call.__qualname__ = uf.__name__
    call.__doc__ = uf.__doc__
    call.__wrapped__ = uf
    for name in _UFUNC_METHODS:
        setattr(call, name, _lifting(getattr(uf, name)))
    for name in _UFUNC_ATTRS:
        setattr(call, name, getattr(uf, name))
    return call


def _reducing(fn):
    """``np.sum``/``np.mean``: :func:`_lifting`, with the call on one tensor (a loss's
    last step) recorded directly (``interop.reduce_call``), without NumPy's dispatch."""
    lifted = _lifting(fn)

    def call(*args, **kwargs):
        if len(args) == 1 and not kwargs and type(args[0]) is Tensor:
            out = _interop.reduce_call(fn, args[0])
            if out is not None:
                return out
        return lifted(*args, **kwargs)

    functools.update_wrapper(call, lifted)
    return call


_REDUCTIONS = (np.sum, np.mean)


def _numpy_callable(v):
    """``v`` (a NumPy function or ufunc) as a NumPy program on the tape calls it."""
    if isinstance(v, np.ufunc):
        return _ufunc(v)
    if type(v) is _DISPATCHER:
        return _reducing(v) if any(v is r for r in _REDUCTIONS) else _lifting(v)
    return v


class _NumpyProxy(types.ModuleType):
    """``numpy`` as a NumPy program run on the tape sees it."""

    def __getattr__(self, name):
        v = _numpy_callable(getattr(np, name))
        if v is not getattr(np, name):
            self.__dict__[name] = v  # made once
        return v

    def __dir__(self):
        return dir(np)


NUMPY = _NumpyProxy("numpy")
NUMPY.__dict__.update(_OVERRIDES)
_OVERRIDDEN = {id(getattr(np, k)): v for k, v in _OVERRIDES.items() if hasattr(np, k)}


# --------------------------------------------------------------------------------------
# math on tensors

_MATH_UNARY = {
    "exp": np.exp,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "asinh": np.arcsinh,
    "acosh": np.arccosh,
    "atanh": np.arctanh,
    "fabs": np.abs,
    "cbrt": np.cbrt,
}
_MATH_BINARY = {"atan2": np.arctan2, "pow": np.power, "hypot": np.hypot}


def _as_float64(v):
    """``v`` as ``math`` takes it: a Python float.  A tensor of float16 or float32 (an
    ``np.float16`` the program made, say) is cast to float64 first, recorded, as
    Python converts the NumPy scalar before the function computes in float64
    (``math.sqrt`` of a float16 value is not a float16 square root)."""
    if isinstance(v, Tensor):
        d = v._data
        if d.dtype.kind == "f" and d.dtype.itemsize < 8:
            return v.double()
    return v


def _math_fn(name, ufunc):
    plain = getattr(math, name)
    # a ufunc: the tape's ufunc path, without NumPy's dispatch round trip
    direct = _ufunc(ufunc) if isinstance(ufunc, np.ufunc) else ufunc

    def fn(*args):
        if len(args) == 1:  # the common call, spelled out
            x = args[0]
            if not isinstance(x, Tensor):
                return plain(x)
            return as_number(direct(_as_float64(x)))  # (math gives a Python float)
        for a in args:
            if isinstance(a, Tensor):
                args = tuple(_as_float64(v) for v in args)
                if len(args) == 2 and name == "log":  # math.log(x, base)
                    return as_number(np.log(args[0]) / np.log(args[1]))
                return as_number(ufunc(*args))
        return plain(*args)

    fn.__name__ = name
    fn.__doc__ = plain.__doc__
    return fn


class _MathProxy(types.ModuleType):
    """``math`` as a NumPy program run on the tape sees it."""

    def __getattr__(self, name):
        return getattr(math, name)


def _value(a):
    """A tensor's number (for functions of piecewise-constant or boolean result)."""
    if isinstance(a, Tensor):
        if a._data.size != 1:
            raise TypeError("only length-1 arrays can be converted to Python scalars")
        return a._data.reshape(()).item()
    return a


def _math_const(name):
    """``math.floor`` and the like: their result does not change with a small change
    of the argument (derivative zero), so a tensor is read as its number."""
    plain = getattr(math, name)

    def fn(*args, **kwargs):
        return plain(*[_value(a) for a in args], **{k: _value(v) for k, v in kwargs.items()})

    fn.__name__ = name
    fn.__doc__ = plain.__doc__
    return fn


def _fsum(seq):
    items = list(seq)
    if any(isinstance(v, Tensor) for v in items):
        return builtins.sum(items, 0.0)  # recorded; fsum's extra precision is not kept
    return math.fsum(items)


MATH = _MathProxy("math")


# --------------------------------------------------------------------------------------
# The numbers module (imported at module level): a 0-d tensor is the NumPy scalar, and
# the tensor standing for a float argument the float, that NumPy code would have there


class _NumbersProxy(types.ModuleType):
    """``numbers`` as a NumPy program run on the tape sees it (module-level imports;
    a function's own ``import numbers`` gets the real module)."""

    def __getattr__(self, name):
        v = getattr(numbers, name)
        if isinstance(v, type):
            v = _AsNumPySees(name, (), {"_stands_for": v})
            self.__dict__[name] = v
        return v


NUMBERS = _NumbersProxy("numbers")
for _name, _uf in {**_MATH_UNARY, **_MATH_BINARY}.items():
    if hasattr(math, _name):
        setattr(MATH, _name, _math_fn(_name, _uf))
for _name in ("floor", "ceil", "trunc", "isclose", "isnan", "isinf", "isfinite"):
    setattr(MATH, _name, _math_const(_name))
MATH.fsum = _fsum


def _math_by_rule(name):
    """``math.erf`` and the like, which NumPy has no ufunc for: recorded with the rule
    the compiler uses for them (a differentiated value reached the real ``math``
    function, which the tape refused)."""
    plain = getattr(math, name)

    def fn(*args):
        if any(isinstance(a, Tensor) for a in args):
            args = tuple(_as_float64(v) for v in args)
            return as_number(_interop.apply_prim(plain, args, {}))
        return plain(*args)

    fn.__name__ = name
    fn.__doc__ = plain.__doc__
    return fn


for _name in ("erf", "erfc", "copysign", "fmod"):
    setattr(MATH, _name, _math_by_rule(_name))
MATH.degrees = _math_fn("degrees", lambda a: a * (180.0 / math.pi))
MATH.radians = _math_fn("radians", lambda a: a * (math.pi / 180.0))


# --------------------------------------------------------------------------------------
# Running a function with the proxies


def _program_import(name, globals=None, locals=None, fromlist=(), level=0):
    """``__import__`` for a NumPy program on the tape: ``import numpy as np``, ``import
    math``, ``import numbers`` and ``from numpy import ndarray`` inside a function get
    the proxies a module-level import gets (the real modules made ``isinstance(x,
    np.ndarray)`` and the other type tests false on the tape: the other branch ran)."""
    mod = builtins.__import__(name, globals, locals, fromlist, level)
    if level == 0:
        if mod is np:
            return NUMPY
        if mod is math:
            return MATH
        if mod is numbers:
            return NUMBERS
    return mod


def _program_hasattr(obj, name):
    """``hasattr`` for a NumPy program on the tape: a tensor has the attributes of what
    NumPy would hold there (:func:`_numpy_type`: ``hasattr(a, "shape")`` is false for a
    Python float, ``hasattr(s, "is_integer")`` true for a NumPy scalar)."""
    if isinstance(obj, Tensor):
        return builtins.hasattr(_numpy_type(obj), name)
    return builtins.hasattr(obj, name)


def _program_getattr(obj, name, *default):
    """``getattr`` for a NumPy program on the tape: a name the NumPy value would not
    have is missing (the default, or AttributeError); otherwise the tensor's own
    attribute, as ``obj.name`` reads it (one only the NumPy value has, such as a
    scalar's ``is_integer``, raises as ``obj.is_integer`` does: loud, never a value
    cut off from its derivative)."""
    if isinstance(obj, Tensor) and not builtins.hasattr(_numpy_type(obj), name):
        if default:
            return default[0]
        kind = _numpy_type(obj).__name__
        raise AttributeError(f"'{kind}' object has no attribute '{name}'")
    return builtins.getattr(obj, name, *default)


_PROGRAM_BUILTINS = [None, -1]  # (the dict, the size of builtins' own when made)


def _program_builtins():
    """Python's builtins with :func:`_program_import` (a copy, made again when
    ``builtins`` gains or loses a name)."""
    d, size = _PROGRAM_BUILTINS
    if d is None or size != len(builtins.__dict__):
        d = dict(builtins.__dict__)
        d["__import__"] = _program_import
        d["hasattr"], d["getattr"] = _program_hasattr, _program_getattr
        _PROGRAM_BUILTINS[:] = [d, len(builtins.__dict__)]
    return d


_SKIP_MODULES = ("numpy", "scipy", "srcad", "torch", "jax", "autograd")


@functools.lru_cache(maxsize=4096)
def _writes_globals(code):
    for ins in dis.get_instructions(code):
        if ins.opname in ("STORE_GLOBAL", "DELETE_GLOBAL"):
            return True
    return any(_writes_globals(c) for c in code.co_consts if isinstance(c, types.CodeType))


@functools.lru_cache(maxsize=4096)
def _imports_numpy(code):
    """Whether ``code`` imports numpy, math or numbers itself (a NumPy program whose
    module need not name them)."""
    for ins in dis.get_instructions(code):
        if ins.opname == "IMPORT_NAME" and str(ins.argval).partition(".")[0] in _PROXIED:
            return True
    return any(_imports_numpy(c) for c in code.co_consts if isinstance(c, types.CodeType))


_PROXIED = frozenset({"numpy", "math", "numbers"})


@functools.lru_cache(maxsize=4096)
def _global_names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _global_names(c)
    return frozenset(names)


def _numpy_name(v):
    if v is np or v is math or isinstance(v, np.ufunc) or type(v) is _DISPATCHER:
        return True
    return callable(v) and id(v) in _OVERRIDDEN and v is getattr(np, v.__name__, None)


def _uses_numpy(g):
    """Whether a module's globals name ``numpy``, ``math`` or NumPy functions."""
    return _scan(g)[0]


# What a module's globals hold for the patcher: whether they name numpy or math, and the
# names to replace (with their kind).  Read once per module while its globals stay the
# same objects under the same names (checked by identity at each call: cheap, and a
# rebinding anywhere scans again).
_SCANS = {}  # id(globals) -> (names, values, uses, [(name, kind)])
_NP, _MATH, _OVER, _CALLABLE, _MODULE, _NUMBERS = range(6)


def _scan(g):
    names, values = list(g), list(g.values())
    hit = _SCANS.get(id(g))
    if hit is not None and hit[0] == names and all(map(operator.is_, hit[1], values)):
        return hit[2], hit[3]
    uses = False
    todo = []
    for k, v in zip(names, values):
        uses = uses or _numpy_name(v)
        if v is np:
            todo.append((k, _NP))
        elif v is math:
            todo.append((k, _MATH))
        elif v is numbers:
            todo.append((k, _NUMBERS))
        elif callable(v) and id(v) in _OVERRIDDEN:
            todo.append((k, _OVER))
        elif isinstance(v, np.ufunc) or type(v) is _DISPATCHER:  # from numpy import sum
            todo.append((k, _CALLABLE))
        elif isinstance(v, types.ModuleType) and _user_module(v):
            todo.append((k, _MODULE))
    if len(_SCANS) >= 256:
        _SCANS.clear()
    _SCANS[id(g)] = (names, values, uses, todo)
    return uses, todo


def _user_module(m):
    name = (getattr(m, "__name__", "") or "").split(".")[0]
    if name in _SKIP_MODULES or name in sys.stdlib_module_names:
        return False
    g = getattr(m, "__dict__", None)
    return isinstance(g, dict) and "__file__" in g


def _user_function(fn):
    if type(fn) is not types.FunctionType:
        return False
    mod = (fn.__module__ or "").split(".")[0]
    return not (mod in _SKIP_MODULES or mod in sys.stdlib_module_names)


class _Patcher:
    """Patched copies of functions and their module globals, made for one call."""

    def __init__(self):
        self.globals = {}  # id(original globals) -> patched globals
        self.uses = {}  # id(original globals) -> its _scan: (uses numpy or math, names)
        self.funcs = {}  # id(original function) -> patched function

    def patchable(self, fn):
        if not _user_function(fn):
            return False
        g = fn.__globals__
        scan = self.uses.get(id(g))
        if scan is None:
            scan = self.uses[id(g)] = _scan(g)
        return (scan[0] or _imports_numpy(fn.__code__)) and not _writes_globals(fn.__code__)

    def function(self, fn):
        done = self.funcs.get(id(fn))
        if done is not None:
            return done
        if not self.patchable(fn):
            return fn
        self.funcs[id(fn)] = fn  # while its closure is patched (a self-reference stays)
        closure = self._closure(fn.__closure__)
        g = self._globals_for(fn.__globals__)
        new = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, closure)
        new.__kwdefaults__ = fn.__kwdefaults__
        new.__qualname__ = fn.__qualname__
        new.__dict__.update(fn.__dict__)
        self.funcs[id(fn)] = new
        self._fill(g, fn.__globals__, fn.__code__)
        return new

    def _closure(self, cells):
        if not cells:
            return cells
        out = []
        for c in cells:
            try:
                v = c.cell_contents
            except ValueError:  # an empty cell (a name bound later)
                out.append(c)
                continue
            out.append(types.CellType(self.function(v)) if self.patchable(v) else c)
        return tuple(out)

    def _globals_for(self, g):
        p = self.globals.get(id(g))
        if p is not None:
            return p
        scan = self.uses.get(id(g))
        _, todo = scan if scan is not None else _scan(g)
        p = self.globals[id(g)] = dict(g)
        p[NUMPY_PROGRAM] = True  # array methods called from here mean NumPy's (numpy_compat)
        for k, v in _BUILTINS.items():
            p.setdefault(k, v)  # a module's own name of that spelling wins
        p["__builtins__"] = _program_builtins()  # (an import inside a function: proxies)
        for k, kind in todo:
            v = g[k]
            if kind == _NP:
                p[k] = NUMPY
            elif kind == _MATH:
                p[k] = MATH
            elif kind == _NUMBERS:
                p[k] = NUMBERS
            elif kind == _OVER:
                p[k] = _OVERRIDDEN[id(v)]
            elif kind == _CALLABLE:
                p[k] = _numpy_callable(v)
            else:
                p[k] = _ModuleView(v, self)
        return p

    def _user_module(self, m):
        return _user_module(m)

    def _fill(self, p, g, code):
        """Patch the module functions ``code`` can reach by name (helpers it calls)."""
        for k in _global_names(code):
            v = g.get(k)
            if type(v) is types.FunctionType and p.get(k) is v and self.patchable(v):
                p[k] = self.function(v)


class _ModuleView:
    """A user module as the patched program sees it: its functions are read patched;
    attribute writes reach the module itself."""

    __slots__ = ("_mod", "_patcher")

    def __init__(self, mod, patcher):
        object.__setattr__(self, "_mod", mod)
        object.__setattr__(self, "_patcher", patcher)

    def __getattr__(self, name):
        v = getattr(self._mod, name)
        if type(v) is types.FunctionType:
            return self._patcher.function(v)
        if isinstance(v, types.ModuleType) and self._patcher._user_module(v):
            return _ModuleView(v, self._patcher)
        return v

    def __setattr__(self, name, value):
        setattr(self._mod, name, value)

    def __delattr__(self, name):
        delattr(self._mod, name)

    def __repr__(self):
        return repr(self._mod)


def numpy_program(f):
    """``f`` to run as a NumPy program on the tape (``f`` itself when nothing to patch)."""
    if isinstance(f, types.MethodType):
        g = numpy_program(f.__func__)
        return f if g is f.__func__ else types.MethodType(g, f.__self__)
    if not _user_function(f):
        return f
    try:
        hit = _PROGRAMS.get(f)
    except TypeError:  # (not weakly referable)
        hit = None
    if hit is not None and _still_valid(f, hit):
        return hit[0]
    patcher = _Patcher()
    new = patcher.function(f)
    entry = _program_entry(f, new, patcher)
    if entry is not None:
        if len(_PROGRAMS) >= 256:
            _PROGRAMS.clear()
        _PROGRAMS[f] = entry
    return new


# -- the patched copy of a simple function, kept between calls ---------------------------
#
# The patched copy is made per call, since it holds a copy of the module's globals.  For
# the common function (no helpers or closure cells to patch, no ``globals()``/``eval``)
# the copy only depends on the function's code, defaults and names, and on the module
# globals the code can read: those names are remembered with the objects they named, and
# the copy is used again while every one of them still names the same object (a name
# rebound or created anywhere, or a code/defaults change, makes a new copy).

_PROGRAMS = weakref.WeakKeyDictionary()  # function -> (copy, names, their objects, attrs)
_ABSENT = object()
_DYNAMIC = frozenset({"globals", "vars", "locals", "eval", "exec", "__import__"})


def _attrs(f):
    """What the copy took from ``f`` itself: code, defaults, names and what its closure
    cells hold (a cell rebound to a helper function would have been patched)."""
    cells = f.__closure__
    held = tuple(_cell_value(c) for c in cells) if cells else ()
    return (f.__code__, f.__defaults__, f.__kwdefaults__, f.__name__, f.__qualname__) + held


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return _ABSENT


def _program_entry(f, new, patcher):
    """What :func:`_still_valid` checks before using ``new`` again, or None when ``new``
    is not kept (anything beyond a plain function of module globals was patched)."""
    if new is f or len(patcher.funcs) != 1 or len(patcher.globals) != 1 or f.__dict__:
        return None
    cells = f.__closure__ or ()
    if any(a is not b for a, b in zip(cells, new.__closure__ or ())):
        return None  # a helper in a closure cell was patched
    names = tuple(_global_names(f.__code__))
    if not _DYNAMIC.isdisjoint(names):
        return None
    p = new.__globals__
    if any(isinstance(p.get(k), _ModuleView) for k in names):
        return None
    g = f.__globals__
    return (new, names, tuple(g.get(k, _ABSENT) for k in names), _attrs(f))


def _still_valid(f, entry):
    new, names, values, attrs = entry
    now = _attrs(f)
    if f.__dict__ or len(now) != len(attrs) or any(map(operator.is_not, now, attrs)):
        return False
    get = f.__globals__.get
    for k, v in zip(names, values):
        if get(k, _ABSENT) is not v:
            return False
    return True


def hold_arguments(arguments, wrt):
    """The floating NumPy arrays among the arguments not differentiated, as tensors
    sharing their memory: the program may write tensors into them (``M[:, 0] = u``).
    These arrays are srcad's private copies (``arguments.prepare`` copies every array
    argument), so no write, plain or recorded, reaches the caller's array."""
    for name, v in arguments.items():
        if name not in wrt:
            arguments[name] = _holder(v)


def running():
    """NumPy's in-place semantics (copy on write) while a NumPy program runs (a context
    manager)."""
    return cow.active()
