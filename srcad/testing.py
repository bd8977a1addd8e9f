"""Tools to check gradients: finite differences, a checker, and a strict array type.

Users check their own rules with these, the way HIPS autograd's ``check_grads``
is used::

    >>> import numpy as np
    >>> from srcad.testing import numerical_grad
    >>> numerical_grad(lambda a, x: a * np.sum(x ** 2), (2.0, np.ones(3)), wrt=1)
    array([4., 4., 4.])

``check_grad(f, *args, wrt=...)`` differentiates ``f`` with :func:`srcad.grad`
and compares against :func:`numerical_grad`; it raises ``AssertionError`` with a
readable diff.

:class:`StrictArray` stands in for a CuPy array on a machine without a GPU: a
NumPy-backed array that refuses implicit conversion to NumPy exactly like CuPy
does.  Code that runs on ``strict(args)`` never calls ``np.asarray`` or ``float``
behind the user's back, so it will run on CuPy arrays too.
"""

import copy as _copy
import inspect
import numbers

import numpy as np

__all__ = [
    "StrictArray",
    "assert_grad_close",
    "assert_grad_like",
    "check_grad",
    "check_grads",
    "numerical_grad",
    "strict",
    "unstrict",
]


# ---------------------------------------------------------------------------
# Finite differences


def numerical_grad(f, args, wrt=0, eps=1e-6):
    """Central finite-difference gradient of the scalar function ``f`` at ``args``.

    ``wrt`` is an argument index, a parameter name, or a tuple of them (a tuple
    gives a tuple of gradients).  The argument may be a Python float, a NumPy
    array, a :class:`StrictArray`, or a tuple / list / dict of those; the
    gradient has the same structure (arrays come back as float64 arrays of the
    argument's shape, StrictArrays as StrictArrays, floats as floats).
    Every floating argument is evaluated in float64, whatever its dtype.

    >>> round(numerical_grad(lambda a, b: a * b * b, (3.0, 2.0), wrt="b"), 6)
    12.0
    >>> g = numerical_grad(lambda d: d["p"] * d["q"], ({"p": 2.0, "q": 5.0},))
    >>> sorted((k, round(v, 6)) for k, v in g.items())
    [('p', 5.0), ('q', 2.0)]
    """
    args = tuple(args)
    if isinstance(wrt, (tuple, list)):
        return tuple(numerical_grad(f, args, w, eps) for w in wrt)
    idx = _arg_index(f, wrt, len(args))
    args64 = [_to_float64(a) for a in args]

    def at(value):
        call = list(args64)
        call[idx] = value
        return _as_float(f(*call))

    return _fd(at, args64[idx], eps)


def _arg_index(f, wrt, nargs):
    if isinstance(wrt, (int, np.integer)) and not isinstance(wrt, bool):
        if not -nargs <= wrt < nargs:
            raise IndexError(f"wrt={wrt} but only {nargs} arguments were given")
        return int(wrt) % nargs
    if isinstance(wrt, str):
        names = list(inspect.signature(f).parameters)
        if wrt not in names:
            raise ValueError(f"{getattr(f, '__name__', f)!r} has no parameter {wrt!r}")
        return names.index(wrt)
    raise TypeError(f"wrt must be an index or a parameter name, not {wrt!r}")


def _to_float64(a):
    if isinstance(a, StrictArray):
        return StrictArray(_to_float64(a._a)) if a.dtype.kind == "f" else a
    if isinstance(a, np.ndarray):
        return a.astype(np.float64) if a.dtype.kind == "f" else a
    if isinstance(a, np.floating):
        return float(a)
    if isinstance(a, tuple):
        return tuple(_to_float64(v) for v in a)
    if isinstance(a, list):
        return [_to_float64(v) for v in a]
    if isinstance(a, dict):
        return {k: _to_float64(v) for k, v in a.items()}
    return a


def _as_float(value):
    """A scalar result as a Python float (StrictArrays are read with ``.get()``)."""
    if isinstance(value, StrictArray):
        value = value.get()
    if isinstance(value, (np.ndarray, np.generic)):
        if value.size != 1:
            raise ValueError(
                f"the function must return a scalar, got an array of shape {value.shape}"
            )
        return float(value.reshape(()))
    if isinstance(value, numbers.Real):
        return float(value)
    raise ValueError(f"the function must return a scalar, got {type(value).__name__}")


def _fd(at, x, eps):
    """Finite differences of ``at`` (a scalar function of one value) at ``x``."""
    if isinstance(x, bool) or isinstance(x, (int, np.integer)):
        raise TypeError(f"cannot differentiate with respect to the integer {x!r}")
    if isinstance(x, (float, np.floating)):
        return (at(float(x) + eps) - at(float(x) - eps)) / (2.0 * eps)
    if isinstance(x, StrictArray):
        return StrictArray(_fd(lambda a: at(StrictArray(a)), x.get(), eps))
    if isinstance(x, np.ndarray):
        if x.dtype.kind != "f":
            raise TypeError(f"cannot differentiate with respect to an array of {x.dtype}")
        g = np.zeros(x.shape, dtype=np.float64)
        flat = g.reshape(-1)
        for j in range(x.size):
            plus = x.copy()
            minus = x.copy()
            plus.reshape(-1)[j] += eps
            minus.reshape(-1)[j] -= eps
            flat[j] = (at(plus) - at(minus)) / (2.0 * eps)
        return g
    if isinstance(x, (tuple, list)):
        out = []
        for j, item in enumerate(x):

            def at_item(v, j=j):
                items = list(x)
                items[j] = v
                return at(type(x)(items))

            out.append(_fd(at_item, item, eps))
        return type(x)(out)
    if isinstance(x, dict):
        out = {}
        for key, item in x.items():

            def at_key(v, key=key):
                new = dict(x)
                new[key] = v
                return at(new)

            out[key] = _fd(at_key, item, eps)
        return out
    raise TypeError(f"cannot differentiate with respect to a {type(x).__name__}")


# ---------------------------------------------------------------------------
# Comparing gradients


def assert_grad_like(g, x, path="", strict_scalars=False):
    """Check the gradient contract: ``g`` has the type, structure, shape and dtype of ``x``.

    A Python float argument needs a Python float, an array an array of the same
    type, shape and dtype, a tuple / list / dict the same structure.  With
    ``strict_scalars`` a float argument may also get a size-1 StrictArray (a
    CuPy run keeps scalar gradients on the device).

    >>> assert_grad_like(np.zeros(3), np.ones(3))
    >>> assert_grad_like((1.0, np.zeros(2)), (0.5, np.ones(2)))
    """
    where = f" at {path}" if path else ""
    if isinstance(x, bool) or isinstance(x, (int, np.integer)):
        return
    if isinstance(x, float):
        if strict_scalars and isinstance(g, StrictArray) and g.size == 1:
            return
        assert type(g) is float, f"gradient{where} should be a Python float, got {_describe(g)}"
        return
    if isinstance(x, (StrictArray, np.ndarray)):
        assert type(g) is type(x), (
            f"gradient{where} should be a {type(x).__name__}, got {_describe(g)}"
        )
        assert g.shape == x.shape, f"gradient{where} has shape {g.shape}, argument {x.shape}"
        assert g.dtype == x.dtype, f"gradient{where} has dtype {g.dtype}, argument {x.dtype}"
        return
    if isinstance(x, (tuple, list)):
        assert type(g) is type(x), (
            f"gradient{where} should be a {type(x).__name__}, got {_describe(g)}"
        )
        assert len(g) == len(x), f"gradient{where} has {len(g)} items, argument {len(x)}"
        for j, (gj, xj) in enumerate(zip(g, x)):
            assert_grad_like(gj, xj, f"{path}[{j}]", strict_scalars)
        return
    if isinstance(x, dict):
        assert isinstance(g, dict), f"gradient{where} should be a dict, got {_describe(g)}"
        assert set(g) == set(x), f"gradient{where} has keys {sorted(g)}, argument {sorted(x)}"
        for key in x:
            assert_grad_like(g[key], x[key], f"{path}[{key!r}]", strict_scalars)
        return
    if isinstance(x, np.generic):
        assert isinstance(g, (np.generic, np.ndarray, float)), (
            f"gradient{where} should be a scalar, got {_describe(g)}"
        )


def _describe(v):
    if isinstance(v, (np.ndarray, StrictArray)):
        return f"{type(v).__name__} of shape {v.shape} and dtype {v.dtype}"
    return f"{type(v).__name__} {v!r}"


def _host(v):
    if isinstance(v, StrictArray):
        return v.get()
    return v


def assert_grad_close(actual, expected, rtol=1e-5, atol=1e-6, path="", label="gradient"):
    """Compare two gradients of the same structure; raise ``AssertionError`` with a diff.

    Leaves are compared with ``|actual - expected| <= atol + rtol * |expected|``.

    >>> assert_grad_close({"p": 1.0}, {"p": 1.0 + 1e-9})
    """
    where = f" at {path}" if path else ""
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected), (
            f"{label}{where}: expected a {type(expected).__name__} of {len(expected)} "
            f"items, got {_describe(actual)}"
        )
        for j, (a, e) in enumerate(zip(actual, expected)):
            assert_grad_close(a, e, rtol, atol, f"{path}[{j}]", label)
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), (
            f"{label}{where}: expected a dict with keys {sorted(expected)}, "
            f"got {_describe(actual)}"
        )
        for key in expected:
            assert_grad_close(actual[key], expected[key], rtol, atol, f"{path}[{key!r}]", label)
        return
    a = _host(actual)
    e = np.asarray(_host(expected), dtype=np.float64)
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"{label}{where} is not numeric: {_describe(actual)}") from exc
    if a.shape != e.shape and a.size == e.size == 1:
        a = a.reshape(e.shape)
    assert a.shape == e.shape, f"{label}{where} has shape {a.shape}, expected {e.shape}"
    err = np.abs(a - e)
    bad = ~(err <= atol + rtol * np.abs(e))
    if not bad.any():
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(e != 0, err / np.abs(e), np.inf)
    lines = [
        f"{label}{where} differs (rtol={rtol:g}, atol={atol:g}): "
        f"{int(bad.sum())} of {e.size} entries, max abs err {err.max():.3g}, "
        f"max rel err {rel[bad].max():.3g}"
    ]
    if e.ndim == 0:
        lines.append(f"  actual:   {float(a)!r}\n  expected: {float(e)!r}")
    else:
        for pos in list(zip(*np.nonzero(bad)))[:8]:
            idx = tuple(int(p) for p in pos)
            lines.append(f"  {list(idx)}: actual {float(a[idx])!r}, expected {float(e[idx])!r}")
        with np.printoptions(precision=6, suppress=True, linewidth=90):
            lines.append(f"  actual:\n{a}\n  expected:\n{e}")
    raise AssertionError("\n".join(lines))


def check_grad(f, *args, wrt=0, rtol=1e-5, atol=1e-6, mode="source", eps=1e-6):
    """Differentiate ``f`` with ``srcad.grad`` and compare with finite differences.

    Checks the gradient contract too (a float argument gets a float, an array an
    array of its shape and dtype, containers the same structure).  Returns the
    gradient.  Raises ``AssertionError`` with a readable diff on a mismatch.

    >>> import srcad  # doctest: +SKIP
    >>> check_grad(lambda x: np.sum(np.sin(x)), np.ones(3))  # doctest: +SKIP
    array([0.54030231, 0.54030231, 0.54030231])
    """
    import srcad  # noqa: PLC0415  (srcad imports nothing from here)

    g = srcad.grad(f, wrt=wrt, mode=mode)(*args)
    expected = numerical_grad(f, args, wrt=wrt, eps=eps)
    name = getattr(f, "__name__", "f")
    if isinstance(wrt, (tuple, list)):
        assert isinstance(g, tuple) and len(g) == len(wrt), (
            f"grad of {name} with wrt={wrt!r} should be a tuple of {len(wrt)}, got {_describe(g)}"
        )
        pairs = list(zip(wrt, g, expected))
    else:
        pairs = [(wrt, g, expected)]
    for w, gw, ew in pairs:
        x = args[_arg_index(f, w, len(args))]
        label = f"gradient of {name} w.r.t. {w!r}"
        assert_grad_like(gw, x, strict_scalars=_has_strict(x))
        assert_grad_close(gw, ew, rtol, atol, label=label)
    return g


def check_grads(
    f,
    *args,
    modes=("fwd", "rev"),
    order=2,
    mode="auto",
    wrt=None,
    rtol=1e-5,
    atol=1e-6,
    eps=1e-6,
    seed=0,
):
    """Check ``f``'s derivatives in forward and reverse mode against finite differences.

    The shape of JAX's ``check_grads``: ``modes`` picks ``"fwd"`` (``srcad.jvp``
    along random directions) and/or ``"rev"`` (``srcad.grad``, or ``srcad.vjp``
    with a random cotangent when ``f`` returns an array); ``order=2`` checks the
    first derivative's own derivatives the same way (``jvp`` of ``grad``: forward
    over reverse, and ``vjp`` of ``grad``: reverse over reverse), so ``f`` must
    return a scalar then.  ``wrt`` (index, name or tuple) defaults to every
    floating argument; ``mode`` is passed to the transformations (``"source"``,
    ``"tape"``, ``"auto"``).  Central differences in float64 with step ``eps``.
    Raises ``AssertionError`` with a readable diff; returns None.

    >>> import numpy as np, srcad  # doctest: +SKIP
    >>> srcad.testing.check_grads(lambda x: np.sum(np.sin(x) ** 2), np.ones(3))  # doctest: +SKIP
    """
    import srcad  # noqa: PLC0415  (srcad imports this module lazily)

    if order not in (1, 2):
        raise ValueError(f"check_grads: order must be 1 or 2, not {order!r}")
    unknown = set(modes) - {"fwd", "rev"}
    if unknown or not modes:
        raise ValueError(f"check_grads: modes must be 'fwd' and/or 'rev', not {modes!r}")
    args = tuple(args)
    keys = _default_wrt(args) if wrt is None else (wrt if isinstance(wrt, tuple) else (wrt,))
    if not keys:
        raise ValueError("check_grads: no floating argument to differentiate")
    idx = tuple(_arg_index(f, k, len(args)) for k in keys)
    rng = np.random.default_rng(seed)
    name = getattr(f, "__name__", "f")
    tol = {"rtol": rtol, "atol": atol}
    _check_first(srcad, f, args, idx, modes, mode, rng, name, eps, tol)
    if order == 2:
        for i in idx:
            g = srcad.grad(f, wrt=i, mode=mode)
            _check_first(srcad, g, args, (i,), modes, mode, rng, f"grad({name})", eps, tol)


def _default_wrt(args):
    def floating(a):
        if isinstance(a, bool):
            return False
        if isinstance(a, (float, np.floating)):
            return True
        if isinstance(a, (np.ndarray, StrictArray)):
            return a.dtype.kind == "f"
        if isinstance(a, (tuple, list)):
            return bool(a) and all(floating(v) for v in a)
        if isinstance(a, dict):
            return bool(a) and all(floating(v) for v in a.values())
        return False

    return tuple(i for i, a in enumerate(args) if floating(a))


def _random_like(x, rng):
    if isinstance(x, (tuple, list)):
        return type(x)(_random_like(v, rng) for v in x)
    if isinstance(x, dict):
        return {k: _random_like(v, rng) for k, v in x.items()}
    if isinstance(x, (float, np.floating)) or np.ndim(x) == 0 and not hasattr(x, "shape"):
        return float(rng.normal())
    if isinstance(x, StrictArray):
        return StrictArray(rng.normal(size=x.shape).astype(x.dtype))
    return rng.normal(size=np.shape(x)).astype(np.asarray(x).dtype)


def _axpy(x, t, s):
    """``x + s t`` over matching structures."""
    if isinstance(x, (tuple, list)):
        return type(x)(_axpy(a, b, s) for a, b in zip(x, t))
    if isinstance(x, dict):
        return {k: _axpy(x[k], t[k], s) for k in x}
    if isinstance(x, float):
        return x + s * t
    return x + s * t


def _flat64(v):
    if isinstance(v, (tuple, list)):
        parts = [_flat64(x) for x in v]
        return np.concatenate(parts) if parts else np.zeros(0)
    if isinstance(v, dict):
        return _flat64([v[k] for k in sorted(v, key=repr)])
    return np.ravel(np.asarray(_host(v), dtype=np.float64))


def _is_scalar_output(y):
    if isinstance(y, StrictArray):
        return y.size == 1
    if isinstance(y, (np.ndarray, np.generic)):
        return y.size == 1
    return isinstance(y, numbers.Real)


def _check_first(srcad, f, args, idx, modes, mode, rng, name, eps, tol):
    """First derivatives of ``f`` (scalar or array output) in the arguments ``idx``."""
    args64 = tuple(_to_float64(a) for a in args)
    y = f(*args)
    scalar = _is_scalar_output(y)
    if "rev" in modes:
        if scalar:
            got = srcad.grad(f, wrt=idx, mode=mode)(*args)
            want = numerical_grad(f, args, wrt=idx, eps=eps)
        else:
            c = _random_like(y, rng)
            _, pullback = srcad.vjp(f, wrt=idx, mode=mode)(*args)
            got = pullback(c)

            def loss(*a):
                return float(np.sum(_flat64(c) * _flat64(f(*a))))

            want = numerical_grad(loss, args, wrt=idx, eps=eps)
        for i, g, w in zip(idx, got, want):
            label = f"reverse mode: d {name} / d argument {i}"
            assert_grad_like(g, args[i], strict_scalars=_has_strict(args[i]))
            assert_grad_close(g, w, label=label, **tol)
    if "fwd" in modes:
        ts = tuple(_random_like(args[i], rng) for i in idx)
        _, got = srcad.jvp(f, wrt=idx, mode=mode)(*args, ts)

        def shifted(s):
            a = list(args64)
            for i, t in zip(idx, ts):
                a[i] = _axpy(args64[i], _to_float64(t), s)
            return _flat64(f(*a))

        want = (shifted(eps) - shifted(-eps)) / (2.0 * eps)
        assert_grad_close(_flat64(got), want, label=f"forward mode: tangent of {name}", **tol)


def _has_strict(x):
    if isinstance(x, StrictArray):
        return True
    if isinstance(x, (tuple, list)):
        return any(_has_strict(v) for v in x)
    if isinstance(x, dict):
        return any(_has_strict(v) for v in x.values())
    return False


# ---------------------------------------------------------------------------
# StrictArray: CuPy's conversion rules on the CPU

_IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use `.get()` to construct a NumPy array explicitly."
)


class _StrictDevice:
    """What ``StrictArray.device`` returns (CuPy returns a ``cupy.cuda.Device``)."""

    id = 0

    def __repr__(self):
        return "<StrictArray Device 0>"

    def __eq__(self, other):
        return isinstance(other, _StrictDevice)

    def __hash__(self):
        return 0


_DEVICE = _StrictDevice()


def _unsupported(v):
    return TypeError(f"Unsupported type {type(v)}")


def _operand(v):
    """A ufunc operand: StrictArrays unwrap, scalars pass, host arrays are refused."""
    if isinstance(v, StrictArray):
        return v._a
    if isinstance(v, (np.ndarray, list, tuple)):
        raise _unsupported(v)
    return v


def _unwrap_tree(v):
    """Arguments of a NumPy function: unwrap StrictArrays inside tuples, lists and dicts."""
    if isinstance(v, StrictArray):
        return v._a
    if isinstance(v, np.ndarray):
        raise _unsupported(v)
    if isinstance(v, tuple) and not hasattr(v, "_fields"):
        return tuple(_unwrap_tree(t) for t in v)
    if isinstance(v, list):
        return [_unwrap_tree(t) for t in v]
    if isinstance(v, dict):
        return {k: _unwrap_tree(t) for k, t in v.items()}
    return v


def _index(key):
    """An index: StrictArrays (masks, index arrays) unwrap; host index arrays pass (as in CuPy)."""
    if isinstance(key, StrictArray):
        return key._a
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    if isinstance(key, list):
        return [_index(k) for k in key]
    return key


def _at_index(key):
    """The index of ``ufunc.at``: CuPy takes device arrays there, not lists or host arrays."""
    if isinstance(key, tuple):
        return tuple(_at_index(k) for k in key)
    if isinstance(key, (list, np.ndarray)):
        raise _unsupported(key)
    return _index(key)


class _Pointer:
    """CuPy's ``MemoryPointer``, as far as its address (``ptr``)."""

    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr


_CREATORS = (np.asarray, np.array, np.asanyarray)


def _host_only(v):
    """Host data with no StrictArray inside (a NumPy array, numbers, lists of them)."""
    if isinstance(v, StrictArray):
        return False
    if isinstance(v, (list, tuple)):
        return all(_host_only(e) for e in v)
    return True


def _check_tensordot(a, b, axes=2):
    """CuPy's tensordot takes a 0-d operand only with ``axes=0`` (NumPy also with
    empty axis lists)."""
    if (np.ndim(a) == 0 or np.ndim(b) == 0) and not (
        isinstance(axes, numbers.Integral) and axes == 0
    ):
        raise ValueError("An input is zero-dim while axes has dimensions")


def _wrap(r):
    """Results come back as StrictArrays; reductions give 0-d arrays, as in CuPy."""
    if isinstance(r, np.ndarray):
        return StrictArray(r)
    if isinstance(r, np.generic):
        return StrictArray(np.asarray(r))
    if isinstance(r, tuple):
        items = [_wrap(t) for t in r]
        return type(r)(*items) if hasattr(r, "_fields") else tuple(items)
    if isinstance(r, list):
        return [_wrap(t) for t in r]
    return r


_OPERAND_TYPES = (np.ndarray, list, tuple, numbers.Number, np.generic)


class StrictArray:
    """A NumPy-backed array that behaves like a CuPy array on the CPU.

    It is not an ``ndarray`` subclass and refuses implicit conversion to NumPy
    (``np.asarray``, ``np.array``, a NumPy array on the other side of an
    operator) with CuPy's ``TypeError``.  NumPy functions and ufuncs work on it
    through ``__array_function__`` / ``__array_ufunc__`` and return
    StrictArrays; reductions and element access give 0-d StrictArrays.  Like
    CuPy, ``float()``, ``int()`` and ``bool()`` work on single values (CuPy
    synchronises the device for these, then follows NumPy's rules), and
    ``.get()`` gives the NumPy array.

    >>> s = StrictArray(np.arange(3.0))
    >>> s * 2.0 + 1.0
    StrictArray([1., 3., 5.])
    >>> np.sum(s, axis=0)
    StrictArray(3.)
    >>> float(s[1])
    1.0
    >>> np.asarray(s)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: Implicit conversion to a NumPy array is not allowed. Please use `.get()` ...
    >>> s + np.ones(3)
    Traceback (most recent call last):
    ...
    TypeError: Unsupported type <class 'numpy.ndarray'>
    """

    __slots__ = ("_a",)
    __array_priority__ = 100  # cupy.ndarray's: an operand of higher priority is deferred to
    __hash__ = None

    def __init__(self, data):
        if isinstance(data, StrictArray):
            data = data._a
        elif isinstance(data, (np.generic, numbers.Number)):
            data = np.asarray(data)
        elif isinstance(data, (list, tuple)):
            if _has_strict(data):
                raise TypeError(_IMPLICIT)
            data = np.asarray(data)
        elif not isinstance(data, np.ndarray):
            raise TypeError(f"Unsupported type {type(data)}")
        self._a = data

    # -- the conversions CuPy refuses or allows -----------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def get(self):
        """A NumPy copy of the data (CuPy's device-to-host transfer)."""
        return self._a.copy()

    # float(), int() and complex() follow NumPy's rule on the host copy, as
    # CuPy does (it syncs and converts ``self.get()``): size-1 arrays only, and
    # NumPy >= 2.3 wants them 0-d.
    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        if self._a.ndim != 0 or self._a.dtype.kind not in "iub":
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        return int(self._a)

    def __bool__(self):
        if self._a.size != 1:
            raise ValueError(
                "The truth value of an array with more than one element is ambiguous. "
                "Use a.any() or a.all()"
            )
        return bool(self._a.reshape(())[()])

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    # -- the NumPy protocols -------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "at":
            target, idx, *rest = inputs
            if not isinstance(target, StrictArray):
                raise _unsupported(target)
            ufunc.at(target._a, _at_index(idx), *[_operand(r) for r in rest])
            return None
        for v in inputs:
            if not isinstance(v, StrictArray) and not isinstance(v, _OPERAND_TYPES):
                return NotImplemented
        ins = [_operand(v) for v in inputs]
        out = kwargs.get("out")
        if out is not None:
            for o in out:
                if not isinstance(o, StrictArray):
                    raise _unsupported(o)
            kwargs["out"] = tuple(o._a for o in out)
        if "where" in kwargs:
            kwargs["where"] = _operand(kwargs["where"])
        result = getattr(ufunc, method)(*ins, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        for t in types:
            if issubclass(t, np.ndarray):
                raise TypeError(f"Unsupported type {t}")
            if not issubclass(t, StrictArray):
                return NotImplemented
        if func in _CREATORS and args and _host_only(args[0]):
            # np.asarray(host, like=device_array): an explicit copy to the device,
            # which CuPy makes (cupy.asarray of a NumPy array or a list)
            return StrictArray(func(*args, **kwargs))
        if func is np.tensordot:
            _check_tensordot(*args, **kwargs)
        return _wrap(func(*_unwrap_tree(args), **_unwrap_tree(kwargs)))

    # -- attributes -------------------------------------------------------------
    @property
    def shape(self):
        return self._a.shape

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def strides(self):
        return self._a.strides

    @property
    def data(self):
        """Where the elements start, as CuPy gives it (``a.data.ptr``)."""
        return _Pointer(self._a.__array_interface__["data"][0])

    @property
    def size(self):
        return self._a.size

    @property
    def itemsize(self):
        return self._a.itemsize

    @property
    def nbytes(self):
        return self._a.nbytes

    @property
    def T(self):
        return StrictArray(self._a.T)

    @property
    def device(self):
        return _DEVICE

    def __len__(self):
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[j] for j in range(len(self._a)))

    def __repr__(self):
        body = repr(self._a)
        return "StrictArray" + body[body.index("(") :] if body.startswith("array") else body

    __str__ = __repr__

    def __copy__(self):
        return StrictArray(self._a.copy())

    def __deepcopy__(self, memo):
        return StrictArray(_copy.deepcopy(self._a, memo))

    # -- indexing -------------------------------------------------------------
    def __getitem__(self, key):
        return _wrap(self._a[_index(key)])

    def __setitem__(self, key, value):
        if isinstance(value, StrictArray):
            value = value._a
        elif isinstance(value, np.ndarray):
            raise _unsupported(value)
        elif isinstance(value, (list, tuple)) and _has_strict(value):
            raise TypeError(_IMPLICIT)
        self._a[_index(key)] = value

    # -- methods ----------------------------------------------------------------
    def copy(self):
        return StrictArray(self._a.copy())

    def astype(self, dtype, copy=True):
        return StrictArray(self._a.astype(dtype, copy=copy))

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return StrictArray(self._a.reshape(shape, order=order))

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return StrictArray(self._a.transpose(*axes))

    def ravel(self):
        return StrictArray(self._a.ravel())

    def flatten(self):
        return StrictArray(self._a.flatten())

    def squeeze(self, axis=None):
        return np.squeeze(self, axis=axis)

    def sum(self, axis=None, dtype=None, keepdims=False):
        return np.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return np.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False):
        return np.prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return np.min(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, dtype=None, ddof=0, keepdims=False):
        return np.var(self, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, dtype=None, ddof=0, keepdims=False):
        return np.std(self, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)

    def argmax(self, axis=None):
        return np.argmax(self, axis=axis)

    def argmin(self, axis=None):
        return np.argmin(self, axis=axis)

    def any(self, axis=None, keepdims=False):
        return np.any(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return np.all(self, axis=axis, keepdims=keepdims)

    def cumsum(self, axis=None, dtype=None):
        return np.cumsum(self, axis=axis, dtype=dtype)

    def clip(self, min=None, max=None):
        return np.clip(self, min, max)

    def repeat(self, repeats, axis=None):
        return np.repeat(self, repeats, axis=axis)

    def dot(self, b):
        return np.dot(self, b)

    def fill(self, value):
        self._a.fill(value)

    def conj(self):
        return np.conj(self)

    # -- operators (all through the ufuncs, so the same checks apply) ---------
    def __neg__(self):
        return np.negative(self)

    def __pos__(self):
        return np.positive(self)

    def __abs__(self):
        return np.absolute(self)

    def __invert__(self):
        return np.invert(self)


def _defers(other):
    """CuPy's operator rule (seen on CuPy 14): an operand that opts out of ufuncs
    (``__array_ufunc__ = None``) or has a higher ``__array_priority__`` gets the
    operator (``a + z`` calls ``z.__radd__(a)``)."""
    if isinstance(other, StrictArray):
        return False
    return (
        getattr(other, "__array_ufunc__", True) is None
        or getattr(other, "__array_priority__", 0) > 100
    )


def _binary(ufunc, name):
    def forward(self, other):
        if _defers(other):
            return NotImplemented
        return ufunc(self, other)

    def reflected(self, other):
        if _defers(other):
            return NotImplemented
        return ufunc(other, self)

    def inplace(self, other):
        return ufunc(self, other, out=(self,))

    forward.__name__ = f"__{name}__"
    reflected.__name__ = f"__r{name}__"
    inplace.__name__ = f"__i{name}__"
    setattr(StrictArray, forward.__name__, forward)
    setattr(StrictArray, reflected.__name__, reflected)
    setattr(StrictArray, inplace.__name__, inplace)


for _ufunc, _name in [
    (np.add, "add"),
    (np.subtract, "sub"),
    (np.multiply, "mul"),
    (np.true_divide, "truediv"),
    (np.floor_divide, "floordiv"),
    (np.remainder, "mod"),
    (np.power, "pow"),
    (np.matmul, "matmul"),
    (np.bitwise_and, "and"),
    (np.bitwise_or, "or"),
    (np.bitwise_xor, "xor"),
]:
    _binary(_ufunc, _name)

for _ufunc, _name in [
    (np.equal, "eq"),
    (np.not_equal, "ne"),
    (np.less, "lt"),
    (np.less_equal, "le"),
    (np.greater, "gt"),
    (np.greater_equal, "ge"),
]:
    setattr(StrictArray, f"__{_name}__", lambda self, other, _u=_ufunc: _u(self, other))


def strict(x):
    """Wrap every NumPy array in ``x`` (nested tuples, lists, dicts) as a StrictArray copy.

    >>> strict((np.ones(2), [1.5, {"p": np.zeros(1)}]))
    (StrictArray([1., 1.]), [1.5, {'p': StrictArray([0.])}])
    """
    if isinstance(x, np.ndarray):
        return StrictArray(x.copy())
    if isinstance(x, tuple):
        return tuple(strict(v) for v in x)
    if isinstance(x, list):
        return [strict(v) for v in x]
    if isinstance(x, dict):
        return {k: strict(v) for k, v in x.items()}
    return x


def unstrict(x):
    """The inverse of :func:`strict`: every StrictArray in ``x`` back to NumPy (``.get()``)."""
    if isinstance(x, StrictArray):
        return x.get()
    if isinstance(x, tuple):
        return tuple(unstrict(v) for v in x)
    if isinstance(x, list):
        return [unstrict(v) for v in x]
    if isinstance(x, dict):
        return {k: unstrict(v) for k, v in x.items()}
    return x
