"""Public transformations: grad, value_and_grad (and the helpers used inside them)."""

import contextlib
import functools
import gc
import inspect
import threading
import warnings

from . import runtime as _rt
from .errors import FallbackWarning, UnsupportedError

_MODES = ("auto", "source", "tape")


def stop_gradient(x):
    """The value of ``x``; no gradient flows through it (in both engines).

    Example::

        def f(x):
            scale = srcad.stop_gradient(np.max(x))
            return np.sum(x / scale)
    """
    detach = getattr(x, "detach", None)
    if detach is not None and type(x).__module__.startswith("srcad"):
        return detach()
    return x


@contextlib.contextmanager
def insert_grad_of(x):
    """Run a block in the backward pass on the adjoint of ``x`` (source mode only).

    Inside a function transformed by ``srcad.grad``::

        with srcad.insert_grad_of(h) as dh:
            dh = np.clip(dh, -1.0, 1.0)     # clip the gradient flowing into h

    The block does not run in the forward pass.  Executed as plain Python (or on
    the tape, which has no adjoint statements to insert it into) the block runs
    once, on a zero, and changes nothing: the gradient is the plain one.
    """
    yield 0.0


class _Compiled:
    __slots__ = ("fn", "source")

    def __init__(self, fn, source):
        self.fn = fn
        self.source = source


_COMPILERS = {}
_LOCK = threading.RLock()


def _compiler(optimize=True):
    """The shared compiler (one per optimize setting; each caches what it made)."""
    c = _COMPILERS.get(bool(optimize))
    if c is None:
        from .compiler.driver import Compiler

        c = _COMPILERS[bool(optimize)] = Compiler(optimize=bool(optimize))
    return c


class _Transformation:
    """A transformed function: call it like the original; ``.source`` shows the code."""

    kind = "grad"

    def __init__(self, f, wrt, mode, optimize, verbose):
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        functools.update_wrapper(self, f)
        self.__wrapped__ = f
        self._f = f
        self._mode = mode
        self.optimize = optimize
        self.verbose = verbose
        self._cache = {}
        self.fallback_reason = None
        self._fell_back = False
        try:
            self._sig = inspect.signature(f)
            self._params = [
                p.name
                for p in self._sig.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
        except (TypeError, ValueError):
            self._sig, self._params = None, []
        self._wrt_spec = wrt
        self._wrt, self._tuple = self._resolve_wrt(wrt)
        self._last = None

    # -- wrt ---------------------------------------------------------------------

    def _resolve_wrt(self, wrt):
        single = not isinstance(wrt, (tuple, list))
        items = [wrt] if single else list(wrt)
        names = []
        for w in items:
            if isinstance(w, bool) or not isinstance(w, (int, str)):
                raise TypeError(
                    f"wrt must be an int, a parameter name or a tuple of them, got {w!r}"
                )
            if isinstance(w, int):
                star = self._sig is not None and any(
                    p.kind is p.VAR_POSITIONAL for p in self._sig.parameters.values()
                )
                if star and w >= len(self._params):
                    names.append(f"*{w}")  # the compiler reports *args as unsupported
                    continue
                if not -len(self._params) <= w < len(self._params):
                    raise ValueError(
                        f"wrt={w} is out of range: {self.__name__} has "
                        f"{len(self._params)} positional parameters"
                    )
                names.append(self._params[w])
            else:
                if self._params and w not in self._params:
                    raise ValueError(
                        f"wrt={w!r} is not a parameter of {self.__name__}: {self._params}"
                    )
                names.append(w)
        return tuple(names), not single

    # -- public attributes -----------------------------------------------------------

    @property
    def mode(self):
        if self._mode == "tape" or self._fell_back:
            return "tape"
        if self._mode == "auto" and not self._cache:
            try:
                self._get((), {})
            except UnsupportedError:
                return "tape"
        return "source"

    @property
    def source(self):
        if self._mode == "tape":
            return ""
        if self._last is None:
            try:
                self._last = self._get((), {})
            except UnsupportedError:
                if self._mode == "source":
                    raise
                return ""
        return self._last.source if self._last else ""

    def __repr__(self):
        return f"<srcad.{self.kind} of {self.__name__} wrt {self._wrt_spec!r} ({self.mode})>"

    # -- calling -----------------------------------------------------------------------

    def _containers(self, args, kwargs):
        if self._sig is None:
            return frozenset()
        try:
            ba = self._sig.bind(*args, **kwargs)
        except TypeError:
            return frozenset()
        kinds = set()
        for n, v in ba.arguments.items():
            if isinstance(v, (tuple, list, dict)):
                kinds.add((n, type(v).__name__))
            elif type(v) in (float, int):
                kinds.add((n, "float"))  # a Python number: scalar arithmetic, no broadcasting
        return frozenset(kinds)

    def _get(self, args, kwargs):
        key = self._containers(args, kwargs)
        c = self._cache.get(key)
        if c is None:
            with _LOCK:
                c = self._cache.get(key)
                if c is None:
                    fn, src = self._build_safely(key)
                    c = self._cache[key] = _Compiled(fn, src)
                    if self.verbose:
                        print(src)
        self._last = c
        return c

    def _build_safely(self, containers):
        # A transformation allocates many small AST nodes and frees nothing cyclic
        # while it runs: pausing the cycle collector saves a good part of its time.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._build(containers)
        except UnsupportedError:
            raise
        except RecursionError:
            raise
        except Exception as exc:  # a bug in srcad: still report it the documented way
            code = getattr(self._f, "__code__", None)
            raise UnsupportedError(
                f"srcad's compiler failed on {self.__name__} ({type(exc).__name__}: {exc})",
                getattr(code, "co_filename", None),
                getattr(code, "co_firstlineno", None),
                "this is a bug in srcad, please report it; mode='tape' runs the function on "
                "the tape meanwhile",
            ) from exc
        finally:
            if was_enabled:
                gc.enable()

    def _target(self, key):
        """The function to transform: the user's, or, for ``grad(grad(f))``, the code
        the inner transformation generated (never the inner's ``__wrapped__``)."""
        inner = self._f
        if isinstance(inner, _Transformation):
            if (
                inner._mode == "tape"
                or inner._fell_back
                or inner.kind not in ("grad", "value_and_grad")
            ):
                raise UnsupportedError(
                    f"the inner transformation of {self.__name__} runs on the tape",
                    hint="use mode='tape' for the outer transformation too",
                )
            c = inner._cache.get(key)
            if c is None:
                fn, src = inner._build_safely(key)
                c = inner._cache[key] = _Compiled(fn, src)
            if inner.kind == "value_and_grad":
                raise UnsupportedError(
                    "differentiating value_and_grad's (value, gradient) pair",
                    hint="differentiate srcad.grad(f) instead",
                )
            return c.fn
        return inner

    def _build(self, containers):
        comp = _compiler(self.optimize)
        fn = comp.grad_function(
            self._target(containers),
            list(self._wrt),
            with_value=self.kind == "value_and_grad",
            containers=containers,
        )
        return fn, fn.__srcad_source__

    def __call__(self, *args, **kwargs):
        if self._mode == "tape" or self._fell_back:
            return self._call_tape(args, kwargs)
        try:
            c = self._get(args, kwargs)
        except UnsupportedError as exc:
            if self._mode == "source":
                raise
            self._fell_back = True
            self.fallback_reason = str(exc)
            warnings.warn(
                f"srcad: cannot transform {self.__name__}; running it on the tape instead. "
                f"Reason: {exc}",
                FallbackWarning,
                stacklevel=2,
            )
            return self._call_tape(args, kwargs)
        out = c.fn(*args, **kwargs)
        return self._finish(out, args, kwargs)

    def _bound(self, args, kwargs):
        ba = self._sig.bind(*args, **kwargs)
        ba.apply_defaults()
        return ba.arguments

    def _finish(self, out, args, kwargs):
        bound = self._bound(args, kwargs)
        if self.kind == "value_and_grad":
            value, grads = out
        else:
            value, grads = None, out
        if self._tuple:
            grads = tuple(
                _rt.finalize(g, bound[w])
                for g, w in zip(grads if len(self._wrt) > 1 else (grads,), self._wrt)
            )
        else:
            grads = _rt.finalize(grads, bound[self._wrt[0]])
        return (value, grads) if self.kind == "value_and_grad" else grads

    def _call_tape(self, args, kwargs):
        from .tape_bridge import tape_value_and_grad

        value, grads = tape_value_and_grad(
            self._f, self._sig, self._wrt, args, kwargs, self.__name__
        )
        if not self._tuple:
            grads = grads[0]
        return (value, grads) if self.kind == "value_and_grad" else grads


class _ValueAndGrad(_Transformation):
    kind = "value_and_grad"


def _decorator(cls, f, wrt, mode, optimize, verbose):
    if f is None or isinstance(f, (int, str, tuple, list)) and not callable(f):
        if f is not None:  # grad(0) / grad("b") used as a decorator factory
            wrt = f

        def deco(g):
            return cls(g, wrt, mode, optimize, verbose)

        return deco
    return cls(f, wrt, mode, optimize, verbose)


def grad(f=None, wrt=0, *, mode="auto", optimize=True, verbose=0):
    """Reverse-mode gradient of a scalar function, by source transformation.

    ``wrt`` is a parameter index, a name, or a tuple of them (a tuple gives a
    tuple of gradients).  Works as ``@srcad.grad``, ``@srcad.grad(wrt=1)`` or
    ``srcad.grad(f)``.  ``.source`` is the generated Python code.

    Example::

        @srcad.grad
        def loss(w, x, y):
            p = np.tanh(x @ w)
            return np.mean((p - y) ** 2)

        dw = loss(w, x, y)
        print(loss.source)
    """
    return _decorator(_Transformation, f, wrt, mode, optimize, verbose)


def value_and_grad(f=None, wrt=0, *, mode="auto", optimize=True, verbose=0):
    """Like :func:`grad`, returning ``(value, gradient)``."""
    return _decorator(_ValueAndGrad, f, wrt, mode, optimize, verbose)


# -- vjp, jvp, hvp, jacobian, hessian ------------------------------------------------------


class _Vjp(_Transformation):
    """``vf(*args) -> (value, pullback)``; ``pullback(cotangent)`` gives the gradients."""

    kind = "vjp"

    def _build(self, containers):
        fwd, bwd, src = _compiler(self.optimize).split_functions(
            self._target(containers), tuple(self._wrt), callee=False, containers=containers
        )
        return (fwd, bwd), src

    def __call__(self, *args, **kwargs):
        if self._mode == "tape" or self._fell_back:
            return self._tape_vjp(args, kwargs)
        try:
            c = self._get(args, kwargs)
        except UnsupportedError as exc:
            if self._mode == "source":
                raise
            self._fallback(exc)
            return self._tape_vjp(args, kwargs)
        fwd, bwd = c.fn
        value, saved = fwd(*args, **kwargs)
        bound = self._bound(args, kwargs)
        state = {"saved": saved, "used": False}

        def pullback(cotangent):
            if state["used"] and getattr(bwd, "__srcad_mutates__", False):
                state["saved"] = fwd(*args, **kwargs)[1]  # the last sweep restored in place
            state["used"] = True
            grads = bwd(state["saved"], cotangent)
            return self._shape_grads(grads, bound)

        return value, pullback

    def _shape_grads(self, grads, bound):
        if self._tuple:
            gs = grads if len(self._wrt) > 1 else (grads,)
            return tuple(_rt.finalize(g, bound[w]) for g, w in zip(gs, self._wrt))
        return _rt.finalize(grads, bound[self._wrt[0]])

    def _fallback(self, exc):
        self._fell_back = True
        self.fallback_reason = str(exc)
        warnings.warn(
            f"srcad: cannot transform {self.__name__}; running it on the tape "
            f"instead. Reason: {exc}",
            FallbackWarning,
            stacklevel=3,
        )

    def _tape_vjp(self, args, kwargs):
        from .tape_bridge import tape_vjp

        return tape_vjp(self._f, self._sig, self._wrt, self._tuple, args, kwargs)


class _Jvp(_Transformation):
    """``jf(*args, tangent) -> (value, tangent_out)`` by forward-mode transformation."""

    kind = "jvp"

    def _build(self, containers):
        fn = _compiler(self.optimize).jvp_function(
            self._target(containers), tuple(self._wrt), containers
        )
        return fn, fn.__srcad_source__

    def __call__(self, *args, **kwargs):
        if not args:
            raise TypeError(
                f"{self.__name__}: jvp needs the tangent as the last positional argument"
            )
        *args, tangent = args
        tangents = tuple(tangent) if self._tuple else (tangent,)
        if len(tangents) != len(self._wrt):
            raise ValueError(
                f"expected {len(self._wrt)} tangents (one per wrt), got {len(tangents)}"
            )
        if self._mode == "tape" or self._fell_back:
            return self._tape_jvp(args, kwargs, tangents)
        try:
            c = self._get(tuple(args), kwargs)
        except UnsupportedError as exc:
            if self._mode == "source":
                raise
            _Vjp._fallback(self, exc)
            return self._tape_jvp(args, kwargs, tangents)
        kwargs = dict(kwargs)
        kwargs[c.fn.__srcad_tangent_param__] = tangents
        value, tout = c.fn(*args, **kwargs)
        return value, _rt.finalize(tout, value)

    def _tape_jvp(self, args, kwargs, tangents):
        from .tape_bridge import tape_jvp

        return tape_jvp(self._f, self._sig, self._wrt, args, kwargs, tangents)


def vjp(f=None, wrt=0, *, mode="auto", optimize=True, verbose=0):
    """Reverse mode for any output: ``value, pullback = srcad.vjp(f)(*args)``.

    ``pullback(cotangent)`` (a cotangent shaped like the output) returns the
    gradients; it can be called more than once.
    """
    return _decorator(_Vjp, f, wrt, mode, optimize, verbose)


def jvp(f=None, wrt=0, *, mode="auto", optimize=True, verbose=0):
    """Forward mode: ``value, tangent_out = srcad.jvp(f)(*args, tangent)``.

    ``tangent`` is the last positional argument (a tuple when ``wrt`` is a tuple).
    """
    return _decorator(_Jvp, f, wrt, mode, optimize, verbose)


def hvp(f=None, wrt=0, *, mode="auto", optimize=True, verbose=0):
    """Hessian-vector product, forward over reverse: ``srcad.hvp(f)(*args, v)``."""
    if f is None or not callable(f):
        return lambda g: hvp(g, wrt, mode=mode, optimize=optimize, verbose=verbose)
    return _Hvp(f, wrt, mode, optimize)


class _Hvp:
    """``hf(*args, v)``: forward mode over the generated gradient code, built for the
    kinds of the arguments at hand (a Python float gets scalar code); on the tape
    when the compiler refuses (``mode="auto"``) or ``mode="tape"``."""

    def __init__(self, f, wrt, mode, optimize):
        functools.update_wrapper(self, f)
        self.__wrapped__ = f
        self._inner = grad(f, wrt, mode=mode, optimize=optimize)
        self._wrt, self._mode, self._optimize = wrt, mode, optimize
        self._outer = {}
        self.fallback_reason = None
        self._tape = mode == "tape"
        self._last = None

    def _outer_for(self, args, kwargs):
        key = self._inner._containers(args, kwargs)
        outer = self._outer.get(key)
        if outer is None:
            inner_fn = self._inner._get(args, kwargs).fn
            outer = jvp(inner_fn, wrt=self._wrt, mode=self._mode, optimize=self._optimize)
            self._outer[key] = outer
        self._last = outer
        return outer

    def __call__(self, *args, **kwargs):
        *a, v = args
        if not self._tape:
            try:
                outer = self._outer_for(tuple(a), kwargs)
                return outer(*args, **kwargs)[1]
            except UnsupportedError as exc:
                if self._mode == "source":
                    raise
                self._tape, self.fallback_reason = True, str(exc)
        from .tape_bridge import tape_hvp

        inner = self._inner
        return tape_hvp(self.__wrapped__, inner._sig, inner._wrt, inner._tuple, a, kwargs, v)

    @property
    def mode(self):
        return "tape" if self._tape or (self._last and self._last.mode == "tape") else "source"

    @property
    def source(self):
        if self._tape:
            return ""
        if self._last is None:
            try:
                self._outer_for((), {})
            except UnsupportedError:
                return ""
        return self._last.source


def _basis(x):
    import numpy as np

    if isinstance(x, float):
        yield (), 1.0
        return
    n = int(np.size(x))
    shape = np.shape(x)
    for k in range(n):
        e = np.zeros_like(x).reshape(-1)
        e[k] = 1
        yield np.unravel_index(k, shape), e.reshape(shape)


def jacobian(f, wrt=0, *, mode="auto"):
    """Full Jacobian, shape ``out.shape + arg.shape``, built from ``vjp`` row by row."""
    import numpy as np

    vf = vjp(f, wrt, mode=mode)

    def jf(*args, **kwargs):
        value, pullback = vf(*args, **kwargs)
        arg = vf._bound(args, kwargs)[vf._wrt[0]]
        out_shape = np.shape(value)
        rows = [pullback(e) for _, e in _basis(value if np.ndim(value) else float(value))]
        # a nested tape jacobian's rows are tensors of the outer graph: np.stack records them
        rows = [r if hasattr(r, "requires_grad") else np.asarray(r) for r in rows]
        jac = np.stack(rows).reshape(out_shape + np.shape(arg))
        return jac

    functools.update_wrapper(jf, f)
    jf.source, jf.mode, jf.fallback_reason = vf.source, vf.mode, vf.fallback_reason
    return jf


def hessian(f, wrt=0, *, mode="auto"):
    """Full Hessian, shape ``arg.shape + arg.shape``, built from ``hvp`` column by column."""
    import numpy as np

    hf = hvp(f, wrt, mode=mode)
    params = [p for p in inspect.signature(f).parameters]

    def hess(*args, **kwargs):
        idx = wrt if isinstance(wrt, int) else params.index(wrt)
        arg = args[idx]
        cols = [hf(*args, e, **kwargs) for _, e in _basis(arg)]
        shape = np.shape(arg)
        return (
            np.stack([np.asarray(c) for c in cols]).reshape(shape + shape).swapaxes(0, 0)
            if shape
            else float(np.asarray(cols[0]))
        )

    functools.update_wrapper(hess, f)
    hess.source, hess.mode, hess.fallback_reason = (
        getattr(hf, "source", ""),
        getattr(hf, "mode", "source"),
        getattr(hf, "fallback_reason", None),
    )
    return hess
