"""``mode="tape"``: run a NumPy-written function on tape tensors.

The ``wrt`` arguments are wrapped in tensors that require grad; NumPy calls on
them are recorded through ``__array_ufunc__``/``__array_function__``; the
gradients come back as arrays (or floats) shaped exactly as ``mode="source"``
gives them.
"""

import numpy as np

from . import runtime as _rt
from .tape import levels as _levels


def _leaf(v):
    from .tape.tensor import Tensor, wrap

    if isinstance(v, (tuple, list)):
        return type(v)(_leaf(e) for e in v)
    if isinstance(v, dict):
        return {k: _leaf(e) for k, e in v.items()}
    if isinstance(v, Tensor):
        # this transformation's own variable (an outer level's tensor is never it)
        return _levels.own_variable(v)
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        # a Python number is immutable: `s = a; s += b` must not change `a`
        t = wrap(np.asarray(float(v)), rg=True)
        t.__class__ = __getattr__("_NumberTensor")
        return t
    if isinstance(v, np.generic):
        return wrap(np.asarray(v), rg=True)
    if getattr(v, "dtype", None) is not None and getattr(v.dtype, "kind", "") in "fc":
        return wrap(v, rg=True)
    return v


def _number_tensor_class():
    from .tape.tensor import Tensor

    class NumberTensor(Tensor):
        """A tape tensor standing for a Python float argument: augmented assignment
        rebinds (``s += b`` is ``s = s + b``), as it does for the number itself."""

        __slots__ = ()

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

    NumberTensor.__name__ = "Tensor"
    return NumberTensor


class _LazyClass:
    cls = None


def _working_copy(v):
    from .tape.tensor import Tensor

    if isinstance(v, Tensor):
        c = v.clone()
        if type(v) is not Tensor and type(v).__name__ == "Tensor":
            c.__class__ = type(v)  # keep a number's rebinding augmented assignment
        return c
    if isinstance(v, (tuple, list)):
        return type(v)(_working_copy(e) for e in v)
    if isinstance(v, dict):
        return {k: _working_copy(e) for k, e in v.items()}
    return v


def __getattr__(name):  # module attribute: the class is made on first use
    if name == "_NumberTensor":
        if _LazyClass.cls is None:
            _LazyClass.cls = _number_tensor_class()
        return _LazyClass.cls
    raise AttributeError(name)


def _flat_leaves(t, out):
    from .tape.tensor import Tensor

    if isinstance(t, Tensor):
        out.append(t)
    elif isinstance(t, (tuple, list)):
        for e in t:
            _flat_leaves(e, out)
    elif isinstance(t, dict):
        for e in t.values():
            _flat_leaves(e, out)
    return out


def _rebuild(template, grads_iter):
    from .tape.tensor import Tensor

    if isinstance(template, Tensor):
        g = next(grads_iter)
        return 0.0 if g is None else g
    if isinstance(template, (tuple, list)):
        return type(template)(_rebuild(e, grads_iter) for e in template)
    if isinstance(template, dict):
        return {k: _rebuild(e, grads_iter) for k, e in template.items()}
    return 0.0


def _unwrap(v):
    from .tape.tensor import Tensor

    if isinstance(v, Tensor):
        data = v.detach()._data
        return data[()] if getattr(data, "ndim", 1) == 0 and type(data) is np.ndarray else data
    if isinstance(v, (tuple, list)):
        return type(v)(_unwrap(e) for e in v)
    if isinstance(v, dict):
        return {k: _unwrap(e) for k, e in v.items()}
    return v


def _raw(g):
    from .tape.tensor import Tensor

    return g.detach()._data if isinstance(g, Tensor) else g


def _call(f, sig, wrt, args, kwargs):
    ba = sig.bind(*args, **kwargs)
    ba.apply_defaults()
    originals = {w: ba.arguments[w] for w in wrt}
    leaves = {w: _leaf(ba.arguments[w]) for w in wrt}
    for w in wrt:
        # the function gets a copy that is not a leaf, so it may assign into it
        # (x[0] = ...) as NumPy code does; gradients flow back to the leaf
        ba.arguments[w] = _working_copy(leaves[w])
    from .tape import numpy_mode

    numpy_mode.hold_arguments(ba.arguments, wrt)
    with _levels.level() as nested, numpy_mode.running():
        out = numpy_mode.numpy_program(f)(*ba.args, **ba.kwargs)
    return out, originals, leaves, nested


def _grads_for(
    out, leaves, originals, wrt, grad_outputs=None, create_graph=False, retain_graph=None
):
    from . import autograd

    flat = [_flat_leaves(leaves[w], []) for w in wrt]
    inputs = [t for group in flat for t in group]
    from .tape.tensor import Tensor

    if not isinstance(out, Tensor) or not out.requires_grad or not inputs:
        grads = [None] * len(inputs)
    else:
        grads = autograd.grad(
            out,
            inputs,
            grad_outputs=grad_outputs,
            allow_unused=True,
            create_graph=create_graph,
            retain_graph=retain_graph,
        )
    it = iter(grads if create_graph else [_raw(g) if g is not None else None for g in grads])
    shaped = []
    for w in wrt:
        g = _rebuild(leaves[w], it)
        shaped.append(g if create_graph else _rt.finalize(g, originals[w]))
    return shaped


def tape_value_and_grad(f, sig, wrt, args, kwargs, fname):
    """``(value, [gradient per wrt])`` of a scalar function run on the tape."""
    out, originals, leaves, nested = _call(f, sig, wrt, args, kwargs)
    if nested:
        # inside another tape transformation: the gradient must itself be differentiable
        return out, _grads_for(out, leaves, originals, wrt, create_graph=True)
    value = _unwrap(out)
    _rt.check_scalar(value if not isinstance(value, (int, float)) else float(value), fname)
    from .tape.tensor import Tensor

    seed = None
    if isinstance(out, Tensor) and out.ndim:
        seed = out.detach() * 0 + 1
    return value, _grads_for(out, leaves, originals, wrt, grad_outputs=seed)


def tape_vjp(f, sig, wrt, as_tuple, args, kwargs):
    """``(value, pullback)`` on the tape; the graph is kept so the pullback can repeat."""
    from .tape.tensor import Tensor, wrap

    out, originals, leaves, nested = _call(f, sig, wrt, args, kwargs)
    value = out if nested else _unwrap(out)

    def pullback(cotangent):
        ct = cotangent if isinstance(cotangent, Tensor) else None
        if ct is None:
            ct = wrap(cotangent if hasattr(cotangent, "shape") else np.asarray(cotangent))
        grads = _grads_for(
            out,
            leaves,
            originals,
            wrt,
            grad_outputs=ct,
            retain_graph=True,
            create_graph=nested,
        )
        return tuple(grads) if as_tuple else grads[0]

    return value, pullback


def tape_jvp(f, sig, wrt, args, kwargs, tangents):
    """Forward mode on the tape by the double-vjp trick (``create_graph``)."""
    from . import autograd
    from .tape.tensor import Tensor, wrap

    out, originals, leaves, nested = _call(f, sig, wrt, args, kwargs)
    value = out if nested else _unwrap(out)
    if not isinstance(out, Tensor) or not out.requires_grad:
        return value, _rt.zeros_like(value)
    u = wrap(np.zeros_like(out.detach()._data), rg=True)
    gs = _grads_for(out, leaves, originals, wrt, grad_outputs=u, create_graph=True)
    total = None
    for g, t in zip(gs, tangents):
        if not isinstance(g, Tensor):
            continue
        term = (g * wrap(np.asarray(t) if not hasattr(t, "shape") else t)).sum()
        total = term if total is None else total + term
    if total is None or not total.requires_grad:
        return value, _rt.zeros_like(value)
    (jv,) = autograd.grad(total, [u], allow_unused=True, create_graph=nested)
    if nested:
        return value, jv if jv is not None else out * 0
    return value, _rt.finalize(_raw(jv) if jv is not None else 0.0, value)


def tape_hvp(f, sig, wrt, as_tuple, args, kwargs, v):
    """Hessian-vector product on the tape (reverse over reverse with create_graph)."""
    from . import autograd
    from .tape.tensor import Tensor, wrap

    out, originals, leaves, nested = _call(f, sig, wrt, args, kwargs)
    gs = _grads_for(out, leaves, originals, wrt, create_graph=True)
    vs = v if as_tuple else (v,)
    total = None
    for g, t in zip(gs, vs):
        if isinstance(g, Tensor):
            term = (g * wrap(np.asarray(t) if not hasattr(t, "shape") else t)).sum()
            total = term if total is None else total + term
    inputs = [t for w in wrt for t in _flat_leaves(leaves[w], [])]
    if total is None or not total.requires_grad:
        hv = [None] * len(inputs)
    else:
        hv = autograd.grad(total, inputs, allow_unused=True, create_graph=nested)
    if nested:  # inside another tape transformation: keep the outer graph
        it = iter(hv)
        res = [_rebuild(leaves[w], it) for w in wrt]
        return tuple(res) if as_tuple else res[0]
    it = iter([_raw(h) if h is not None else None for h in hv])
    res = [_rt.finalize(_rebuild(leaves[w], it), originals[w]) for w in wrt]
    return tuple(res) if as_tuple else res[0]
