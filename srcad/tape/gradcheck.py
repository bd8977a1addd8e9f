"""``gradcheck``: compare the tape's gradients with central finite differences.

Ships inside the package (as HIPS autograd's checker does) so users can check their
own rules and ``Function``s.
"""

import warnings

import numpy as np

from . import grad_mode
from .engine import grad as _grad
from .tensor import Tensor, wrap

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytical and numerical Jacobians differ."""


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs(func, inputs):
    out = func(*inputs)
    return _as_tuple(out) if isinstance(out, (Tensor, tuple, list)) else (out,)


def _numerical(func, inputs, i, j, eps):
    """d output i / d input j by central differences: shape (numel_in, numel_out)."""
    x = inputs[j]
    flat = x._data.reshape(-1)
    with grad_mode.no_grad():
        out_ref = _outputs(func, inputs)[i]
        n_out = out_ref._data.size
        jac = np.zeros((flat.size, n_out), dtype=x._data.dtype)
        for k in range(flat.size):
            orig = flat[k].copy()
            flat[k] = orig + eps
            plus = _outputs(func, inputs)[i]._data.reshape(-1).copy()
            flat[k] = orig - eps
            minus = _outputs(func, inputs)[i]._data.reshape(-1).copy()
            flat[k] = orig
            jac[k] = (plus - minus) / (2 * eps)
    return jac


def _analytical(outputs, inputs, i, j, diff_inputs):
    out = outputs[i]
    x = inputs[j]
    n_out = out._data.size
    jac = np.zeros((x._data.size, n_out), dtype=x._data.dtype)
    if not out.requires_grad:
        return jac
    for m in range(n_out):
        seed = np.zeros(n_out, dtype=out._data.dtype)
        seed[m] = 1
        g = _grad(
            out,
            diff_inputs,
            wrap(seed.reshape(out._data.shape)),
            retain_graph=True,
            allow_unused=True,
        )[_index_of(diff_inputs, x)]
        if g is not None:
            jac[:, m] = g._data.reshape(-1)
    return jac


def _index_of(seq, obj):
    return next(k for k, v in enumerate(seq) if v is obj)


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(
    func,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    check_batched_forward_grad=False,
    check_forward_ad=False,
    check_backward_ad=True,
    fast_mode=False,
    masked=None,
):
    """True when ``func``'s backward matches finite differences at ``inputs``.

    Use float64 inputs; float32 gives a warning and usually fails.  Example::

        x = srcad.tensor([0.5, 1.0], dtype=srcad.float64, requires_grad=True)
        srcad.autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x,))
    """
    inputs = _as_tuple(inputs)
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    for k, t in enumerate(inputs):
        if (
            isinstance(t, Tensor)
            and t.requires_grad
            and t.dtype.name not in ("float64", "complex128")
        ):
            warnings.warn(
                f"Input #{k} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ",
                UserWarning,
                stacklevel=2,
            )
    if not diff_inputs:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of the them have requires_grad=True."
        )
    outputs = _outputs(func, inputs)
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor) or out.dtype.name not in (
            "float32",
            "float64",
            "float16",
            "complex64",
            "complex128",
        ):
            continue
        for j, x in enumerate(inputs):
            if not (isinstance(x, Tensor) and x.requires_grad):
                continue
            num = _numerical(func, inputs, i, j, eps)
            if not out.requires_grad:
                if np.any(num != 0):
                    return _fail(
                        "Numerical gradient for function expected to be zero", raise_exception
                    )
                continue
            ana = _analytical(outputs, inputs, i, j, diff_inputs)
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                msg = (
                    f"Jacobian mismatch for output {i} with respect to input {j},\n"
                    f"numerical:{wrap(num)!r}\nanalytical:{wrap(ana)!r}\n"
                )
                return _fail(msg, raise_exception)
    return True


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    **kwargs,
):
    """``gradcheck`` of the first derivative (second derivatives against differences)."""
    inputs = _as_tuple(inputs)
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype), True)
            for o in outs
            if isinstance(o, Tensor) and o.requires_grad
        )
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def first(*args):
        ins, gos = args[:n], args[n:]
        with grad_mode.enable_grad():
            res = _outputs(func, ins)
            res = [o for o in res if isinstance(o, Tensor) and o.requires_grad]
            dins = [t for t in ins if isinstance(t, Tensor) and t.requires_grad]
            gs = _grad(res, dins, gos, create_graph=True, allow_unused=True)
        return tuple(
            g if g is not None else wrap(np.zeros_like(t._data)) for g, t in zip(gs, dins)
        )

    del diff
    return gradcheck(
        first,
        inputs + tuple(grad_outputs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
