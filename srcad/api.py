"""Public transformations: grad, value_and_grad, vjp, jvp, hvp, jacobian, hessian.

Design note.  A transformation object holds only what the user handed over (the
callable, ``wrt``, the mode).  Each call binds the arguments through
``arguments.py`` (one policy for both engines: conversions, private copies),
asks the shared cache (``compiler/cache.py``) for generated code valid for the
program as it is now, and runs it; when the compiler refuses, ``mode="auto"``
runs the same bound arguments on the tape.  An exception raised inside
generated code gets a note naming the user's line it was generated from.
"""

import contextlib
import functools
import gc
import inspect
import sys
import threading
import warnings

import numpy as np

from . import arguments as _args
from . import cheapcall as _cheap

with warnings.catch_warnings():
    # astor reads ast.Num when imported, a DeprecationWarning on Python 3.12+: import it
    # here, quietly, rather than inside the first transformation (or a user's
    # warnings.catch_warnings block)
    warnings.simplefilter("ignore", DeprecationWarning)
    import astor  # noqa: F401
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

    The block does not run in the forward pass.  Executed as plain Python the
    block runs once, on a zero, and changes nothing.  On the tape (``mode="tape"``,
    or the fallback) it is refused: the tape has no backward statements to insert
    it into, and the plain gradient would not be the one the function asks for.
    """
    if type(x).__module__.startswith("srcad.tape"):
        raise UnsupportedError(
            "srcad.insert_grad_of runs only in source mode: the tape has no backward "
            "statements to insert the block into",
            hint="transform the function with mode='source', or register a hook on the "
            "tensor (x.register_hook(fn)) for code that runs on the tape",
        )
    yield 0.0


_LOCK = threading.RLock()


def clear_cache():
    """Drop every cached transformation (they are rebuilt on the next call)."""
    from .compiler import cache

    cache.clear()


def _pick_wrt(wrt, argnums):
    if argnums is None:
        return 0 if wrt is None else wrt
    if wrt is not None and wrt != argnums:
        raise TypeError("pass either wrt= or argnums= (its JAX name), not both")
    return argnums


_MAX_SHAPE_SIGNATURES = 8  # then a generic version (shapes.py)


class _Transformation:
    """A transformed function: call it like the original; ``.source`` shows the code."""

    kind = "grad"
    _jit = None  # jit=True: a srcad.jit.Dispatcher, which calls _call when it cannot help

    def __init__(self, f, wrt, mode, optimize, verbose, has_aux=False):
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        try:
            functools.update_wrapper(self, f, updated=())
        except (AttributeError, TypeError):
            pass
        if isinstance(f, _Transformation):
            self._inner = f
            tgt = _args.Target(f, (), {}, f._sig, f, f.__name__)
        else:
            self._inner = None
            tgt = _args.describe(f)
        if not isinstance(getattr(self, "__name__", None), str):
            self.__name__ = tgt.name
        self.__wrapped__ = f
        self._f = f
        self._t = tgt
        self._mode = mode
        self.optimize = optimize
        self.verbose = verbose
        self.has_aux = bool(has_aux)
        self.fallback_reason = None
        self._fell_back = False
        self._sig = tgt.sig
        self._wrt_spec = wrt
        self._wrt, self._tuple = _args.resolve_wrt(self._sig, wrt, self.__name__)
        self._last = None
        self._recent = {}  # argument kinds -> (target, cache entry) last used
        # argument types and shapes -> kinds (_containers), for plain functions
        plain = self._inner is None and not tgt.prefix and not tgt.keywords
        self._kinds_memo = {} if plain else None
        # argument types, shapes and dtypes -> what the cheap call needs (_fast_call)
        self._fast = {} if plain and not tgt.per_call else None
        self._run = None  # the cheap call's runner made or used last (cheapcall.py)

    # -- public attributes -----------------------------------------------------------

    def _last_sub(self):
        subs = self.__dict__.get("_subs") or {}
        return next(reversed(subs.values()), None)

    @property
    def mode(self):
        if self._t.per_call and self._last_sub() is not None:
            return self._last_sub().mode
        if self._mode == "tape" or self._fell_back:
            return "tape"
        if self._mode == "auto" and self._last is None:
            try:
                self._get(None)
            except UnsupportedError:
                return "tape"
        return "source"

    @property
    def source(self):
        if self._t.per_call:
            sub = self._last_sub()
            return sub.source if sub is not None else ""
        if self._mode == "tape":
            return ""
        if self._fell_back:
            return self._no_code()
        if self._last is None:
            try:
                self._get(None)
            except UnsupportedError as exc:
                if self._mode == "source":
                    raise
                return self._no_code(str(exc))
        return self._last[1] if self._last else ""

    def _no_code(self, reason=None):
        reason = reason or self.fallback_reason or "it runs on the tape"
        lines = "\n".join(f"#   {ln}" for ln in reason.splitlines())
        return (
            f"# srcad: no generated code for {self.__name__}: it cannot be transformed, so it "
            f"runs on the tape (mode='auto').\n# Reason:\n{lines}\n"
        )

    def __repr__(self):
        return f"<srcad.{self.kind} of {self.__name__} wrt {self._wrt_spec!r} ({self.mode})>"

    # -- calling -----------------------------------------------------------------------

    def _fell_back_or_tape(self):
        return self._mode == "tape" or self._fell_back

    def _bind(self, args, kwargs):
        simple = self.__dict__.get("_simple")
        if simple is None:
            simple = self._simple = _args.plain_positional(self._sig)
        ba = _args.bind(self._sig, args, kwargs, self.__name__, simple)
        return _args.prepare(ba, self._wrt, self.__name__, complex_ok=self._mode != "tape")

    def _full(self, ba):
        """Arguments by the target function's own parameter names (partial/self included)."""
        if not self._t.prefix and not self._t.keywords:
            return ba.arguments
        plain = self._t.fn.__func__ if inspect.ismethod(self._t.fn) else self._t.fn
        try:
            sig = inspect.signature(plain, follow_wrapped=False)
            skip = 1 if inspect.ismethod(self._t.fn) else 0
            full = sig.bind_partial(
                *((None,) * skip), *self._t.prefix, *ba.args, **{**self._t.keywords, **ba.kwargs}
            ).arguments
        except (TypeError, ValueError):
            return ba.arguments
        return full

    def _containers(self, ba):
        if ba is None:
            return frozenset()
        # the common call, arrays and numbers only: the key is a function of their
        # types and shapes, remembered per signature (the walk below costs more than
        # the rest of a small call)
        memo = self.__dict__.get("_kinds_memo")
        fast = _fast_key(ba.arguments.values()) if memo is not None else None
        if fast is not None:
            hit = memo.get(fast)
            if hit is not None:
                return hit
        kinds = self._containers_walk(ba)
        if fast is not None and len(memo) < 64:
            memo[fast] = kinds
        return kinds

    def _containers_walk(self, ba):
        kinds = []
        full = self._full(ba)
        kinds += self._shape_signature(full)
        for n, v in full.items():
            t = type(v)
            if t is np.ndarray:
                continue
            if t is float or t is int:
                kinds.append((n, "float"))  # a Python number: scalar arithmetic
            elif isinstance(v, (tuple, list, dict)):
                if n in self._wrt and _args.structured(v):
                    raise UnsupportedError(
                        f"{self.__name__}: the argument {n!r} holds a namedtuple or dataclass",
                        hint="the compiler takes dicts, lists and tuples; mode='tape' (or "
                        "'auto') differentiates namedtuples and dataclasses",
                    )
                base = tuple if isinstance(v, tuple) else list if isinstance(v, list) else dict
                kinds.append((n, base.__name__))
            elif n in self._wrt and _args.structured(v):
                raise UnsupportedError(
                    f"{self.__name__}: the argument {n!r} holds a namedtuple or dataclass",
                    hint="the compiler takes dicts, lists and tuples; mode='tape' (or 'auto') "
                    "differentiates namedtuples and dataclasses",
                )
        return frozenset(kinds)

    def _shape_signature(self, full):
        """``(name, ("shape", shape, kind, real))`` for the arrays and numbers among
        the arguments: the compiler specializes the gradient to their shapes
        (shapes.py), to whether they hold floating point (``kind`` "f", else "o": the
        sign pass) and to whether they hold real numbers (``real`` "a" for NumPy, "p"
        for Python: the scalar seed, realness.py). After ``_MAX_SHAPE_SIGNATURES``
        different signatures, a generic version only."""
        if self.kind not in ("grad", "value_and_grad", "vjp") or self.has_aux:
            return []
        from .compiler.shapes import floating_kind, real_kind, shape_key

        sig = []
        for n, v in full.items():
            sk = shape_key(v)
            if sk is not None:
                sig.append((n, ("shape", sk, floating_kind(v), real_kind(v))))
        seen = self.__dict__.setdefault("_shape_signatures", set())
        key = frozenset(sig)
        if key not in seen:
            if len(seen) >= _MAX_SHAPE_SIGNATURES:
                return []
            seen.add(key)
        return sig

    def _target(self, key):
        """The function to transform: the user's, or, for ``grad(grad(f))``, the code
        the inner transformation generated (never the inner's ``__wrapped__``)."""
        inner = self._inner
        if inner is None:
            return self._t.fn
        if (
            inner._mode == "tape"
            or inner._fell_back
            or inner.kind not in ("grad", "value_and_grad")
        ):
            raise UnsupportedError(
                f"the inner transformation of {self.__name__} runs on the tape",
                hint="use mode='tape' for the outer transformation too",
            )
        if inner.kind == "value_and_grad" or inner.has_aux:
            raise UnsupportedError(
                "differentiating value_and_grad's (value, gradient) pair",
                hint="differentiate srcad.grad(f) instead",
            )
        return inner._product(key)[0]

    def _product(self, key):
        from .compiler import cache

        target = self._target(key)
        last = self._recent.get(key)
        if last is not None and last[0] is target:
            product = cache.fresh(last[1], target)
            if product is not None:
                return product, last[1].source
        extra = (self.kind, self._wrt, key, bool(self.optimize), self.has_aux)
        with _LOCK:
            entry, product = cache.lookup(target, extra, lambda: self._build_safely(target, key))
        if entry is not None:
            if len(self._recent) > 8:
                self._recent.clear()
            self._recent[key] = (target, entry)
        source = entry.source if entry is not None else getattr(product, "__srcad_source__", "")
        if self.verbose and entry is not None and entry is not getattr(self, "_printed", None):
            self._printed = entry
            print(source)
        return product, source

    def _get(self, ba):
        key = self._last_key = self._containers(ba)
        self._last = self._product(key)
        return self._last

    def _build_safely(self, target, containers):
        # A transformation allocates many small AST nodes and frees nothing cyclic
        # while it runs: pausing the cycle collector saves a good part of its time.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._build(target, containers)
        except UnsupportedError:
            raise
        except RecursionError:
            code = getattr(getattr(target, "__func__", target), "__code__", None)
            raise UnsupportedError(
                f"{self.__name__} is nested too deeply (or is too large) for the compiler",
                getattr(code, "co_filename", None),
                getattr(code, "co_firstlineno", None),
                "split it into smaller functions, or use mode='tape'",
            ) from None
        except Exception as exc:  # a bug in srcad: still report it the documented way
            code = getattr(getattr(target, "__func__", target), "__code__", None)
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

    def _build(self, target, containers):
        from .compiler.driver import Compiler

        comp = Compiler(optimize=bool(self.optimize))
        if self.has_aux:
            fwd, bwd, src = comp.split_functions(
                target, tuple(self._wrt), callee=False, containers=containers
            )
            return (fwd, bwd), src
        fn = comp.grad_function(
            target,
            list(self._wrt),
            with_value=self.kind == "value_and_grad",
            containers=containers,
        )
        return fn, fn.__srcad_source__

    def _fallback(self, exc, stacklevel=3):
        self._fell_back = True
        self._fast = None
        self._run = None
        self.fallback_reason = str(exc)
        warnings.warn(
            f"srcad: cannot transform {self.__name__}; running it on the tape instead. "
            f"Reason: {exc}",
            FallbackWarning,
            stacklevel=stacklevel,
        )

    def _late_fallback(self, exc):
        """Whether a refusal the generated code raised while running (a check that
        only the values can decide) sends this call to the tape (mode='auto')."""
        if self._mode == "source" or not getattr(exc, "at_run_time", False):
            return False
        if getattr(exc, "this_call_only", False):  # (a point, not the function: this call)
            warnings.warn(
                f"srcad: {self.__name__} runs on the tape for this call. Reason: {exc}",
                FallbackWarning,
                stacklevel=4,
            )
            return True
        self._fallback(exc, stacklevel=4)
        return True

    def _source_call(self, ba):
        """``(product, call)`` where ``call(fn)`` runs a generated function on ``ba``."""
        product, _ = self._get(ba)
        prefix, keywords = self._bound_in_front()
        kw = {**keywords, **ba.kwargs} if keywords else ba.kwargs
        args = ba.args

        def call(fn, *extra_args, **extra_kw):
            try:
                return fn(*prefix, *args, *extra_args, **kw, **extra_kw)
            except ZeroDivisionError as exc:
                from .compiler.emit import division_refusal

                raise division_refusal(exc) from exc
            except Exception as exc:
                from .compiler.emit import note_generated

                note_generated(exc)
                raise

        return product, call

    def _bound_in_front(self):
        """Positional arguments and keywords bound in front of the caller's."""
        if self._inner is not None:
            return self._inner._bound_in_front()
        prefix = self._t.prefix
        if inspect.ismethod(self._t.fn):
            prefix = (self._t.fn.__self__,) + prefix
        return prefix, self._t.keywords

    def _per_call(self, args, kwargs):
        """A NumPy function passed directly (``srcad.grad(np.sum)(x, axis=0)``): the same
        transformation of a wrapper made for this call's arguments, or None."""
        if not self._t.per_call:
            return None
        shape = (len(args), tuple(sorted(kwargs)))
        subs = self.__dict__.setdefault("_subs", {})
        sub = subs.get(shape)
        if sub is None:
            fn = _args.call_wrapper(self._t.wrapped_prim, self._t.name, *shape)
            sub = type(self)(fn, self._wrt_spec, self._mode, self.optimize, self.verbose)
            sub.has_aux = self.has_aux
            subs[shape] = sub
        return sub

    def _through(self, sub, args, kwargs):
        try:
            return sub(*args, **kwargs)
        finally:
            self._fell_back = sub._fell_back
            self.fallback_reason = sub.fallback_reason

    def __call__(self, *args, **kwargs):
        run = self._run
        if run is not None and not kwargs:  # (the cheap call: cheapcall.py)
            out = run(args)
            if out is _OTHER_KEY:
                out = self._other_key(args)
            if out is not _MISS:
                return out
        if self._jit is not None:  # srcad.grad(f, jit=True): compiled code (srcad/jit.py)
            return self._jit(args, kwargs)
        return self._call(args, kwargs)

    def _other_key(self, args):
        fast = self._fast
        run = fast.get(_fast_key(args)) if fast else None
        if run is None:
            return _MISS
        self._run = run
        out = run(args)
        return _MISS if out is _OTHER_KEY else out

    def _call(self, args, kwargs):
        fast = self._fast
        key = None
        if fast is not None and not kwargs and self._cheap_ok():
            key = _fast_key(args)
        sub = self._per_call(args, kwargs)
        if sub is not None:
            return self._through(sub, args, kwargs)
        ba = self._bind(args, kwargs)
        if self._mode == "tape" or self._fell_back:
            return self._call_tape(ba)
        if self._mode == "auto" and _differentiated_tensors(ba.arguments.values()):
            # called inside a tape differentiation (grad(grad(f)) whose outer grad fell
            # back): the tape nests, where generated code given tensors cannot
            # (np.array of a list of tensors); this call only
            return self._call_tape(ba)
        try:
            product, call = self._source_call(ba)
        except UnsupportedError as exc:
            if self._mode == "source":
                raise
            self._fallback(exc)
            return self._call_tape(ba)
        try:
            if self.has_aux:
                return self._finish_aux(product, call, ba)
            out = call(product)
        except UnsupportedError as exc:
            if not self._late_fallback(exc):
                raise
            return self._call_tape(ba)
        if self.kind == "value_and_grad":
            value, grads = out
        else:
            value, grads = None, out
        grads = self._shape(grads, ba)
        if key is not None and self._fast is not None:
            self._remember_fast(key, args, product)
        return (value, grads) if self.kind == "value_and_grad" else grads

    # -- the cheap call ----------------------------------------------------------------
    # A plain function called again with arrays and numbers of the same types, shapes
    # and dtypes: no binding, no argument walk, and no private copies when the
    # generated code is argument-pure (compiler/purity.py) -- it gets read-only views
    # instead, so that a wrong purity verdict is NumPy's "read-only" error, after
    # which the call is redone the careful way (and the cheap call is switched off);
    # an argument read only as an operand goes as it is (purity.operand_parameters).
    # ``__call__`` first tries ``self._run``, the runner made or used last, which
    # checks its own key; ``self._fast`` holds every runner by key.  A runner is
    # straight-line code generated for one key (cheapcall.py).

    def _cheap_ok(self):
        return (
            not self.has_aux and self._mode != "tape" and not self._fell_back and self._jit is None
        )

    def _remember_fast(self, key, args, product):
        simple = self.__dict__.get("_simple")
        if (
            not simple
            or len(args) != len(simple)
            or not self._cheap_ok()
            or not getattr(product, "__srcad_pure__", False)
            or len(self._fast) >= 16
        ):
            return
        wrt_pos = tuple(simple.index(w) for w in self._wrt if w in simple)
        if len(wrt_pos) != len(self._wrt):
            return
        for i in wrt_pos:  # the wrt arguments need no conversion (arguments.convert_wrt)
            v = args[i]
            if not (type(v) is float or (type(v) is np.ndarray and v.dtype.kind == "f")):
                return
        last = self._recent.get(self.__dict__["_last_key"])
        if last is None or last[0] is not self._t.fn:
            return
        run = _cheap.make_runner(self, last[1], key, wrt_pos, _checked, _note_generated)
        self._fast[key] = self._run = run

    def _finish_aux(self, product, call, ba):
        fwd, bwd = product
        out, saved = call(fwd)
        value, aux = _split_aux(out, self.__name__)
        ct = (_rt.seed(value, self.__name__), _args.zeros_tree(aux))  # (real scalars only)
        grads = self._shape(bwd(saved, type(out)(ct) if isinstance(out, list) else ct), ba)
        return ((value, aux), grads) if self.kind == "value_and_grad" else (grads, aux)

    def _shape(self, grads, ba):
        gs = grads if (self._tuple and len(self._wrt) > 1) else (grads,)
        out = tuple(
            _args.finalize(g, _args.arg_get(ba, w), self.__name__, not self._fell_back_or_tape())
            for g, w in zip(gs, self._wrt)
        )
        return out if self._tuple else out[0]

    def _refuse_complex_on_tape(self, ba):
        """The tape has PyTorch's real-only rules: a complex wrt argument that source mode
        accepted (mode='auto' falling back) is the TypeError tape mode gives."""
        if self._mode != "tape":
            for w in self._wrt:
                label = repr(w) if not w.startswith("*") else f"#{w[1:]}"
                _args.convert_wrt(_args.arg_get(ba, w), self.__name__, label)

    def _call_tape(self, ba):
        tape_value_and_grad = _tape_entry()
        self._refuse_complex_on_tape(ba)
        value, grads = tape_value_and_grad(
            self._t.tape_fn, ba, self._wrt, self.__name__, has_aux=self.has_aux
        )
        grads = tuple(grads) if self._tuple else grads[0]
        if self.has_aux:
            value, aux = value
            return ((value, aux), grads) if self.kind == "value_and_grad" else (grads, aux)
        return (value, grads) if self.kind == "value_and_grad" else grads


_MISS, _OTHER_KEY = _cheap.MISS, _cheap.OTHER_KEY


def _differentiated_tensors(values):
    """Whether any of ``values`` (or an item of a list, tuple or dict among them) is a
    tape tensor that requires grad: the call is inside a differentiation on the tape."""
    tensor_module = sys.modules.get("srcad.tape.tensor")
    if tensor_module is None:
        return False  # (the tape never ran: no tensor exists)
    tensor = tensor_module.Tensor
    for v in values:
        items = v.values() if isinstance(v, dict) else v if isinstance(v, (list, tuple)) else (v,)
        if any(isinstance(x, tensor) and x.requires_grad for x in items):
            return True
    return False


_TAPE_ENTRY = []


def _checked(g, x, name):
    """A gradient from the cheap call as the careful call would give it: ``x``'s type,
    dtype and shape (``arguments.finalize``), never read-only nor a view of ``x``."""
    if type(g) is float and type(x) is float:
        return g
    if not (
        type(g) is np.ndarray
        and type(x) is np.ndarray
        and g.dtype == x.dtype
        and g.shape == x.shape
    ):
        g = _args.finalize(g, x, name, True)
    if type(g) is np.ndarray and not g.flags.writeable:
        g = g.copy()  # never a view of the caller's array, nor a read-only one
    return g


def _note_generated(exc):
    from .compiler.emit import note_generated

    note_generated(exc)


def _tape_entry():
    """``tape_bridge.tape_value_and_grad``, imported on the first tape call (the
    bridge imports the tape, which a source-mode user never needs)."""
    if not _TAPE_ENTRY:
        from .tape_bridge import tape_value_and_grad

        _TAPE_ENTRY.append(tape_value_and_grad)
    return _TAPE_ENTRY[0]


_fast_key = _cheap.key_of


def _split_aux(out, fname):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(
            f"{fname}: with has_aux=True the function must return a pair (scalar, aux), "
            f"got {type(out).__name__}"
        )
    return out[0], out[1]


class _ValueAndGrad(_Transformation):
    kind = "value_and_grad"


def _with_jit(tr, jit):
    if jit:
        if tr._mode == "tape":
            raise ValueError("jit=True compiles the generated code; it cannot go with mode='tape'")
        from .jit import Dispatcher

        tr._jit = Dispatcher(tr)
    return tr


def _decorator(cls, f, wrt, mode, optimize, verbose, argnums=None, has_aux=False, jit=False):
    factory = f is None or (
        isinstance(f, (int, str, tuple, list))
        and not isinstance(f, bool)
        and wrt is None
        and argnums is None
    )
    wrt = _pick_wrt(wrt, argnums)
    if factory:
        if f is not None:  # grad(0) / grad("b") used as a decorator factory
            wrt = f

        def deco(g):
            return _with_jit(cls(g, wrt, mode, optimize, verbose, has_aux), jit)

        if jit:
            from .jit import require_numba

            require_numba()
        return deco
    return _with_jit(cls(f, wrt, mode, optimize, verbose, has_aux), jit)


def grad(
    f=None,
    wrt=None,
    *,
    argnums=None,
    has_aux=False,
    mode="auto",
    optimize=True,
    verbose=0,
    jit=False,
):
    """Reverse-mode gradient of a scalar function, by source transformation.

    ``wrt`` (or ``argnums``, JAX's name) is a parameter index, a name, or a tuple of
    them (a tuple gives a tuple of gradients).  Works as ``@srcad.grad``,
    ``@srcad.grad(wrt=1)`` or ``srcad.grad(f)``.  ``.source`` is the generated Python
    code.  With ``has_aux=True`` ``f`` returns ``(scalar, aux)`` and the result is
    ``(gradient, aux)``.  ``jit=True`` (the ``srcad[jit]`` extra) compiles the
    generated code with Numba for arguments it can take (see ``srcad/jit.py``).

    Example::

        @srcad.grad
        def loss(w, x, y):
            p = np.tanh(x @ w)
            return np.mean((p - y) ** 2)

        dw = loss(w, x, y)
        print(loss.source)
    """
    return _decorator(_Transformation, f, wrt, mode, optimize, verbose, argnums, has_aux, jit)


def value_and_grad(
    f=None,
    wrt=None,
    *,
    argnums=None,
    has_aux=False,
    mode="auto",
    optimize=True,
    verbose=0,
    jit=False,
):
    """Like :func:`grad`, returning ``(value, gradient)`` (``((value, aux), gradient)``
    with ``has_aux=True``)."""
    return _decorator(_ValueAndGrad, f, wrt, mode, optimize, verbose, argnums, has_aux, jit)


# -- vjp, jvp, hvp, jacobian, hessian ------------------------------------------------------


class _Vjp(_Transformation):
    """``vf(*args) -> (value, pullback)``; ``pullback(cotangent)`` gives the gradients."""

    kind = "vjp"

    def _build(self, target, containers):
        from .compiler.driver import Compiler

        fwd, bwd, src = Compiler(optimize=bool(self.optimize)).split_functions(
            target, tuple(self._wrt), callee=False, containers=containers
        )
        return (fwd, bwd), src

    def __call__(self, *args, **kwargs):
        sub = self._per_call(args, kwargs)
        if sub is not None:
            return self._through(sub, args, kwargs)
        ba = self._bind(args, kwargs)
        if self._mode == "tape" or self._fell_back:
            return self._tape_vjp(ba)
        try:
            product, call = self._source_call(ba)
        except UnsupportedError as exc:
            if self._mode == "source":
                raise
            self._fallback(exc)
            return self._tape_vjp(ba)
        fwd, bwd = product
        try:
            value, saved = call(fwd)
        except UnsupportedError as exc:
            if not self._late_fallback(exc):
                raise
            return self._tape_vjp(ba)
        state = {"saved": saved, "used": False}
        lock = threading.Lock()
        # the pair is specialized to the arguments' shapes (a cotangent's shape is the
        # value's): a smaller cotangent (a number for a vector) is broadcast first,
        # one that cannot be is NumPy's ValueError
        vshape = np.shape(value) if isinstance(value, (np.ndarray, np.generic, float)) else None

        def pullback(cotangent):
            if (
                vshape is not None
                and isinstance(cotangent, (np.ndarray, np.generic, float, int))
                and np.shape(cotangent) != vshape
            ):
                cotangent = np.broadcast_to(cotangent, vshape)
            with lock:
                if state["used"] and getattr(bwd, "__srcad_mutates__", False):
                    state["saved"] = call(fwd)[1]  # the last sweep restored in place
                state["used"] = True
                try:
                    grads = bwd(state["saved"], cotangent)
                except Exception as exc:
                    from .compiler.emit import note_generated

                    note_generated(exc)
                    raise
            return self._shape(grads, ba)

        return value, pullback

    def _tape_vjp(self, ba):
        from .tape_bridge import tape_vjp

        self._refuse_complex_on_tape(ba)
        value, pullback = tape_vjp(self._t.tape_fn, ba, self._wrt, self.__name__)

        def shaped(cotangent):
            grads = pullback(cotangent)
            return tuple(grads) if self._tuple else grads[0]

        return value, shaped


class _Jvp(_Transformation):
    """``jf(*args, tangent) -> (value, tangent_out)`` by forward-mode transformation."""

    kind = "jvp"

    def _build(self, target, containers):
        from .compiler.driver import Compiler

        fn = Compiler(optimize=bool(self.optimize)).jvp_function(
            target, tuple(self._wrt), containers
        )
        return fn, fn.__srcad_source__

    def _split_tangent(self, args, kwargs):
        usage = (
            f"{self.__name__} (a jvp) is called as jf(*args, tangent): the function's "
            "arguments, then the tangent as the last positional argument"
            + (" (a tuple, one per wrt)" if self._tuple else "")
        )
        if not args:
            raise TypeError(f"{usage}; it was called with no positional argument")
        *primals, tangent = args
        try:
            ba = self._bind(tuple(primals), kwargs)
        except TypeError as exc:
            raise TypeError(f"{usage}; the arguments do not fit: {exc}") from None
        if self._tuple and not isinstance(tangent, (tuple, list)):
            raise TypeError(f"{usage}; got a {type(tangent).__name__} as the tangent")
        tangents = tuple(tangent) if self._tuple else (tangent,)
        if len(tangents) != len(self._wrt):
            raise ValueError(
                f"expected {len(self._wrt)} tangents (one per wrt), got {len(tangents)}"
            )
        complex_ok = self._mode != "tape"  # source mode follows JAX's convention for complex
        return ba, tuple(_float_tangent(t, complex_ok) for t in tangents)

    def __call__(self, *args, **kwargs):
        sub = self._per_call(args[:-1], kwargs)
        if sub is not None:
            return self._through(sub, args, kwargs)
        ba, tangents = self._split_tangent(args, kwargs)
        if self._mode == "tape" or self._fell_back:
            return self._tape_jvp(ba, tangents)
        try:
            product, call = self._source_call(ba)
        except UnsupportedError as exc:
            if self._mode == "source":
                raise
            self._fallback(exc)
            return self._tape_jvp(ba, tangents)
        try:
            value, tout = call(product, **{product.__srcad_tangent_param__: tangents})
        except UnsupportedError as exc:
            if not self._late_fallback(exc):
                raise
            return self._tape_jvp(ba, tangents)
        return value, _rt.finalize(tout, value)

    def _tape_jvp(self, ba, tangents):
        from .tape_bridge import tape_jvp

        self._refuse_complex_on_tape(ba)
        return tape_jvp(self._t.tape_fn, ba, self._wrt, tangents)


def _float_tangent(t, complex_ok=False):
    if isinstance(t, float):
        return t
    return _args.convert_wrt(t, "jvp", "tangent", complex_ok=complex_ok)


def vjp(f=None, wrt=None, *, argnums=None, mode="auto", optimize=True, verbose=0):
    """Reverse mode for any output: ``value, pullback = srcad.vjp(f)(*args)``.

    ``pullback(cotangent)`` (a cotangent shaped like the output) returns the
    gradients; it can be called more than once.
    """
    return _decorator(_Vjp, f, wrt, mode, optimize, verbose, argnums)


def jvp(f=None, wrt=None, *, argnums=None, mode="auto", optimize=True, verbose=0):
    """Forward mode: ``value, tangent_out = srcad.jvp(f)(*args, tangent)``.

    ``tangent`` is the last positional argument (a tuple when ``wrt`` is a tuple).
    """
    return _decorator(_Jvp, f, wrt, mode, optimize, verbose, argnums)


def hvp(f=None, wrt=None, *, argnums=None, mode="auto", optimize=True, verbose=0):
    """Hessian-vector product, forward over reverse: ``srcad.hvp(f)(*args, v)``."""
    wrt = _pick_wrt(wrt, argnums)
    if f is None or not callable(f):
        w = wrt if f is None else f
        return lambda g: hvp(g, w, mode=mode, optimize=optimize, verbose=verbose)
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    inner = grad(f, wrt, mode="source" if mode != "tape" else "tape", optimize=optimize)
    outer = (
        jvp(inner, inner._wrt_spec, mode="source", optimize=optimize) if mode != "tape" else None
    )
    state = {"tape": mode == "tape", "reason": None}

    def go_tape(exc):
        if mode == "source":
            raise exc
        state["tape"], state["reason"] = True, str(exc)
        hf.mode, hf.fallback_reason, hf.source = "tape", str(exc), inner._no_code(str(exc))
        warnings.warn(
            f"srcad: cannot transform {inner.__name__}; running it on the tape instead. "
            f"Reason: {exc}",
            FallbackWarning,
            stacklevel=3,
        )

    def hf(*args, **kwargs):
        if not args:
            raise TypeError(f"{inner.__name__} (an hvp) is called as hf(*args, v)")
        if not state["tape"]:
            try:
                _, hv = outer(*args, **kwargs)
                return hv
            except UnsupportedError as exc:
                go_tape(exc)
        from .tape_bridge import tape_hvp

        *a, v = args
        ba = inner._bind(tuple(a), kwargs)
        return tape_hvp(inner._t.tape_fn, ba, inner._wrt, inner._tuple, v)

    functools.update_wrapper(hf, f) if hasattr(f, "__name__") else None
    hf.__wrapped__ = f
    hf.mode, hf.fallback_reason, hf.source = "tape", None, ""
    if outer is not None:
        # (the code is made per kind of arguments, so a refusal without arguments, for
        # lack of knowing that `a` is a float, is not final: the call decides)
        hf.mode = "source"
        try:
            hf.source = outer.source
        except UnsupportedError:
            hf.source = ""
    return hf


def _single_wrt(what, wrt, argnums):
    wrt = _pick_wrt(wrt, argnums)
    if isinstance(wrt, (tuple, list)):
        raise TypeError(
            f"srcad.{what} takes one argument to differentiate (an int or a name), got "
            f"wrt={wrt!r}; call srcad.{what} once per argument"
        )
    return wrt


def _basis(x):
    import numpy as np

    if np.ndim(x) == 0 and not hasattr(x, "shape"):
        yield (), 1.0
        return
    x = np.asarray(
        x, dtype=np.result_type(x, np.float64) if np.asarray(x).dtype.kind != "f" else None
    )
    n = int(np.size(x))
    shape = np.shape(x)
    for k in range(n):
        e = np.zeros_like(x).reshape(-1)
        e[k] = 1
        yield np.unravel_index(k, shape), e.reshape(shape)


def jacobian(f, wrt=None, *, argnums=None, mode="auto"):
    """Full Jacobian, shape ``out.shape + arg.shape``, built from ``vjp`` row by row.

    ``wrt`` names one argument; the arguments may be passed by keyword too.
    """
    import numpy as np

    wrt = _single_wrt("jacobian", wrt, argnums)
    nested = getattr(f, "__srcad_jacobian_of__", None)
    if nested is not None:
        return _jacobian_of_jacobian(nested, wrt, mode)
    vf = vjp(f, wrt, mode=mode)

    def jf(*args, **kwargs):
        value, pullback = vf(*args, **kwargs)
        ba = _args.bind(vf._sig, args, kwargs, vf.__name__)
        arg = _args.convert_wrt(_args.arg_get(ba, vf._wrt[0]), vf.__name__, repr(vf._wrt[0]))
        out_shape = np.shape(value)
        rows = [pullback(e) for _, e in _basis(value if np.ndim(value) else float(value))]
        # a nested tape jacobian's rows are tensors of the outer graph: np.stack records them
        rows = [r if hasattr(r, "requires_grad") else np.asarray(r) for r in rows]
        jac = np.stack(rows).reshape(out_shape + np.shape(arg))
        return jac

    try:
        functools.update_wrapper(jf, f)
    except AttributeError:
        pass
    jf.__wrapped__ = f
    jf.source, jf.mode, jf.fallback_reason = vf.source, vf.mode, vf.fallback_reason
    jf.__srcad_jacobian_of__ = (f, wrt, mode)
    return jf


def _jacobian_of_jacobian(nested, wrt, mode):
    """``jacobian(jacobian(f))``: shape ``out.shape + arg.shape + arg.shape``, each
    output component's Hessian built column by column from Hessian-vector products
    of ``g(x) = sum(e_i * f(x))`` (forward over reverse, on the tape)."""
    import numpy as np

    f, inner_wrt, inner_mode = nested
    if wrt != inner_wrt and not (wrt is None or inner_wrt is None):
        raise UnsupportedError(
            "jacobian of a jacobian with respect to another argument",
            hint="differentiate with respect to the same argument in both",
        )
    probe = grad(f, inner_wrt, mode="tape")

    def jjf(*args, **kwargs):
        ba = _args.bind(probe._sig, args, kwargs, probe.__name__)
        arg = _args.convert_wrt(_args.arg_get(ba, probe._wrt[0]), probe.__name__, "wrt")
        value = f(*args, **kwargs)
        blocks = []
        for _, e in _basis(value if np.ndim(value) else float(value)):

            def g(*a, _e=e, **k):
                return np.sum(_e * f(*a, **k))

            g.__signature__ = probe._sig
            g.__name__ = getattr(f, "__name__", "f")
            hf = hvp(g, inner_wrt, mode="tape")
            cols = [np.asarray(hf(*args, v, **kwargs)) for _, v in _basis(arg)]
            blocks.append(np.stack(cols, axis=-1).reshape(np.shape(arg) + np.shape(arg)))
        return np.stack(blocks).reshape(np.shape(value) + np.shape(arg) + np.shape(arg))

    jjf.source, jjf.mode, jjf.fallback_reason = "", "tape", None
    return jjf


def hessian(f, wrt=None, *, argnums=None, mode="auto"):
    """Full Hessian, shape ``arg.shape + arg.shape``, built from ``hvp`` column by column.

    ``wrt`` names one argument; the arguments may be passed by keyword too.
    """
    import numpy as np

    wrt = _single_wrt("hessian", wrt, argnums)
    hf = hvp(f, wrt, mode=mode)
    probe = grad(f, wrt, mode="tape")

    def hess(*args, **kwargs):
        ba = _args.bind(probe._sig, args, kwargs, probe.__name__)
        w = probe._wrt[0]
        arg = _args.convert_wrt(_args.arg_get(ba, w), probe.__name__, repr(w))
        cols = [hf(*args, e, **kwargs) for _, e in _basis(arg)]
        shape = np.shape(arg)
        if not shape:
            return float(np.asarray(cols[0]))
        return np.stack([np.asarray(c) for c in cols]).reshape(shape + shape)

    try:
        functools.update_wrapper(hess, f)
    except AttributeError:
        pass
    hess.__wrapped__ = f
    hess.source, hess.mode, hess.fallback_reason = (
        getattr(hf, "source", ""),
        getattr(hf, "mode", "source"),
        getattr(hf, "fallback_reason", None),
    )
    return hess
