"""A strict stand-in for a device array library (CuPy's rules, on the CPU).

``StrictArray`` answers NumPy's functions and ufuncs through ``__array_function__``
and ``__array_ufunc__`` like a CuPy array does, and refuses what CuPy refuses:
implicit conversion to a NumPy array (``np.asarray(x)``) and mixing with host
NumPy arrays in one operation.  Creation functions reach it through NEP 35's
``like=``.  A rule that works on StrictArray inputs and gives StrictArray
adjoints keeps its arrays on the device.
"""

import numbers

import numpy as np


class HostArrayError(TypeError):
    pass


def _unwrap(x):
    if isinstance(x, StrictArray):
        return x.data
    if isinstance(x, np.ndarray):
        raise HostArrayError(f"a host NumPy array of shape {x.shape} met a device array")
    if isinstance(x, list):
        return [_unwrap(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_unwrap(v) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _wrap(x):
    if isinstance(x, np.ndarray):
        return StrictArray(x)
    if isinstance(x, np.generic) and isinstance(x, (np.number, np.bool_)):
        return StrictArray(np.asarray(x))
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    if isinstance(x, tuple):
        out = tuple(_wrap(v) for v in x)
        return type(x)(*out) if hasattr(x, "_fields") else out
    return x


class StrictArray:
    __array_priority__ = 1000
    __hash__ = None

    def __init__(self, data):
        self.data = data

    # -- NumPy protocols ---------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed (StrictArray)")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        res = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(res)

    def __array_function__(self, func, types_, args, kwargs):
        if func in (np.asarray, np.array):  # NEP 35 creation: host data -> device
            return StrictArray(func(*args, **kwargs))
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    # -- attributes and methods CuPy arrays have ----------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)
    flags = property(lambda self: self.data.flags)
    T = property(lambda self: StrictArray(self.data.T))

    def copy(self, order="C"):
        return StrictArray(self.data.copy(order))

    def astype(self, dtype, **kw):
        return StrictArray(self.data.astype(dtype, **kw))

    def reshape(self, *shape, **kw):
        return StrictArray(self.data.reshape(*shape, **kw))

    def item(self, *args):
        return self.data.item(*args)

    def __getitem__(self, i):
        return _wrap(self.data[_unwrap(i)])

    def __setitem__(self, i, v):
        self.data[_unwrap(i)] = _unwrap(v)

    def __len__(self):
        return len(self.data)

    def __iter__(self):
        return (_wrap(v) for v in self.data)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __index__(self):
        return self.data.__index__()

    def __bool__(self):
        return bool(self.data)

    def __repr__(self):
        return f"StrictArray({self.data!r})"


def _binary(ufunc, reflected=False):
    if reflected:
        return lambda self, other: ufunc(other, self)
    return lambda self, other: ufunc(self, other)


for _name, _uf in {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "truediv": np.true_divide,
    "floordiv": np.floor_divide,
    "mod": np.remainder,
    "pow": np.power,
    "matmul": np.matmul,
    "and": np.bitwise_and,
    "or": np.bitwise_or,
    "xor": np.bitwise_xor,
}.items():
    setattr(StrictArray, f"__{_name}__", _binary(_uf))
    setattr(StrictArray, f"__r{_name}__", _binary(_uf, reflected=True))
for _name, _uf in {
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
    "eq": np.equal,
    "ne": np.not_equal,
}.items():
    setattr(StrictArray, f"__{_name}__", _binary(_uf))
StrictArray.__neg__ = lambda self: np.negative(self)
StrictArray.__pos__ = lambda self: np.positive(self)
StrictArray.__abs__ = lambda self: np.absolute(self)
StrictArray.__invert__ = lambda self: np.invert(self)


def to_device(x):
    """Host values -> StrictArray (arrays only; Python numbers stay)."""
    if isinstance(x, np.ndarray):
        return StrictArray(x.copy())
    if isinstance(x, list):
        return [to_device(v) for v in x]
    if isinstance(x, tuple):
        return tuple(to_device(v) for v in x)
    return x


def to_host(x):
    if isinstance(x, StrictArray):
        return x.data
    if isinstance(x, (list, tuple)):
        return (
            type(x)(to_host(v) for v in x)
            if not hasattr(x, "_fields")
            else tuple(to_host(v) for v in x)
        )
    return x


def on_device(x):
    """True when every array in ``x`` is a StrictArray (numbers are fine)."""
    if isinstance(x, np.ndarray):
        return False
    if isinstance(x, (list, tuple)):
        return all(on_device(v) for v in x)
    return isinstance(x, (StrictArray, numbers.Number, np.generic)) or x is None
