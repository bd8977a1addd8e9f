"""A corpus of small functions, one module per language construct family.

Every public (no leading underscore) function defined at module level in a
family module is a test case: ``tests/test_corpus.py`` differentiates it with
respect to each differentiable parameter and compares with finite differences.
Helpers the cases call start with an underscore (or live in ``helpers_mod``).

As in Tangent's test suite, **the parameter names choose the test inputs**
(see :func:`make_args`):

=========  ==========================================================  ==============
name       value                                                       differentiable
=========  ==========================================================  ==============
a, b, c    Python float, uniform in [0.5, 1.5] (log and sqrt are safe)  yes
x, y, z    float array (4,), magnitudes in [0.3, 1.5], mixed signs:     yes
           x ``+ - + -``, y ``- + + -``, z ``+ + - -``
u, v       float array (3,), same magnitudes, u ``+ - +``, v ``- + +``  yes
M, N       (3, 3) well-conditioned: 2 I + 0.3 * normal                  yes
A          (4, 3) normal                                                yes
B          (3, 5) normal                                                yes
X          (5, 4) data matrix, 0.5 * normal                             yes
w          (4,) weights, 0.5 * normal                                   yes
W          (4, 3) weights, 0.5 * normal                                 yes
P          positive (4,), uniform in [0.5, 1.5]                         yes
lst        list of three Python floats in [0.5, 1.5]                    yes
tup        tuple of two (4,) arrays like ``x``                          yes
dct        ``{"p": (4,) array like x, "q": float in [0.5, 1.5]}``      yes
n          int 3                                                        no
k          int 1                                                        no
i          int 2 (an index)                                             no
flag       bool True                                                    no
=========  ==========================================================  ==============

Magnitudes stay away from 0, so ``abs``, ``maximum`` and masks are evaluated
away from their kinks and both sides of ``x > 0`` are exercised.  Parameters
with a default value are left at their default.  Each case returns a scalar
(a Python float, or a 0-d or size-1 array).

Cases can carry metadata, set with the decorators below:

* :func:`tolerance` -- looser ``rtol`` / ``atol`` for ill-conditioned cases;
* :func:`reference` -- the expected gradient is ``scale`` times the finite
  differences of a plain twin function (for ``srcad.insert_grad_of``);
* :func:`expected` -- a hand-derived gradient for some parameters (for
  ``srcad.stop_gradient`` and ``srcad.no_grad``, which finite differences
  cannot see);
* :func:`no_strict` -- the case cannot run on :class:`srcad.testing.StrictArray`
  inputs (it builds host arrays on purpose), with the reason;
* :func:`no_float32` -- the case is left out of the float32 run, with the reason;
* :func:`may_refuse` -- Python whose semantics are hard to transform (aliasing,
  a callee mutating its argument, in-place container methods): the compiler may
  raise ``srcad.UnsupportedError`` instead, but a gradient it returns must be right.
"""

import importlib
import inspect
import zlib
from typing import NamedTuple

import numpy as np

FAMILIES = (
    "arith",
    "logic",
    "branches",
    "loops",
    "calls",
    "containers",
    "indexing",
    "augassign",
    "comprehensions",
    "grad_control",
    "numpy_prims",
    "methods_builtins",
)

SCALARS = ("a", "b", "c")
DIFFERENTIABLE = ("a", "b", "c", "x", "y", "z", "u", "v", "M", "N", "A", "B", "X", "w", "W")
DIFFERENTIABLE += ("P", "lst", "tup", "dct")
NONDIFFERENTIABLE = ("n", "k", "i", "flag")

_SIGNS = {
    "x": (1, -1, 1, -1),
    "y": (-1, 1, 1, -1),
    "z": (1, 1, -1, -1),
    "u": (1, -1, 1),
    "v": (-1, 1, 1),
}


def _signed(rng, signs, dtype):
    mag = rng.uniform(0.3, 1.5, size=len(signs))
    return (mag * np.asarray(signs, dtype=np.float64)).astype(dtype)


def _value(name, rng, dtype):
    if name in SCALARS:
        return float(rng.uniform(0.5, 1.5))
    if name in _SIGNS:
        return _signed(rng, _SIGNS[name], dtype)
    if name in ("M", "N"):
        return (2.0 * np.eye(3) + 0.3 * rng.standard_normal((3, 3))).astype(dtype)
    shapes = {"A": ((4, 3), 1.0), "B": ((3, 5), 1.0), "X": ((5, 4), 0.5)}
    shapes.update({"w": ((4,), 0.5), "W": ((4, 3), 0.5)})
    if name in shapes:
        shape, scale = shapes[name]
        return (scale * rng.standard_normal(shape)).astype(dtype)
    if name == "P":
        return rng.uniform(0.5, 1.5, size=4).astype(dtype)
    if name == "lst":
        return [float(t) for t in rng.uniform(0.5, 1.5, size=3)]
    if name == "tup":
        return (_signed(rng, _SIGNS["x"], dtype), _signed(rng, _SIGNS["y"], dtype))
    if name == "dct":
        return {"p": _signed(rng, _SIGNS["x"], dtype), "q": float(rng.uniform(0.5, 1.5))}
    fixed = {"n": 3, "k": 1, "i": 2, "flag": True}
    if name in fixed:
        return fixed[name]
    raise ValueError(f"no test input is defined for a parameter named {name!r}")


def make_args(f, rng, dtype=np.float64):
    """The test inputs of ``f``, chosen by its parameter names (see the module docstring).

    Parameters with a default value are not passed.  ``dtype`` is the dtype of
    every array; Python floats stay Python floats.

    >>> def f(a, x, n):
    ...     return a * np.sum(x) * n
    >>> a, x, n = make_args(f, np.random.default_rng(0))
    >>> type(a).__name__, x.shape, n
    ('float', (4,), 3)
    """
    params = inspect.signature(f).parameters.values()
    return tuple(
        _value(p.name, rng, dtype) for p in params if p.default is inspect.Parameter.empty
    )


def rng_for(name):
    """A generator seeded from a case's name, so every run sees the same inputs."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def diff_params(f):
    """Names of ``f``'s parameters that are differentiated (in signature order)."""
    return [
        p.name
        for p in inspect.signature(f).parameters.values()
        if p.name in DIFFERENTIABLE and p.default is inspect.Parameter.empty
    ]


def tape_reference(case, wrt):
    """For the tape's checks on device arrays: ``(NumPy arguments, reference gradient,
    (rtol, atol))`` -- source mode's gradient, or central finite differences where
    source mode refuses -- or None when the tape refuses ``case`` on NumPy arrays too."""
    import srcad  # noqa: PLC0415 - the harness itself needs no srcad
    from srcad.testing import numerical_grad  # noqa: PLC0415

    try:
        srcad.grad(case.fn, wrt=wrt, mode="tape")(*make_args(case.fn, rng_for(case.id)))
    except Exception:  # noqa: BLE001
        return None
    args = make_args(case.fn, rng_for(case.id))
    try:
        return args, srcad.grad(case.fn, wrt=wrt, mode="source")(*args), (1e-9, 1e-12)
    except srcad.UnsupportedError:
        names = [p.name for p in inspect.signature(case.fn).parameters.values()]
        return args, numerical_grad(case.fn, args, wrt=names.index(wrt)), (1e-6, 1e-8)


# ---------------------------------------------------------------------------
# Metadata decorators (they return the function itself).


def tolerance(rtol=None, atol=None):
    """Compare this case with a looser ``rtol`` / ``atol``."""

    def mark(f):
        f.corpus_tolerance = (rtol, atol)
        return f

    return mark


def reference(plain, scale=None):
    """Expected gradient w.r.t. ``name`` = ``scale[name]`` x FD gradient of ``plain``.

    ``plain`` has the case's signature; names missing from ``scale`` use 1.
    """

    def mark(f):
        f.corpus_reference = (plain, dict(scale or {}))
        return f

    return mark


def expected(**grads):
    """Hand-derived gradients: ``name=callable(*args)`` for the named parameters."""

    def mark(f):
        f.corpus_expected = grads
        return f

    return mark


def no_strict(reason):
    """The case cannot run on StrictArray inputs; ``reason`` says why."""

    def mark(f):
        f.corpus_no_strict = reason
        return f

    return mark


def no_float32(reason):
    """The case is left out of the float32 run; ``reason`` says why."""

    def mark(f):
        f.corpus_no_float32 = reason
        return f

    return mark


def may_refuse(reason):
    """``mode="source"`` may refuse this case with UnsupportedError; ``reason`` says why."""

    def mark(f):
        f.corpus_may_refuse = reason
        return f

    return mark


# ---------------------------------------------------------------------------
# Collection


class Case(NamedTuple):
    family: str
    name: str
    fn: object

    @property
    def id(self):
        return f"{self.family}.{self.name}"


def collect(families=FAMILIES):
    """Every case of the given families, in definition order."""
    cases = []
    for family in families:
        mod = importlib.import_module(f"{__name__}.{family}")
        seen = set()
        for name, obj in vars(mod).items():
            if name.startswith("_") or not inspect.isfunction(obj):
                continue
            if obj.__module__ != mod.__name__ or id(obj) in seen:
                continue
            seen.add(id(obj))
            cases.append(Case(family, name, obj))
    return cases
