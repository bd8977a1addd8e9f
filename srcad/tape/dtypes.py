"""PyTorch-style dtype objects over NumPy dtypes, and PyTorch's type promotion.

``srcad.float32`` prints as ``torch.float32`` so that code written for PyTorch
prints the same thing when it runs with ``import srcad as torch``.
"""

import builtins

import numpy as np

__all__ = [
    "dtype",
    "float16",
    "half",
    "float32",
    "float",
    "float64",
    "double",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "uint8",
    "bool",
    "complex64",
    "cfloat",
    "complex128",
    "cdouble",
    "get_default_dtype",
    "set_default_dtype",
    "is_floating_point",
    "is_complex",
]

_BUILTIN_BOOL = builtins.bool
_BUILTIN_FLOAT = builtins.float
_BUILTIN_INT = builtins.int


class dtype:  # noqa: N801 - PyTorch's spelling
    """A tensor element type (``srcad.float32`` prints ``torch.float32``)."""

    __slots__ = (
        "name",
        "np",
        "is_floating_point",
        "is_complex",
        "is_signed",
        "itemsize",
        "_legacy",
    )

    def __init__(self, name, np_dtype, legacy):
        self.name = name
        self.np = np.dtype(np_dtype)
        kind = self.np.kind
        self.is_floating_point = kind == "f"
        self.is_complex = kind == "c"
        self.is_signed = kind in "ifc"
        self.itemsize = self.np.itemsize
        self._legacy = legacy

    def __repr__(self):
        return f"torch.{self.name}"

    def __eq__(self, other):
        """PyTorch's identity; inside a NumPy program run on the tape also NumPy's
        equality with what names a dtype (``x.dtype == np.float64``, ``== float``,
        ``== "float64"``), so the program takes the branch it takes on arrays."""
        if isinstance(other, dtype):
            return self is other
        from .cow import registry  # noqa: PLC0415

        if registry() is None:
            return NotImplemented
        try:
            return self.np == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = object.__hash__

    @property
    def kind(self):
        """NumPy's kind character (``"f"``, ``"i"``, ...), for NumPy programs."""
        return self.np.kind

    @property
    def dtype(self):
        """The NumPy dtype (so NumPy accepts a srcad dtype wherever it takes one)."""
        return self.np

    def __reduce__(self):
        return self.name

    def to_complex(self):
        return complex128 if self is float64 else complex64

    def to_real(self):
        return float64 if self is complex128 else float32


float16 = half = dtype("float16", np.float16, "HalfTensor")
float32 = float = dtype("float32", np.float32, "FloatTensor")  # noqa: A001
float64 = double = dtype("float64", np.float64, "DoubleTensor")
int8 = dtype("int8", np.int8, "CharTensor")
int16 = short = dtype("int16", np.int16, "ShortTensor")
int32 = int = dtype("int32", np.int32, "IntTensor")  # noqa: A001
int64 = long = dtype("int64", np.int64, "LongTensor")
uint8 = dtype("uint8", np.uint8, "ByteTensor")
bool = dtype("bool", np.bool_, "BoolTensor")  # noqa: A001
complex64 = cfloat = dtype("complex64", np.complex64, "ComplexFloatTensor")
complex128 = cdouble = dtype("complex128", np.complex128, "ComplexDoubleTensor")

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool, complex64, complex128)
# NumPy dtype -> srcad dtype
NP2DT = {d.np: d for d in _ALL}
for _d in _ALL:
    NP2DT[_d.np.type] = _d

_DEFAULT = [float32]


def get_default_dtype():
    """The dtype Python floats become (``float32`` unless changed)."""
    return _DEFAULT[0]


def set_default_dtype(d):
    if d not in (float32, float64, float16):
        raise TypeError("only floating-point types are supported as the default type")
    _DEFAULT[0] = d


def _dtype_of(t, name):
    d = getattr(t, "dtype", None)
    if not isinstance(d, dtype):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(t).__name__}"
        )
    return d


def is_floating_point(t):
    return _dtype_of(t, "is_floating_point").is_floating_point


def is_complex(t):
    return _dtype_of(t, "is_complex").is_complex


def to_dtype(d):
    """A srcad dtype from a srcad dtype, NumPy dtype, Python type or string."""
    if isinstance(d, dtype):
        return d
    if d is _BUILTIN_FLOAT:
        return float64
    if d is _BUILTIN_INT:
        return int64
    if d is _BUILTIN_BOOL:
        return bool
    if isinstance(d, str):
        name = d.split(".")[-1]
        found = globals().get(name)
        if isinstance(found, dtype):
            return found
    try:
        return NP2DT[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"dtype must be a srcad dtype, not {d!r}") from None


def of_array(a):
    """The srcad dtype of a NumPy/CuPy array."""
    return NP2DT[a.dtype]


# -- type promotion (PyTorch's ResultTypeState) ---------------------------------------

_CAT_BOOL, _CAT_INT, _CAT_FLOAT, _CAT_COMPLEX = 0, 1, 2, 3


def category(np_dtype):
    k = np_dtype.kind
    if k == "b":
        return _CAT_BOOL
    if k in "iu":
        return _CAT_INT
    if k == "f":
        return _CAT_FLOAT
    return _CAT_COMPLEX


def _promote(a, b):
    """PyTorch's promoteTypes: within a category NumPy's rule, across categories the
    higher category's type (an int64 with a float32 gives float32)."""
    if a is None:
        return b
    if b is None:
        return a
    ca, cb = category(a), category(b)
    if (
        ca == cb
        or (ca == _CAT_COMPLEX and cb == _CAT_FLOAT)
        or (cb == _CAT_COMPLEX and ca == _CAT_FLOAT)
    ):
        return np.promote_types(a, b)
    return a if ca > cb else b


def _combine(higher, lower):
    """PyTorch's combine_categories: a higher-priority group wins within its category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = category(higher), category(lower)
    if ch == _CAT_COMPLEX:
        return higher
    if cl == _CAT_COMPLEX:
        return np.promote_types(higher, lower) if ch == _CAT_FLOAT else lower
    if ch == _CAT_FLOAT:
        return higher
    if ch == _CAT_BOOL or cl == _CAT_FLOAT:
        return _promote(higher, lower)
    return higher


def result_type(operands):
    """The NumPy dtype PyTorch gives an op over ``operands``.

    ``operands`` holds ``("dim", np_dtype)`` for tensors with dimensions,
    ``("zero", np_dtype)`` for 0-d tensors and ``("scalar", pytype)`` for Python numbers.
    """
    dim = zero = wrapped = None
    for kind, dt in operands:
        if kind == "dim":
            dim = _promote(dim, dt)
        elif kind == "zero":
            zero = _promote(zero, dt)
        else:
            wrapped = _promote(wrapped, scalar_np_dtype(dt))
    return _combine(dim, _combine(zero, wrapped))


def scalar_np_dtype(pytype):
    """The dtype a Python scalar stands for in promotion (floats: the default dtype)."""
    if pytype is _BUILTIN_BOOL or pytype is np.bool_:
        return np.dtype(np.bool_)
    if issubclass(pytype, (_BUILTIN_INT, np.integer)):
        return np.dtype(np.int64)
    if issubclass(pytype, complex):
        return get_default_dtype().to_complex().np
    return get_default_dtype().np
