"""``torch.autograd.functional``: derivatives of tensor functions, built on the tape.

``vjp`` and ``jacobian`` are reverse passes (one per output element for the Jacobian);
``hessian`` is the Jacobian of the gradient, recorded with ``create_graph``; ``vhp`` is
one double backward.  Two of PyTorch's functions use its "double backward trick" (a
reverse pass differentiated in its seed) to stand in for forward mode; srcad does not
rely on rules being differentiable in their seed, so ``jvp`` contracts the Jacobian
with ``v`` and ``hvp`` uses the symmetry of the Hessian (``H v == v^T H`` for a twice
differentiable function, as PyTorch's documentation notes).  The results, their
structure (a Tensor for a Tensor argument, tuples for tuples) and the errors are
PyTorch's.

Example::

    jacobian(lambda x: x ** 2, srcad.tensor([1., 2.]))  # tensor([[2., 0.], [0., 4.]])
"""

from ..tape.engine import grad as _grad
from ..tape.grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from ..tape.tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

_OUTPUTS = "outputs of the user-provided function"


# --------------------------------------------------------------------------------------
# Argument handling, as PyTorch's


def _as_tuple(x, arg_name, fn_name):
    """``(was it a tuple, x as a tuple)``, refusing anything but tensors."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but {where} has type {type(el)}."
            )
    return is_tuple, items


def _unpack(res, is_tuple):
    return res if is_tuple else res[0]


def _unpack2(res, outer_is_tuple, inner_is_tuple):
    if not inner_is_tuple:
        res = tuple(el[0] for el in res)
    return res if outer_is_tuple else res[0]


def _prepare(tensors, create_graph, need_graph):
    """Fresh leaves for the function (or views that keep the graph, with create_graph)."""
    out = []
    for t in tensors:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _finish(tensors, create_graph):
    if create_graph:
        return tuple(tensors)
    return tuple(t.detach() for t in tensors)


def _check_v(v, other, other_is_tuple):
    if len(v) != len(other):
        raise RuntimeError(
            f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
        )
    for i, (a, b) in enumerate(zip(v, other)):
        if a.size() != b.size():
            prefix = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {b.size()} but got {a.size()}."
            )


def _check_requires_grad(tensors, kind, strict):
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode."
            )
        if t.requires_grad:
            continue
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. This is "
                "not allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example)."
            )
        raise RuntimeError(
            f"Output {i} of the user-provided function does not require gradients. The "
            "outputs must be computed in a differentiable manner from the input when "
            "running in strict mode."
        )


def _reverse(outputs, inputs, seeds=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` over the outputs that require grad (None where unused)."""
    seeds = (None,) * len(outputs) if seeds is None else seeds
    pairs = [(o, s) for o, s in zip(outputs, seeds) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gs = zip(*pairs)
    return _grad(
        outs,
        inputs,
        gs,
        allow_unused=True,
        create_graph=create_graph,
        retain_graph=retain_graph,
    )


def _zeros_for_none(grads, refs, strict, what):
    out = []
    for i, (g, r) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The {what} of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode."
                )
            g = _zeros_like(r)
        out.append(g)
    return tuple(out)


def _zeros_like(t):
    from ..tape.factories import zeros_like  # noqa: PLC0415

    return zeros_like(t)


def _zeros(shape, like):
    from ..tape.factories import zeros  # noqa: PLC0415

    return zeros(shape, dtype=like.dtype)


def _single_element_v(tensors, where):
    if len(tensors) != 1 or tensors[0].nelement() != 1:
        raise RuntimeError(
            f"The vector v can only be None if the {where} a single Tensor with a single element."
        )


# --------------------------------------------------------------------------------------
# The functions


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, True)
        outputs_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _prepare(v, create_graph, False)
            _check_v(v, outputs, outputs_tuple)
        else:
            _single_element_v(outputs, "user-provided function returns")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _reverse(outputs, inputs, v, create_graph)
        res = _zeros_for_none(res, inputs, strict, "output")
    return (
        _unpack(_finish(outputs, create_graph), outputs_tuple),
        _unpack(_finish(res, create_graph), inputs_tuple),
    )


def _jacobian_rows(outputs, inputs, create_graph, strict):
    """For each output, for each input, the Jacobian ``out.shape + inp.shape``."""
    from ..tape.ops import stack  # noqa: PLC0415

    result = []
    for i, out in enumerate(outputs):
        rows = [[] for _ in inputs]
        flat = out.reshape(-1)
        for k in range(out.nelement()):
            row = _reverse((flat[k],), inputs, None, create_graph, retain_graph=True)
            for j, (g, inp) in enumerate(zip(row, inputs)):
                if g is None:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of "
                            f"input {j}. This is not allowed in strict mode."
                        )
                    g = _zeros_like(inp)
                rows[j].append(g)
        result.append(
            tuple(
                stack(r, 0).view(tuple(out.shape) + tuple(inp.shape))
                if r
                else _zeros(tuple(out.shape) + tuple(inp.shape), inp)
                for r, inp in zip(rows, inputs)
            )
        )
    return tuple(result)


def jacobian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    strategy="reverse-mode",
):
    """The Jacobian of ``func`` at ``inputs``: ``out.shape + in.shape`` per output and input
    (a Tensor for a Tensor function of a Tensor; tuples where either is a tuple)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has a single output, "reverse-mode" is more efficient.'
        )
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, True)
        outputs_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        jac = _jacobian_rows(outputs, inputs, create_graph, strict)
    jac = tuple(_finish(row, create_graph) for row in jac)
    return _unpack2(jac, outputs_tuple, inputs_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product at ``inputs``."""
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _prepare(v, create_graph, False)
            _check_v(v, inputs, inputs_tuple)
        else:
            _single_element_v(inputs, "input to the user-provided function is")
            v = (_zeros_like(inputs[0]).detach() + 1,)
        outputs_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        jac = _jacobian_rows(outputs, inputs, create_graph, strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = []
        for out, row in zip(outputs, jac):
            total = None
            for j_block, vj in zip(row, v):
                n_out = out.nelement()
                part = j_block.reshape(n_out, -1).matmul(vj.reshape(-1)).reshape(out.shape)
                total = part if total is None else total + part
            res.append(total)
    return (
        _unpack(_finish(outputs, create_graph), outputs_tuple),
        _unpack(_finish(res, create_graph), outputs_tuple),
    )


def _scalar_output(func, inputs, strict, fn_name):
    is_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    if is_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )
    return outputs


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of a scalar ``func`` at ``inputs`` (``in.shape + in.shape``; a tuple of
    tuples for a tuple of inputs)."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*inp):
        return _scalar_output(func, inp, strict, "hessian")[0].squeeze()

    def gradient(*inp):
        jac = jacobian(scalar, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict)
    return _unpack2(res, inputs_tuple, inputs_tuple)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: one double backward."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func`` (equal to :func:`vhp`, the Hessian of
    a twice differentiable function being symmetric)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, fn_name):
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
        inputs = _prepare(inputs, create_graph, True)
        if v is not None:
            _, v = _as_tuple(v, "v", fn_name)
            v = _prepare(v, create_graph, False)
            _check_v(v, inputs, inputs_tuple)
        else:
            _single_element_v(inputs, "input to the user-provided function is")
        outputs = _scalar_output(func, inputs, strict, fn_name)
        jac = _reverse(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _reverse(jac, inputs, v, create_graph)
        res = _zeros_for_none(res, inputs, strict, "jacobian")
    return (
        _finish(outputs, create_graph)[0],
        _unpack(_finish(res, create_graph), inputs_tuple),
    )
