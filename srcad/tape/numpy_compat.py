"""NumPy spellings on tape tensors, so a NumPy-written function runs on the tape.

``srcad.grad(f, mode="tape")`` (and the automatic fallback) call ``f`` with
tensors. NumPy code calls array methods the NumPy way (``x.sum(axis=0)``,
``x.copy()``, ``x.astype(np.float32)``, ``x.transpose()``, ``n = x.size``).
PyTorch itself accepts ``axis``/``keepdims`` as aliases of ``dim``/``keepdim``;
this module adds the rest where it cannot change what PyTorch code means:

* reductions take ``axis``, ``keepdims`` and (var/std) ``ddof``, whose default is
  NumPy's 0 when the call is spelled the NumPy way; ``max``/``min``
  called with ``axis=`` return values only, as NumPy does (``dim=`` keeps
  PyTorch's ``(values, indices)``);
* ``copy()``, ``astype(dtype)``, ``ravel()``, and ``a.dot(b)`` on matrices;
* ``transpose()`` with no argument, or with a full permutation of 3+ axes;
* ``size`` is still a method (``x.size()``, ``x.size(0)``) whose value also
  works as a number (``x.size * 2``, ``n / x.size``).

Some spellings mean one thing to NumPy and another to PyTorch: ``x.var()`` and
``x.std()`` (NumPy divides by n, PyTorch by n - 1), ``x.max(0)`` (NumPy: the values;
PyTorch: values and indices), ``x.repeat(2)`` (NumPy repeats each element, PyTorch
tiles), ``x.sort()`` (NumPy sorts in place and returns None, PyTorch returns a
sorted copy) and ``x.nonzero()`` (NumPy: a tuple of index arrays; PyTorch: an
``(n, ndim)`` tensor). Called from the code of a NumPy program that the tape runs (a function
whose module globals numpy_mode patched: :data:`NUMPY_PROGRAM` marks them), they
take NumPy's meaning; called from anywhere else, PyTorch's. Before this, the tape
differentiated ``x.var()`` of a NumPy program with PyTorch's divisor: a silently
wrong gradient.
"""

import sys

import numpy as np

from . import dtypes as _dt

_MISSING = object()

# The key numpy_mode puts in the globals of a NumPy program it patched for the tape.
NUMPY_PROGRAM = "__srcad_numpy_program__"


def _numpy_caller(depth=2):
    """True when the code that called the method (``depth`` frames up from here) is
    a NumPy program run on the tape."""
    try:
        return NUMPY_PROGRAM in sys._getframe(depth).f_globals
    except ValueError:  # (no such frame)
        return False


def _scalar_for_numpy(out, depth=3):
    """``out`` as a NumPy program gets it from a method: an inactive 0-d result is
    NumPy's scalar (``D.sum()`` is ``np.float64``, as ``np.sum(D)`` is; see
    ``interop.numpy_scalar``).  ``depth``: frames up to the method's caller."""
    if (
        getattr(out, "_rg", True) is False  # (a tensor not being differentiated)
        and type(out._data) is np.ndarray
        and out._data.ndim == 0
        and _numpy_caller(depth)
    ):
        return out._data[()]
    return out


def _numpy_kwargs(kwargs, ddof=False):
    if "axis" in kwargs:
        kwargs["dim"] = kwargs.pop("axis")
    if "keepdims" in kwargs:
        kwargs["keepdim"] = kwargs.pop("keepdims")
    if ddof and "ddof" in kwargs:
        kwargs["correction"] = kwargs.pop("ddof")
    for k in ("out", "where", "initial"):
        if kwargs.get(k, _MISSING) in (None, True) and k in kwargs:
            kwargs.pop(k)  # NumPy defaults: nothing to do
    return kwargs


def _reduction(fn, values_only=False, ddof=False, several=None):
    """``several``: the reduction over several axes at once (amax for max), which a
    NumPy-style call with a tuple of axes, or no axis and ``keepdims``, goes to."""

    def method(self, *args, **kwargs):
        numpy_style = "axis" in kwargs or "keepdims" in kwargs or "ddof" in kwargs
        numpy_style = numpy_style or ((ddof or values_only) and _numpy_caller())
        if ddof and numpy_style and "ddof" not in kwargs and "correction" not in kwargs:
            kwargs["ddof"] = 0  # NumPy's default, when called the NumPy way
        kwargs = _numpy_kwargs(kwargs, ddof)
        if several is not None and numpy_style:
            dim = args[0] if args else kwargs.get("dim")
            if isinstance(dim, (tuple, list)) or (dim is None and kwargs.get("keepdim")):
                return _scalar_for_numpy(several(self, *args, **kwargs))
        out = fn(self, *args, **kwargs)
        if values_only and numpy_style and isinstance(out, tuple):
            return out[0]
        return _scalar_for_numpy(out)

    method.__name__ = getattr(fn, "__name__", "reduction")
    method.__doc__ = fn.__doc__
    return method


def _cumulative(fn):
    def method(self, *args, **kwargs):
        kwargs = _numpy_kwargs(kwargs)
        if not args and kwargs.get("dim", None) is None:
            kwargs.pop("dim", None)
            return fn(self.reshape(-1), 0, **kwargs)  # NumPy: over the flattened array
        return fn(self, *args, **kwargs)

    method.__name__ = getattr(fn, "__name__", "cumulative")
    return method


def _transpose(torch_transpose, permute):
    def transpose(self, *dims):
        if not dims:
            return permute(self, tuple(range(self.ndim))[::-1])
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            return permute(self, tuple(dims[0]))
        if len(dims) == self.ndim and self.ndim != 2:
            return permute(self, dims)
        return torch_transpose(self, *dims)

    return transpose


class _SizeMethod(int):
    """``x.size``: callable like PyTorch's method, a number like NumPy's attribute."""

    def __new__(cls, tensor):
        obj = super().__new__(cls, tensor._data.size)
        obj._tensor = tensor
        return obj

    def __call__(self, dim=None):
        return type(self._tensor).size_of(self._tensor, dim)


def extend(methods):
    """Add the NumPy spellings to the tape's method table (in place)."""
    for name in ("sum", "mean", "prod", "amax", "amin", "all", "any", "argmax", "argmin"):
        methods[name] = _reduction(methods[name])
    for name in ("max", "min"):
        methods[name] = _reduction(methods[name], values_only=True, several=methods["a" + name])
    for name in ("var", "std"):
        methods[name] = _reduction(methods[name], ddof=True)
    for name in ("cumsum", "cumprod"):
        methods[name] = _cumulative(methods[name])
    methods["transpose"] = _transpose(methods["transpose"], methods["permute"])
    methods["copy"] = methods["clone"]
    torch_dot, matmul = methods["dot"], methods["matmul"]

    def dot(self, other):
        # NumPy's a.dot(b) is a matrix product for 2-d operands; PyTorch's needs 1-d
        if self.ndim == 1 and getattr(other, "ndim", 1) == 1:
            return _scalar_for_numpy(torch_dot(self, other))
        return matmul(self, other)

    methods["dot"] = dot
    methods["ravel"] = lambda self: methods["reshape"](self, -1)

    def astype(self, dtype, copy=True):
        return methods["to"](self, _dt.to_dtype(dtype))

    methods["astype"] = astype
    methods["repeat"] = _numpy_repeat(methods["repeat"])
    methods["sort"] = _numpy_sort(methods["sort"])
    methods["nonzero"] = _numpy_nonzero(methods["nonzero"])
    torch_view = methods["view"]

    def view(self, *args, **kwargs):
        if not args and not kwargs and _numpy_caller():
            return self[...]  # NumPy's x.view(): a new array on the same memory
        return torch_view(self, *args, **kwargs)

    methods["view"] = view

    def fill(self, value):  # NumPy's (PyTorch has only fill_)
        methods["fill_"](self, value)

    methods["fill"] = fill
    # methods both libraries have with the same meaning, which the tape lacked (a NumPy
    # program calling them raised AttributeError): recorded through NumPy's functions
    methods["diagonal"] = lambda self, offset=0, axis1=0, axis2=1: np.diagonal(
        self, offset, axis1, axis2
    )
    methods["take"] = lambda self, indices, axis=None: np.take(self, indices, axis=axis)
    methods["conj"] = methods["conjugate"] = lambda self: np.conj(self)
    methods["real"] = property(_real)
    methods["imag"] = property(_imag)
    return methods


# (the tape_bridge's words for a complex value inside a function of real arguments)
_COMPLEX_PART = (
    "srcad: x.{} of a complex x: srcad's tape differentiates real arithmetic only "
    "(see docs/boundary.md: pass real and imaginary parts as real arguments)"
)


def _real(self):
    """``x.real``: a real tensor itself (NumPy and PyTorch both give a view of it)."""
    if self.dtype.is_complex:
        raise TypeError(_COMPLEX_PART.format("real"))
    return self


def _imag(self):
    """``x.imag`` of a real tensor: in a NumPy program, NumPy's zeros (a constant);
    elsewhere PyTorch's RuntimeError."""
    if self.dtype.is_complex:
        raise TypeError(_COMPLEX_PART.format("imag"))
    if not _numpy_caller():
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return np.zeros_like(self.detach())


def _numpy_repeat(torch_repeat):
    def repeat(self, *args, **kwargs):
        if _numpy_caller():  # each element repeated (np.repeat), not the tensor tiled
            return np.repeat(self, *args, **kwargs)
        return torch_repeat(self, *args, **kwargs)

    repeat.__doc__ = torch_repeat.__doc__
    return repeat


def _numpy_nonzero(torch_nonzero):
    def nonzero(self, *args, **kwargs):
        if _numpy_caller() and not args and not kwargs:
            # NumPy's: a tuple of index arrays, one per axis (PyTorch: an (n, ndim)
            # tensor, whose first row ``x.nonzero()[0]`` is no index array at all)
            return self.detach()._data.nonzero()  # (NumPy's or CuPy's own)
        return torch_nonzero(self, *args, **kwargs)

    nonzero.__doc__ = torch_nonzero.__doc__
    return nonzero


def _numpy_sort(torch_sort):
    def sort(self, *args, **kwargs):
        if _numpy_caller():  # NumPy's: in place, returns None
            axis = kwargs.pop("axis", args[0] if args else -1)
            self[...] = np.sort(self, axis=axis, kind=kwargs.get("kind"))
            return None
        return torch_sort(self, *args, **kwargs)

    sort.__doc__ = torch_sort.__doc__
    return sort
