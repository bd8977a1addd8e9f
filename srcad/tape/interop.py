"""NumPy calls on tensors, recorded on the tape.

``np.sin(t)`` reaches ``Tensor.__array_ufunc__``, ``np.sum(t)`` reaches
``Tensor.__array_function__``, and a primitive of ``srcad.rules.tape_ops`` called on a
tensor reaches ``Tensor.__srcad_function__``.  All three end in :func:`apply_prim`:
unwrap the tensors, run the primitive on the arrays, and record a node with the
primitive's registry rule.  This is how a NumPy-written function runs on the tape
(``srcad.grad(f, mode="tape")``) and how rules run on tensors under ``create_graph``.
NumPy semantics (dtypes included) apply to these calls.
"""

import numpy as np

from ..rules import registry
from .grad_mode import STATE
from .names import name_for
from .node import info, node_class
from .tensor import Tensor, record, wrap

__all__ = ["apply_prim", "array_function", "array_ufunc"]


def unwrap(a):
    """``a`` with every tensor replaced by its array (inside lists, tuples and dicts too)."""
    if isinstance(a, Tensor):
        return a._data
    t = type(a)
    if t is list or t is tuple:
        return t(unwrap(v) for v in a)
    if t is dict:
        return {k: unwrap(v) for k, v in a.items()}
    return a


def _any_requires(a):
    if isinstance(a, Tensor):
        return a._rg
    t = type(a)
    if t is list or t is tuple:
        return any(_any_requires(v) for v in a)
    if t is dict:
        return any(_any_requires(v) for v in a.values())
    return False


def _is_array(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, Tensor)


def _wrap_out(out):
    if isinstance(out, np.generic):
        return wrap(np.asarray(out))
    if _is_array(out):
        return wrap(out)
    return out


def apply_prim(prim, args, kwargs, name=None):
    """Run primitive ``prim`` on tensor arguments and record it with its registry rule.

    ``name`` is the grad_fn name (PyTorch's by default, see ``names.py``).  Example, for
    an op written elsewhere (``nn.functional``)::

        y = apply_prim(my_conv_prim, (x, w), {"stride": 1}, name="ConvolutionBackward0")
    """
    impl = getattr(prim, "impl", prim)
    out = impl(*unwrap(args), **unwrap(kwargs))
    if isinstance(out, (tuple, list)):
        if (
            any(_is_array(o) for o in out)
            and STATE.enabled
            and (_any_requires(args) or _any_requires(kwargs))
        ):
            # the tape records one output per node; dropping the gradient of a
            # multi-output primitive silently would be worse than refusing it
            what = getattr(prim, "__name__", repr(prim))
            raise RuntimeError(
                f"{what} returns several arrays, which the tape cannot record on tensors "
                "that require grad; use srcad.grad(f, mode='source') for this function"
            )
        items = [_wrap_out(o) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else type(out)(items)
    if isinstance(out, np.generic):
        out = np.asarray(out)
    elif not _is_array(out):
        return out
    if not (STATE.enabled and (_any_requires(args) or _any_requires(kwargs))):
        return wrap(out)
    rule = registry.lookup(prim)
    if rule is None or rule.adjoint is None:
        if rule is not None and rule.nondiff:
            return wrap(out)
        pname = getattr(prim, "__name__", repr(prim))
        raise RuntimeError(
            f"srcad has no derivative rule for {pname}, so the tape cannot record it on a "
            "tensor that requires grad. Register one with @srcad.adjoint("
            f"{pname}), or call it on .detach()ed tensors."
        )
    inf = info(prim)
    bound = inf.bind(args, kwargs)
    return record(inf, bound, out, node_class(name or name_for(prim, bound)))


def array_function(func, args, kwargs):
    """``Tensor.__array_function__``: a NumPy function called with tensors."""
    return apply_prim(func, args, kwargs)


_REDUCE = {
    np.add: np.sum,
    np.multiply: np.prod,
    np.maximum: np.max,
    np.minimum: np.min,
    np.logical_and: np.all,
    np.logical_or: np.any,
}
_ACCUMULATE = {np.add: np.cumsum, np.multiply: np.cumprod}


_E12 = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."


def array_ufunc(ufunc, method, inputs, kwargs):
    """``Tensor.__array_ufunc__``: a NumPy ufunc (or one of its methods) on tensors."""
    out = kwargs.pop("out", None)
    if method == "__call__":
        result = apply_prim(ufunc, inputs, kwargs)
    elif method == "reduce" and ufunc in _REDUCE:
        kw = dict(kwargs)
        kw.setdefault("axis", 0)
        result = apply_prim(_REDUCE[ufunc], inputs[:1], kw)
    elif method == "accumulate" and ufunc in _ACCUMULATE:
        kw = dict(kwargs)
        kw.setdefault("axis", 0)
        result = apply_prim(_ACCUMULATE[ufunc], inputs[:1], kw)
    elif method == "outer" and len(inputs) == 2:
        a, b = inputs
        nb = np.ndim(unwrap(b))
        shape = tuple(np.shape(unwrap(a))) + (1,) * nb
        a = a.reshape(shape) if isinstance(a, Tensor) else np.reshape(a, shape)
        result = apply_prim(ufunc, (a, b), kwargs)
    else:
        return NotImplemented
    if out is None:
        return result
    target = out[0] if isinstance(out, tuple) else out
    if isinstance(target, Tensor):
        return target.copy_(result)
    if isinstance(result, Tensor) and result.requires_grad:
        # writing into a NumPy array (z += t with z an ndarray) would drop the
        # gradient silently: refuse as PyTorch refuses to turn such a tensor into NumPy
        raise RuntimeError(_E12)
    target[...] = unwrap(result)
    return target
