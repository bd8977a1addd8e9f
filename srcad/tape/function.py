"""Custom differentiable operations: ``srcad.autograd.Function``.

As in PyTorch, ``ctx`` *is* the graph node: ``F.apply(x)`` creates an instance of
``FBackward`` (a :class:`BackwardCFunction`), runs ``F.forward(ctx, ...)`` with grad
mode off, and makes it the ``grad_fn`` of the outputs.  Backward calls
``F.backward(ctx, *grad_outputs)``.
"""

import functools
import warnings
from types import SimpleNamespace

import numpy as np

from . import grad_mode
from .grad_mode import STATE
from .node import _SEQ, E2, FREED, Node, modified_error
from .tensor import E5, Tensor, edge, wrap

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable"]

E17 = (
    "You must implement either the backward or vjp method for your custom "
    "autograd.Function to use it with backward mode AD."
)
E18_CALL = (
    "Legacy autograd function with non-static forward method is deprecated. Please use "
    "new-style autograd function with static forward method. (Example: "
    "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
)


class FunctionCtx:
    """What ``forward`` can tell ``backward``: saved tensors and flags."""

    def save_for_backward(self, *tensors):
        """Keep tensors (or None) for ``backward``; read them with ``ctx.saved_tensors``."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{tensors.index(t)} is of type {type(t).__name__}"
                )
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._for_forward = tensors

    def mark_dirty(self, *args):
        """Declare inputs that ``forward`` modified in place."""
        self._dirty = args

    def mark_non_differentiable(self, *args):
        """Declare outputs that carry no gradient."""
        self._non_diff = args

    def set_materialize_grads(self, value):
        """With False, missing output gradients arrive as None instead of zeros."""
        self._materialize = bool(value)

    @property
    def saved_tensors(self):
        saved = getattr(self, "_saved", None)
        if saved is FREED:
            raise RuntimeError(E2)
        if saved is None:
            return ()
        out = []
        for rec in saved:
            if rec is None:
                out.append(None)
                continue
            t, version = rec
            if t._vc[0] != version:
                raise modified_error(t._data, t._vc[0], version, t._fn, t._nr)
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors


class BackwardCFunction(Node, FunctionCtx):
    """The node (and ``ctx``) of one ``Function.apply`` call."""

    _forward_cls = None

    def apply(self, grads, create):
        cls = self._forward_cls
        metas = self._out_meta
        gs = []
        for g, meta in zip(grads, metas):
            if g is None and getattr(self, "_materialize", True) and meta is not None:
                g = np.zeros_like(meta)
            if g is None:
                gs.append(None)
            else:
                gs.append(g if create else wrap(g))
        res = cls.backward(self, *gs)
        if not isinstance(res, tuple):
            res = (res,)
        n = self._nargs
        if len(res) != n:
            if len(res) > n and all(r is None for r in res[n:]):
                res = res[:n]
            else:
                raise RuntimeError(
                    f"function {type(self).__name__} returned an incorrect number of gradients "
                    f"(expected {n}, got {len(res)})"
                )
        out = []
        for k, (pos, meta) in enumerate(zip(self._argpos, self._in_meta)):
            r = res[pos]
            if r is None or self._next[k][0] is None:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise TypeError(
                    f"function {type(self).__name__} returned a gradient different than None at "
                    f"position {pos + 1}, but the corresponding forward input was not a Variable"
                )
            r = _fit(r, meta, type(self).__name__, pos)
            out.append(r if create else r._data)
        return out

    def release(self):
        if getattr(self, "_saved", None) is not None:
            self._saved = FREED


def _fit(r, meta, name, i):
    shape, dtype = meta
    if r._data.shape != shape:
        try:
            np.broadcast_shapes(r._data.shape, shape)
        except ValueError:
            raise RuntimeError(
                f"Function {name} returned an invalid gradient at index {i} - got "
                f"{list(r._data.shape)} but expected shape compatible with {list(shape)}"
            ) from None
        from ..runtime.core import unbroadcast  # noqa: PLC0415

        like = SimpleNamespace(shape=shape)
        r = unbroadcast(r, like) if STATE.enabled else wrap(unbroadcast(r._data, like))
    if r._data.dtype != dtype:
        r = r.to(dtype) if STATE.enabled else wrap(r._data.astype(dtype))
    return r


class _FunctionMeta(type):
    """Gives each Function subclass its node class ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        backward_cls.__module__ = cls.__module__
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """Base class of custom differentiable operations.

    Example::

        class Square(srcad.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g

        y = Square.apply(x)
    """

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are "
            "all static, so you should invoke them on the class itself. Instantiating an "
            "autograd function will raise an error in a future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(E18_CALL)

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(E17)

    @staticmethod
    def vjp(ctx, *grad_outputs):
        raise NotImplementedError(E17)

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it "
            "with forward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and record the call so ``backward`` runs in the backward pass."""
        ctx = cls._backward_cls.__new__(cls._backward_cls)
        ctx._seq = next(_SEQ)
        ctx._hk = None
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        custom_setup = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if custom_setup:
                outputs = cls.forward(*args, **kwargs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        if custom_setup:
            cls.setup_context(ctx, args, outputs)
        record = STATE.enabled and any(ctx.needs_input_grad)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if _has_backward(cls) is False and record:
            pass  # E17 is raised when backward runs, as in PyTorch
        non_diff = {id(t) for t in getattr(ctx, "_non_diff", ())}
        dirty = {id(t) for t in getattr(ctx, "_dirty", ())}
        inputs = {id(a) for a in args if isinstance(a, Tensor)}
        if record:
            # edges first: a dirty input's own grad_fn is about to become ctx
            tensor_args = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
            ctx._next = tuple(edge(args[i]) if args[i]._rg else (None, 0) for i in tensor_args)
            ctx._argpos = tensor_args
            ctx._nargs = len(args)
            ctx._in_meta = tuple((args[i]._data.shape, args[i]._data.dtype) for i in tensor_args)
            ctx._seq = next(_SEQ)
        else:
            ctx._next = ()
        result = []
        metas = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                result.append(o)
                metas.append(None)
                continue
            d = o._data
            metas.append(d)
            if id(o) in dirty:
                if record and o._rg and o._fn is None:
                    raise RuntimeError(E5.replace("is being used", "has been used"))
            elif id(o) in inputs:
                alias = wrap(d)
                alias._vc = o._vc
                o = alias
            if record and id(outs[i]) not in non_diff and d.dtype.kind in "fc":
                o._fn = ctx
                o._nr = i
                o._rg = True
            result.append(o)
        ctx._out_meta = metas
        ctx._nout = len(outs)
        to_save = getattr(ctx, "_to_save", None)
        if to_save is not None:
            ctx._saved = tuple(None if t is None else (t, t._vc[0]) for t in to_save)
        return result[0] if single else tuple(result)


def _has_backward(cls):
    return cls.backward is not Function.backward or cls.vjp is not Function.vjp


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        self.inplace = inplace


class NestedIOFunction(Function):
    pass


class DelayedError(Node):
    """A node that raises when backward reaches it (``grad_fn=<Error>``)."""

    __slots__ = ("_msg",)

    def __init__(self, msg, edges):
        self._msg = msg
        self._next = tuple(edges)
        self._seq = next(_SEQ)
        self._hk = None

    def apply(self, grads, create):
        raise RuntimeError(self._msg)


DelayedError.__name__ = DelayedError.__qualname__ = "Error"


def once_differentiable(fn):
    """Run a ``backward`` with grad mode off; differentiating its result again raises.

    Example::

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            ...
    """

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not STATE.enabled:
            return outputs
        if not any(isinstance(a, Tensor) and a._rg for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        fakes = [None if o is None else o.detach().requires_grad_() for o in outs]
        err = DelayedError(
            "trying to differentiate twice a function that was marked with @once_differentiable",
            [edge(f) for f in fakes if f is not None],
        )
        wrapped = []
        k = 0
        for f in fakes:
            if f is None:
                wrapped.append(None)
                continue
            wrapped.append(wrap(f._data, True, err, k))
            k += 1
        return wrapped[0] if single else tuple(wrapped)

    return wrapper
