"""PyTorch-differential scenarios for srcad's tape.

A scenario is a function ``scn_<name>(torch)``. It uses only the module it is given
(real ``torch`` or ``srcad``) and returns plain observations: numbers and nested lists
(from ``.tolist()`` / ``.item()``), bools, strings (reprs, ``grad_fn.name()``), ``None``,
and ``(type name, leading text)`` pairs for exceptions and warnings.
``test_differential.py`` runs every scenario on both modules and compares the results.

Scenarios must be deterministic: random factories are used for shapes only, never for
values, because the two random number generators differ.

Besides the hand-written ``scn_*`` functions, two tables generate scenarios:
``OPS`` (one forward op, its grad_fn name, value and input gradients) and ``REPRS``
(one tensor, its repr).
"""

import math
import warnings

# --------------------------------------------------------------------------------------
# Observation helpers
# --------------------------------------------------------------------------------------


def lead(msg, n=None):
    """The leading text of an error or warning message that must match PyTorch's.

    By default: the first line, cut after its first sentence (". "). With ``n``: the
    first ``n`` characters.
    """
    msg = str(msg)
    if n is not None:
        return msg[:n]
    first = msg.split("\n", 1)[0]
    cut = first.find(". ")
    return first if cut < 0 else first[: cut + 1]


def catch(fn, n=None):
    """``(exception type name, leading message)``, or ``("no exception", None)``."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is the observation
        return (type(e).__name__, lead(e, n))
    return ("no exception", None)


def record(fn):
    """Run ``fn`` and return ``(its result, [(warning category, leading text), ...])``."""
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        out = fn()
    return out, [(w.category.__name__, lead(w.message)) for w in ws]


def fname(t):
    """``t.grad_fn.name()`` or None."""
    return None if t.grad_fn is None else t.grad_fn.name()


def val(t):
    """``t.tolist()`` or None."""
    return None if t is None else t.tolist()


def grad(t):
    """A leaf's ``.grad`` as a list (None when unset)."""
    return val(t.grad)


def nonleaf_grad(t):
    """A non-leaf's ``.grad`` and the warnings that reading it issues."""
    g, ws = record(lambda: t.grad)
    return val(g), ws


def desc(t):
    """Everything about a tensor that PyTorch code commonly looks at."""
    return {
        "value": t.tolist(),
        "shape": list(t.shape),
        "dtype": str(t.dtype),
        "requires_grad": t.requires_grad,
        "is_leaf": t.is_leaf,
        "grad_fn": fname(t),
    }


def tree(node):
    """The ``next_functions`` graph below ``node`` as nested ``[name, [[child, nr], ...]]``."""
    if node is None:
        return None
    return [node.name(), [[tree(n), nr] for n, nr in node.next_functions]]


def nest(flat, shape):
    if not shape:
        return flat[0]
    step = len(flat) // shape[0]
    return [nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def seed_for(torch, out):
    """A non-uniform upstream gradient shaped like ``out``: 0.5, 1.0, 1.5, ..."""
    shape = list(out.shape)
    flat = [0.5 * (i + 1) for i in range(math.prod(shape))]
    return torch.tensor(nest(flat, shape), dtype=out.dtype)


def tolerance(rtol, atol):
    """Give a scenario its own float tolerance (long loops in float32)."""

    def mark(fn):
        fn.tolerance = (rtol, atol)
        return fn

    return mark


# --------------------------------------------------------------------------------------
# Table 1: single ops. Each row: inputs (data), which require grad ("g") or are
# constants ("c"), and the op. Observed: the output (value, shape, dtype, flags, grad_fn
# name) and every input's .grad after backward with a non-uniform upstream gradient.
# --------------------------------------------------------------------------------------

V3 = [1.0, 2.0, 3.0]
W3 = [4.0, -5.0, 6.0]
P3 = [0.5, 1.5, 2.0]  # positive, for log / sqrt / pow
M23 = [[1.0, -2.0, 3.0], [-4.0, 5.0, 0.5]]
N23 = [[0.5, 1.0, -1.5], [2.0, 0.25, 3.0]]
M32 = [[1.0, 2.0], [-1.0, 0.5], [3.0, -2.0]]
M123 = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]

OPS = {
    # arithmetic
    "add_tensor_tensor": (lambda T, a, b: a + b, [V3, W3], "gg"),
    "add_tensor_scalar": (lambda T, a: a + 1.5, [V3], "g"),
    "add_scalar_tensor": (lambda T, a: 2 + a, [V3], "g"),
    "add_function": (lambda T, a, b: T.add(a, b), [V3, W3], "gc"),
    "add_broadcast_3x1_4": (lambda T, a, b: a + b, [[[1.0], [2.0], [3.0]], [1.0, 2, 3, 4]], "gg"),
    "sub_tensor_tensor": (lambda T, a, b: a - b, [V3, W3], "gg"),
    "sub_tensor_scalar": (lambda T, a: a - 1, [V3], "g"),
    "rsub_scalar_tensor": (lambda T, a: 2 - a, [V3], "g"),
    "sub_broadcast_rows": (lambda T, a, b: a - b, [M23, V3], "gg"),
    "mul_tensor_tensor": (lambda T, a, b: a * b, [V3, W3], "gg"),
    "mul_tensor_scalar": (lambda T, a: a * 2, [V3], "g"),
    "mul_scalar_tensor": (lambda T, a: 3 * a, [V3], "g"),
    "mul_tensor_constant": (lambda T, a, c: a * c, [V3, W3], "gc"),
    "mul_constant_tensor": (lambda T, c, a: c * a, [W3, V3], "cg"),
    "mul_0d_by_vector": (lambda T, s, v: s * v, [2.0, V3], "gg"),
    "mul_broadcast_2x3_3": (lambda T, a, b: a * b, [M23, W3], "gg"),
    "div_tensor_tensor": (lambda T, a, b: a / b, [V3, W3], "gg"),
    "div_tensor_scalar": (lambda T, a: a / 2, [V3], "g"),
    "rdiv_scalar_tensor": (lambda T, a: 1 / a, [V3], "g"),
    "div_broadcast_2x3_2x1": (lambda T, a, b: a / b, [M23, [[2.0], [-4.0]]], "gg"),
    "pow_tensor_int": (lambda T, a: a**2, [W3], "g"),
    "pow_method_float": (lambda T, a: a.pow(2.5), [P3], "g"),
    "pow_function_int": (lambda T, a: T.pow(a, 3), [W3], "g"),
    "pow_tensor_tensor": (lambda T, a, b: a**b, [P3, V3], "gg"),
    "pow_scalar_tensor": (lambda T, a: 2**a, [W3], "g"),
    "neg": (lambda T, a: -a, [M23], "g"),
    # reductions
    "sum_all": (lambda T, a: a.sum(), [M23], "g"),
    "sum_function": (lambda T, a: T.sum(a), [M23], "g"),
    "sum_dim0": (lambda T, a: a.sum(0), [M23], "g"),
    "sum_dim1_keepdim": (lambda T, a: a.sum(1, keepdim=True), [M23], "g"),
    "sum_dim_tuple": (lambda T, a: a.sum(dim=(0, 1)), [M23], "g"),
    "sum_dim_negative": (lambda T, a: a.sum(-1), [M23], "g"),
    "mean_all": (lambda T, a: a.mean(), [M23], "g"),
    "mean_dim1": (lambda T, a: a.mean(1), [M23], "g"),
    "mean_dim0_keepdim": (lambda T, a: a.mean(0, keepdim=True), [M23], "g"),
    "mean_function_dim": (lambda T, a: T.mean(a, 0), [M23], "g"),
    "max_all": (lambda T, a: a.max(), [M23], "g"),
    "min_all": (lambda T, a: a.min(), [M23], "g"),
    "max_function_all": (lambda T, a: T.max(a), [M23], "g"),
    "max_dim0_values": (lambda T, a: a.max(dim=0).values, [M23], "g"),
    "max_dim1_keepdim": (lambda T, a: a.max(dim=1, keepdim=True).values, [M23], "g"),
    "min_dim1_values": (lambda T, a: a.min(1).values, [M23], "g"),
    "max_dim_tuple_index0": (lambda T, a: a.max(1)[0], [M23], "g"),
    "max_binary": (lambda T, a, b: T.max(a, b), [V3, [2.0, 1.0, 4.0]], "gg"),
    # elementwise
    "exp": (lambda T, a: a.exp(), [M23], "g"),
    "exp_function": (lambda T, a: T.exp(a), [V3], "g"),
    "log": (lambda T, a: a.log(), [P3], "g"),
    "log_function": (lambda T, a: T.log(a), [P3], "g"),
    "sin": (lambda T, a: a.sin(), [M23], "g"),
    "sin_function": (lambda T, a: T.sin(a), [V3], "g"),
    "cos": (lambda T, a: a.cos(), [M23], "g"),
    "cos_function": (lambda T, a: T.cos(a), [V3], "g"),
    "tanh": (lambda T, a: a.tanh(), [M23], "g"),
    "tanh_function": (lambda T, a: T.tanh(a), [V3], "g"),
    "sigmoid": (lambda T, a: a.sigmoid(), [M23], "g"),
    "sigmoid_function": (lambda T, a: T.sigmoid(a), [V3], "g"),
    "relu": (lambda T, a: a.relu(), [M23], "g"),
    "relu_function": (lambda T, a: T.relu(a), [M23], "g"),
    "abs": (lambda T, a: a.abs(), [M23], "g"),
    "abs_function": (lambda T, a: T.abs(a), [W3], "g"),
    "sqrt": (lambda T, a: a.sqrt(), [P3], "g"),
    "sqrt_function": (lambda T, a: T.sqrt(a), [[4.0, 9.0, 0.25]], "g"),
    "clamp_both": (lambda T, a: a.clamp(0, 1), [[-1.0, 0.25, 0.5, 2.0]], "g"),
    "clamp_min_kw": (lambda T, a: a.clamp(min=0), [M23], "g"),
    "clamp_max_function": (lambda T, a: T.clamp(a, max=2), [M23], "g"),
    "where_tensors": (lambda T, a, b: T.where(a > 0, a, b), [M23, N23], "gg"),
    "where_scalar_other": (lambda T, a: T.where(a > 0, a, 0.0), [M23], "g"),
    "where_broadcast": (lambda T, a, b: T.where(a > 1, a, b), [M23, [[10.0], [20.0]]], "gg"),
    # linear algebra
    "mm_function": (lambda T, a, b: T.mm(a, b), [M23, M32], "gg"),
    "mm_method": (lambda T, a, b: a.mm(b), [M23, M32], "gc"),
    "matmul_operator_2d": (lambda T, a, b: a @ b, [M23, M32], "gg"),
    "matmul_function_2d": (lambda T, a, b: T.matmul(a, b), [M32, M23], "gg"),
    "matmul_matrix_vector": (lambda T, a, v: a @ v, [M23, V3], "gg"),
    "matmul_vector_vector": (lambda T, u, v: u @ v, [V3, W3], "gg"),
    "matmul_3d_2d": (
        lambda T, a, b: a @ b,
        [[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.0, 0.0, 1.0], [2.0, -2.0, 0.5]]], M32],
        "gg",
    ),
    "t_method": (lambda T, a: a.t(), [M23], "g"),
    "t_function": (lambda T, a: T.t(a), [M23], "g"),
    "T_property": (lambda T, a: a.T, [M23], "g"),
    # shape
    "view": (lambda T, a: a.view(3, 2), [M23], "g"),
    "view_minus_one": (lambda T, a: a.view(-1), [M23], "g"),
    "view_tuple": (lambda T, a: a.view((2, 1, 3)), [M23], "g"),
    "reshape": (lambda T, a: a.reshape(3, 2), [M23], "g"),
    "reshape_function": (lambda T, a: T.reshape(a, (6,)), [M23], "g"),
    "reshape_noncontiguous": (lambda T, a: a.t().reshape(6), [M23], "g"),
    "transpose": (lambda T, a: a.transpose(0, 1), [M23], "g"),
    "transpose_function": (lambda T, a: T.transpose(a, 1, 0), [M23], "g"),
    "permute": (lambda T, a: a.permute(2, 0, 1), [M123], "g"),
    "permute_function": (lambda T, a: T.permute(a, (1, 0)), [M23], "g"),
    "squeeze_all": (lambda T, a: a.squeeze(), [[[1.0], [2.0], [3.0]]], "g"),
    "squeeze_dim": (lambda T, a: a.squeeze(0), [M123], "g"),
    "squeeze_function": (lambda T, a: T.squeeze(a), [M123], "g"),
    "unsqueeze": (lambda T, a: a.unsqueeze(1), [V3], "g"),
    "unsqueeze_function": (lambda T, a: T.unsqueeze(a, 0), [M23], "g"),
    "cat_dim0": (lambda T, a, b: T.cat([a, b]), [M23, N23], "gg"),
    "cat_dim1_with_constant": (lambda T, a, b: T.cat([a, b], dim=1), [M23, N23], "gc"),
    "cat_three": (lambda T, a, b, c: T.cat((a, b, c)), [V3, [7.0], W3], "gcg"),
    "stack_dim0": (lambda T, a, b: T.stack([a, b]), [V3, W3], "gg"),
    "stack_dim1": (lambda T, a, b: T.stack([a, b], dim=1), [M23, N23], "gg"),
    # indexing
    "index_int": (lambda T, a: a[0], [M23], "g"),
    "index_negative": (lambda T, a: a[-1], [V3], "g"),
    "index_column": (lambda T, a: a[:, 0], [M23], "g"),
    "index_two_ints": (lambda T, a: a[1, 2], [M23], "g"),
    "index_slice_rows": (lambda T, a: a[0:1], [M23], "g"),
    "index_slice_columns": (lambda T, a: a[:, 1:], [M23], "g"),
    "index_slice_step": (lambda T, a: a[::2], [[1.0, 2, 3, 4, 5]], "g"),
    "index_list": (lambda T, a: a[[0, 2]], [W3], "g"),
    "index_list_repeated": (lambda T, a: a[[0, 0, 1]], [W3], "g"),
    "index_bool_mask": (lambda T, a: a[a > 0], [M23], "g"),
    "index_ellipsis": (lambda T, a: a[..., 1], [M23], "g"),
    # dtype conversion and copies
    "double": (lambda T, a: a.double(), [V3], "g"),
    "clone": (lambda T, a: a.clone(), [V3], "g"),
}


def _op_scenario(name, fn, inputs, flags):
    def scenario(torch):
        ts = [torch.tensor(d, requires_grad=f == "g") for d, f in zip(inputs, flags)]
        out = fn(torch, *ts)
        obs = desc(out)
        out.backward(seed_for(torch, out))
        obs["grads"] = [grad(t) for t in ts]
        obs["grad_dtypes"] = [None if t.grad is None else str(t.grad.dtype) for t in ts]
        return obs

    scenario.__name__ = scenario.__qualname__ = "scn_op_" + name
    return scenario


for _name, (_fn, _inputs, _flags) in OPS.items():
    globals()["scn_op_" + _name] = _op_scenario(_name, _fn, _inputs, _flags)


# --------------------------------------------------------------------------------------
# Table 2: tensor repr (PYTORCH_SEMANTICS.md §12).
# --------------------------------------------------------------------------------------

REPRS = {
    "float_integers": lambda T: T.tensor([1.0, 2.0, 3.0]),
    "float_negative_int_valued": lambda T: T.tensor([-1.0, 2.0, 30.0]),
    "float_mixed": lambda T: T.tensor([1.0, 2.5, 3.0]),
    "float_rounding": lambda T: T.tensor([0.12345, 1.0]),
    "float_tenth": lambda T: T.tensor([0.1, 0.2]),
    "float_negative_decimals": lambda T: T.tensor([-0.5, 1.25, 10.0]),
    "sci_small": lambda T: T.tensor([1e-5, 1.0]),
    "sci_ratio": lambda T: T.tensor([1.0, 1001.0]),
    "ratio_exactly_1000": lambda T: T.tensor([1.0, 1000.0]),
    "sci_large_int_valued": lambda T: T.tensor([1e8, 2e8]),
    "nan_and_value": lambda T: T.tensor([float("nan"), 1.5]),
    "nan_inf": lambda T: T.tensor([float("nan"), float("inf"), -float("inf"), 1.0]),
    "negative_zero": lambda T: T.tensor([-0.0, 1.0]),
    "zeros": lambda T: T.zeros(3),
    "matrix_decimals": lambda T: T.tensor([[1.5, -2.25], [3.0, 400.125]]),
    "matrix_ones": lambda T: T.ones(2, 2),
    "matrix_3d": lambda T: T.arange(8.0).reshape(2, 2, 2),
    "scalar_int_valued": lambda T: T.tensor(1.0),
    "scalar_decimal": lambda T: T.tensor(1.5),
    "scalar_negative": lambda T: T.tensor(-2.75),
    "scalar_int": lambda T: T.tensor(3),
    "scalar_bool": lambda T: T.tensor(True),
    "scalar_small": lambda T: T.tensor(0.00001),
    "int_vector": lambda T: T.tensor([1, 2, 3]),
    "int_wide": lambda T: T.tensor([1, -1000000]),
    "int_matrix": lambda T: T.tensor([[1, -2], [30, 4]]),
    "bool_vector": lambda T: T.tensor([True, False]),
    "float64_suffix": lambda T: T.tensor([1.0, 2.0], dtype=T.float64),
    "float64_requires_grad": lambda T: T.tensor([1.5, 2.0], dtype=T.float64, requires_grad=True),
    "requires_grad_suffix": lambda T: T.ones(2, 2, requires_grad=True),
    "grad_fn_suffix_scalar": lambda T: T.tensor([1.0, 2.0, 3.0], requires_grad=True).sum(),
    "grad_fn_suffix_matrix": lambda T: T.ones(2, 2, requires_grad=True) / 2,
    "float64_grad_fn": lambda T: T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True) * 3,
    "line_wrap": lambda T: T.arange(20.0) * 1.5,
    "line_wrap_ints": lambda T: T.arange(40),
    "suffix_wraps": lambda T: (
        T.tensor(
            [0.1227, -0.5663, 0.3731, -0.8920, -1.5091, 0.3704, 1.4565, 0.9398, 0.7748],
            requires_grad=True,
        )
        * 1
    ),
    "summarized_1d": lambda T: T.arange(2000.0),
    "summarized_2d": lambda T: T.arange(1600.0).reshape(40, 40),
    "empty": lambda T: T.tensor([]),
    "empty_2d": lambda T: T.zeros(0, 3),
    "empty_int": lambda T: T.tensor([], dtype=T.int64),
    "linspace": lambda T: T.linspace(0, 1, 5),
    "eye": lambda T: T.eye(3),
}


def _repr_scenario(name, build):
    def scenario(torch):
        t = build(torch)
        return {"repr": repr(t), "str_is_repr": str(t) == repr(t)}

    scenario.__name__ = scenario.__qualname__ = "scn_repr_" + name
    return scenario


for _name, _build in REPRS.items():
    globals()["scn_repr_" + _name] = _repr_scenario(_name, _build)


# --------------------------------------------------------------------------------------
# requires_grad, leaves, grad_fn
# --------------------------------------------------------------------------------------


def scn_flags_defaults(torch):
    x = torch.tensor([1.0, 2.0])
    return {**desc(x), "grad": x.grad}


def scn_flags_requires_grad_leaf(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    return {**desc(x), "grad": x.grad}


def scn_flags_op_results(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([3.0, 4.0])
    return {
        "x_times_c": desc(x * c),
        "c_times_c": desc(c * c),
        "x_plus_c_plus_c": desc(x + c + c),
    }


def scn_flags_seed004_walkthrough(torch):
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0)
    c = a * b
    out = {}
    for name, t in (("a", a), ("b", b)):
        out[name] = {**desc(t), "grad": t.grad}
    out["c"] = desc(c)
    out["c_grad"] = nonleaf_grad(c)
    return out


def scn_flags_requires_grad_method(torch):
    x = torch.tensor([1.0, 2.0])
    r = x.requires_grad_()
    after_true = (r is x, x.requires_grad, x.is_leaf)
    x.requires_grad_(False)
    return {"after_true": after_true, "after_false": x.requires_grad, "repr": repr(x)}


def scn_flags_requires_grad_attribute(torch):
    x = torch.ones(2)
    x.requires_grad = True
    y = (x * 3).sum()
    y.backward()
    return {"requires_grad": x.requires_grad, "grad": grad(x), "is_leaf": x.is_leaf}


def scn_flags_requires_grad_on_result(torch):
    # seed 002: requires_grad_(True) on a result computed without grad
    x = torch.ones(2, 2)
    y = x + 2
    before = repr(y)
    r = y.requires_grad_(True)
    return {"before": before, "after": repr(r), "same": r is y, "is_leaf": y.is_leaf}


def scn_flags_E7_nonleaf_requires_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2

    def assign():
        y.requires_grad = False

    return {
        "method": catch(lambda: y.requires_grad_(False)),
        "attribute": catch(assign),
        "true_is_noop": catch(lambda: y.requires_grad_(True)),
        "still": (y.requires_grad, y.is_leaf),
    }


def scn_flags_factories_requires_grad(torch):
    ts = {
        "ones": torch.ones(2, 3, requires_grad=True),
        "zeros": torch.zeros(2, requires_grad=True),
        "full": torch.full((2,), 0.5, requires_grad=True),
        "eye": torch.eye(2, requires_grad=True),
        "arange": torch.arange(3.0, requires_grad=True),
        "linspace": torch.linspace(0, 1, 3, requires_grad=True),
        "empty": torch.empty(2, requires_grad=True),
        "randn": torch.randn(2, requires_grad=True),
        "rand": torch.rand(2, requires_grad=True),
        "tensor": torch.tensor(1.0, requires_grad=True),
    }
    return {k: (t.requires_grad, t.is_leaf, fname(t), str(t.dtype)) for k, t in ts.items()}


def scn_flags_like_factories(torch):
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    o = torch.ones_like(x)
    z = torch.zeros_like(x)
    og = torch.ones_like(x, requires_grad=True)
    return {"ones_like": desc(o), "zeros_like": desc(z), "ones_like_rg": desc(og)}


def scn_flags_clone_is_nonleaf(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    (c * c).sum().backward()
    return {"clone": desc(c), "grad": grad(x)}


def scn_flags_grad_of_leaf(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    g = x.grad
    return {"grad": desc(g), "grad_grad": g.grad}


def scn_flags_chain_of_constants(torch):
    a = torch.tensor([1.0, 2.0])
    b = (a * 2 + 1).exp().sum()
    return {"b": desc(b), "E1": catch(lambda: b.backward())}


# --------------------------------------------------------------------------------------
# next_functions
# --------------------------------------------------------------------------------------


def scn_graph_mul_scalar_tree(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    return tree(y.grad_fn)


def scn_graph_operand_order(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([3.0, 4.0])
    return {"x*c": tree((x * c).grad_fn), "c*x": tree((c * x).grad_fn)}


def scn_graph_type_names(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    acc = y.grad_fn.next_functions[0][0]
    return {
        "y": type(y.grad_fn).__name__,
        "acc": type(acc).__name__,
        "acc_name": acc.name(),
        "variable_is_x": acc.variable is x,
        "entries": [type(e).__name__ for e in y.grad_fn.next_functions[0]],
    }


def scn_graph_accumulate_grad_reused(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = x + 1
    na = a.grad_fn.next_functions[0][0]
    nb = b.grad_fn.next_functions[0][0]
    return {"same_node": na is nb, "x_grad_fn": x.grad_fn}


def scn_graph_two_leaves(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w + x).sum()
    return tree(y.grad_fn)


def scn_graph_deep_network(torch):
    x = torch.tensor([[1.0, 2.0]])
    w = torch.tensor([[0.5], [-0.5]], requires_grad=True)
    b = torch.tensor([0.1], requires_grad=True)
    y = torch.tanh(x @ w + b).mean()
    return tree(y.grad_fn)


def scn_graph_cat_with_constant(torch):
    a = torch.tensor([1.0], requires_grad=True)
    c = torch.tensor([2.0])
    b = torch.tensor([3.0], requires_grad=True)
    y = torch.cat([a, c, b])
    return tree(y.grad_fn)


def scn_graph_nonleaf_edges(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y * y
    return {"tree": tree(z.grad_fn), "same": z.grad_fn.next_functions[0][0] is y.grad_fn}


def scn_graph_no_grad_fn_for_constants(torch):
    c = torch.tensor([1.0, 2.0])
    y = (c * 2).sum()
    return {"y": y.grad_fn, "c": c.grad_fn}


# --------------------------------------------------------------------------------------
# backward
# --------------------------------------------------------------------------------------


def scn_backward_scalar_no_gradient(torch):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x**2).sum().backward()
    return grad(x)


def scn_backward_seed000_Q(torch):
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    Q = 3 * a**3 - b**2
    external_grad = torch.tensor([1.0, 1.0])
    Q.backward(gradient=external_grad)
    return {"a": repr(a.grad), "b": repr(b.grad), "Q": repr(Q)}


def scn_backward_seed000_weighted_gradient(torch):
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    Q = 3 * a**3
    Q.backward(gradient=torch.tensor([1.0, 2.0]))
    return grad(a)


def scn_backward_seed000_chain_rule(torch):
    x = torch.ones(2, 2, requires_grad=True)
    shown = repr(x)
    y = x * 2
    z = y * y
    z.sum().backward()
    return {"x": shown, "x.grad": repr(x.grad)}


def scn_backward_gradient_2d(torch):
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * x
    y.backward(torch.tensor([[1.0, 0.0], [0.5, -1.0]]))
    return grad(x)


def scn_backward_gradient_positional(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x.sin()).backward(torch.tensor([2.0, 3.0]))
    return grad(x)


def scn_backward_one_element_non_scalar(torch):
    x = torch.tensor([2.0], requires_grad=True)
    y = x * 3
    y.backward()
    return {"shape": list(y.shape), "grad": grad(x)}


def scn_backward_seed004_gradient_0d(torch):
    x = torch.tensor(1.0, requires_grad=True)
    z = x**3
    z.backward(torch.tensor(3.0))
    return repr(x.grad)


def scn_backward_E3_non_scalar(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    return {
        "mul": catch(lambda: (x * 2).backward()),
        "matrix": catch(lambda: torch.ones(2, 2, requires_grad=True).exp().backward()),
        "grad": x.grad,
    }


def scn_backward_E4_shape_mismatch(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    return {
        "vector": catch(lambda: (x * 2).backward(torch.ones(3))),
        "matrix": catch(lambda: (x * 2).backward(torch.ones(2, 2))),
    }


def scn_backward_E4b_non_tensor_gradient(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    return {
        "autograd_backward": catch(lambda: torch.autograd.backward(y, grad_tensors=[5.0])),
        "method": catch(lambda: y.backward(5.0)),
    }


def scn_backward_E1_no_grad(torch):
    return catch(lambda: torch.tensor([1.0, 2.0]).sum().backward())


def scn_backward_E1_made_under_no_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        y = (x * 2).sum()
    return {"y": desc(y), "E1": catch(lambda: y.backward())}


def scn_backward_E1_seed001(torch):
    x = torch.randn(2, requires_grad=False)
    y = x * 3
    gradients = torch.tensor([100, 0.1], dtype=torch.float)
    return catch(lambda: y.backward(gradients))


def scn_backward_E1_element_index(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    return {
        "second": catch(lambda: torch.autograd.backward([y, torch.tensor(1.0)])),
        "first": catch(lambda: torch.autograd.backward([torch.tensor(1.0), y])),
        "grad": x.grad,
    }


def scn_backward_autograd_backward_function(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y1 = (x * 2).sum()
    y2 = x * x
    torch.autograd.backward([y1, y2], grad_tensors=[torch.tensor(1.0), torch.tensor([1.0, 0.5])])
    out = grad(x)
    z = (x**3).sum()
    torch.autograd.backward(z)
    return [out, grad(x)]


def scn_backward_inputs_filter(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    return {"x": grad(x), "w": grad(w)}


def scn_backward_same_input_twice(torch):
    x = torch.tensor([1.5, -2.0], requires_grad=True)
    (x * x * x).sum().backward()
    return grad(x)


def scn_backward_diamond(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a.exp()
    c = a.sin()
    (b + c * a).sum().backward()
    return grad(x)


def scn_backward_result_is_none(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    r = (x * 2).sum().backward()
    return r


def scn_backward_only_reachable_leaves(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    unused = w * 2  # noqa: F841 - w is part of another graph
    (x * 5).sum().backward()
    return {"x": grad(x), "w": grad(w)}


def scn_backward_float64(torch):
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (x.exp() * x).sum().backward()
    return {"grad": grad(x), "dtype": str(x.grad.dtype)}


def scn_backward_mixed_dtype_chain(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * torch.tensor([2.0, 3.0], dtype=torch.float64)
    y.sum().backward()
    return {"y": desc(y), "grad": grad(x), "dtype": str(x.grad.dtype)}


def scn_backward_seed004_rnn_step(torch):
    torch.manual_seed(0)
    W_h = torch.randn(20, 20, requires_grad=True)
    W_x = torch.randn(20, 10, requires_grad=True)
    x = torch.randn(1, 10)
    prev_h = torch.randn(1, 20)
    h2h = torch.mm(W_h, prev_h.t())
    i2h = torch.mm(W_x, x.t())
    next_h = h2h + i2h
    next_h = next_h.tanh()
    loss = next_h.sum()
    loss.backward()
    expected = torch.mm(1 - next_h.detach() ** 2, x)
    return {
        "names": [fname(t) for t in (h2h, i2h, next_h, loss, prev_h.t())],
        "shapes": [list(t.shape) for t in (h2h, next_h, W_h.grad, W_x.grad)],
        "x_grad": x.grad,
        "W_x_grad_ok": (W_x.grad - expected).abs().max().item() < 1e-5,
    }


# --------------------------------------------------------------------------------------
# accumulation, retain_graph and freed graphs
# --------------------------------------------------------------------------------------


def scn_accumulate_two_calls(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    first = grad(x)
    (x * 3).sum().backward()
    return [first, grad(x)]


def scn_accumulate_zero_and_none(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    g = x.grad
    x.grad.zero_()
    zeroed = grad(x)
    (x * x).sum().backward()
    same_object = x.grad is g
    after = grad(x)
    x.grad = None
    (x * 3).sum().backward()
    return [zeroed, after, same_object, grad(x)]


def scn_accumulate_assigned_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.grad = torch.tensor([10.0, 20.0])
    (x * 2).sum().backward()
    return grad(x)


def scn_accumulate_E21_wrong_size(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    def assign():
        x.grad = torch.ones(3)

    return {"E21": catch(assign), "grad": x.grad}


def scn_accumulate_different_graphs(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.exp().sum().backward()
    (x**2).sum().backward()
    return grad(x)


def scn_retain_E2_second_backward_mul(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    return {"E2": catch(lambda: y.backward()), "grad": grad(x)}


def scn_retain_E2_sigmoid(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid().sum()
    y.backward()
    return catch(lambda: y.backward())


def scn_retain_E2_seed001_scalar_mul(torch):
    # seed 001: y = x*3 saves the scalar, so a second backward fails
    x = torch.randn(2, requires_grad=True)
    y = x * 3
    gradients = torch.tensor([100, 0.1], dtype=torch.float)
    y.backward(gradients)
    first = repr(x.grad)
    return {"first": first, "E2": catch(lambda: y.backward(gradients)), "after": repr(x.grad)}


def scn_retain_E2b_nothing_saved(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    second = catch(lambda: y.backward())
    return {"second": second, "grad": grad(x)}


def scn_retain_E2b_sum_only(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x - 3).sum()
    y.backward()
    y.backward()
    y.backward()
    return grad(x)


def scn_retain_seed001_retain_graph(torch):
    x = torch.randn(2, requires_grad=True)
    y = x * 3
    gradients = torch.tensor([100, 0.1], dtype=torch.float)
    y.backward(gradients, retain_graph=True)
    first = repr(x.grad)
    y.backward(gradients)
    return [first, repr(x.grad)]


def scn_retain_twice_then_free(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    third = grad(x)
    return {"third": third, "fourth": catch(lambda: y.backward())}


def scn_retain_two_heads(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x.tanh()
    loss1 = (h * 2).sum()
    loss2 = (h * h).sum()
    loss1.backward(retain_graph=True)
    loss2.backward()
    return grad(x)


def scn_retain_summed_losses(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x.tanh()
    total = (h * 2).sum() + (h * h).sum()
    total.backward()
    return grad(x)


def scn_retain_autograd_grad_frees(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    (g,) = torch.autograd.grad(y, x)
    return {"g": val(g), "E2": catch(lambda: y.backward())}


def scn_retain_autograd_grad_retain(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    g1 = torch.autograd.grad(y, x, retain_graph=True)[0]
    g2 = torch.autograd.grad(y, x)[0]
    return [val(g1), val(g2), x.grad]


def scn_retain_shared_subgraph_freed(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    (h * 2).sum().backward()
    # exp's saved result was freed by the first backward
    return catch(lambda: (h * 3).sum().backward())


# --------------------------------------------------------------------------------------
# create_graph and higher order
# --------------------------------------------------------------------------------------


def scn_higher_grad_of_grad(torch):
    x = torch.tensor(3.0, requires_grad=True)
    (g,) = torch.autograd.grad(x**3, x, create_graph=True)
    shown = repr(g)
    flags = (g.requires_grad, g.is_leaf)
    (h,) = torch.autograd.grad(g, x)
    return {"g": shown, "flags": flags, "h": repr(h), "h_rg": h.requires_grad}


def scn_higher_backward_create_graph(torch):
    x = torch.tensor(3.0, requires_grad=True)
    y = x**3
    _, ws = record(lambda: y.backward(create_graph=True))
    first = repr(x.grad)
    flags = (x.grad.requires_grad, x.grad.is_leaf)
    x.grad.backward()
    # W2 is issued once per process; see scn_higher_W2_create_graph_warning
    others = [w for w in ws if not w[1].startswith("Using backward() with create_graph=True")]
    return {"other_warnings": others, "first": first, "flags": flags, "after": x.grad.item()}


_W2_PROGRAM = """
import json, warnings
import {module} as torch

def warned(fn):
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        fn()
    return [(w.category.__name__, str(w.message).split(". ")[0]) for w in ws]

x = torch.tensor(3.0, requires_grad=True)
first = warned(lambda: (x**3).backward(create_graph=True))
second = warned(lambda: (x**2).backward(create_graph=True))
print(json.dumps({{"first": first, "second": second, "grad": x.grad.item()}}))
"""


def scn_higher_W2_create_graph_warning(torch):
    # PyTorch issues W2 once per process (TORCH_WARN_ONCE): observe a fresh interpreter.
    import json
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(torch.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-c", _W2_PROGRAM.format(module=torch.__name__)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if proc.returncode:
        raise RuntimeError(f"child failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scn_higher_third_derivative(torch):
    x = torch.tensor(2.0, requires_grad=True)
    y = x**4
    (g1,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(g1, x, create_graph=True)
    (g3,) = torch.autograd.grad(g2, x)
    return [g1.item(), g2.item(), g3.item()]


def scn_higher_sin_second(torch):
    x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad(x.sin().sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    return {"g": val(g), "h": val(h), "g_fn": fname(g)}


def scn_higher_tanh_second(torch):
    x = torch.tensor([0.3, -0.7], requires_grad=True)
    (g,) = torch.autograd.grad(x.tanh().sum(), x, create_graph=True)
    g.sum().backward()
    return {"g": val(g), "xgrad": grad(x)}


def scn_higher_hessian_vector(torch):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = torch.tensor([1.0, 0.5, -1.0])
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    (hv,) = torch.autograd.grad((g * v).sum(), x)
    return {"g": val(g), "hv": val(hv)}


def scn_higher_mixed_partial(torch):
    x = torch.tensor(1.5, requires_grad=True)
    y = torch.tensor(2.0, requires_grad=True)
    f = x * y**2
    gx, gy = torch.autograd.grad(f, (x, y), create_graph=True)
    (gxy,) = torch.autograd.grad(gx, y, retain_graph=True)
    gyx, gyy = torch.autograd.grad(gy, (x, y))
    return [gx.item(), gy.item(), gxy.item(), gyx.item(), gyy.item()]


def scn_higher_no_create_graph(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad((x**2).sum(), x)
    return desc(g)


def scn_higher_matmul_second(torch):
    w = torch.tensor([[1.0, 2.0], [3.0, -1.0]], requires_grad=True)
    x = torch.tensor([0.5, -1.5])
    y = ((w @ x).tanh() ** 2).sum()
    (g,) = torch.autograd.grad(y, w, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), w)
    return {"g": val(g), "h": val(h)}


# --------------------------------------------------------------------------------------
# torch.autograd.grad
# --------------------------------------------------------------------------------------


def scn_agrad_returns_tuple_no_accumulate(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    r = torch.autograd.grad((x * 2).sum(), x)
    return {"type": type(r).__name__, "len": len(r), "g": val(r[0]), "x.grad": x.grad}


def scn_agrad_multiple_inputs(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, -1.0], requires_grad=True)
    gx, gw = torch.autograd.grad((x * w).exp().sum(), [x, w])
    return [val(gx), val(gw)]


def scn_agrad_grad_outputs(torch):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x**2
    (g,) = torch.autograd.grad(y, x, grad_outputs=torch.tensor([1.0, 0.0, 2.0]))
    return val(g)


def scn_agrad_grad_outputs_list(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y1 = x * 2
    y2 = x.exp()
    (g,) = torch.autograd.grad(
        [y1, y2], [x], grad_outputs=[torch.tensor([1.0, 1.0]), torch.tensor([0.5, 2.0])]
    )
    return val(g)


def scn_agrad_allow_unused(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    gx, gz = torch.autograd.grad(y, [x, z], allow_unused=True)
    return [val(gx), gz]


def scn_agrad_E11_unused(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = torch.tensor([1.0, 2.0], requires_grad=True)
    return catch(lambda: torch.autograd.grad((x * 2).sum(), [x, z]))


def scn_agrad_E11b_input_no_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([1.0])
    return catch(lambda: torch.autograd.grad((x * 2).sum(), [c]))


def scn_agrad_E1_output_no_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        y = (x * 2).sum()
    return catch(lambda: torch.autograd.grad(y, x))


def scn_agrad_E3_non_scalar(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    return catch(lambda: torch.autograd.grad(x * 2, x))


def scn_agrad_wrt_intermediate(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y**2).sum()
    gy, gx = torch.autograd.grad(z, [y, x])
    return [val(gy), val(gx)]


def scn_agrad_partial_derivatives_seed002(torch):
    x = torch.tensor(1.0, requires_grad=True)
    z = torch.tensor(2.0, requires_grad=True)
    y = x**2 + z**3
    y.backward()
    return " ".join(str(t) for t in (x.grad, z.grad))  # print(x.grad, z.grad)


# --------------------------------------------------------------------------------------
# detach, .data, detach_
# --------------------------------------------------------------------------------------


def scn_detach_flags(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    return {"d": desc(d), "y": desc(y), "repr": repr(d)}


def scn_detach_shares_storage(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    d[0] = 100.0
    return {"y": repr(y), "d": repr(d)}


def scn_detach_shares_version(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    before = x._version
    x.detach().add_(1)
    return {"before": before, "after": x._version, "x": repr(x)}


def scn_detach_E6_through_detached(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()
    z = (y * 2).sum()  # sigmoid saved its output y
    y.detach().mul_(2)
    return catch(lambda: z.backward())


def scn_detach_stops_gradient(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y.detach() * x).sum()
    z.backward()
    return grad(x)


def scn_detach_seed004(torch):
    x = torch.tensor(1.0, requires_grad=True)
    first = x.requires_grad
    y = x.detach()
    return [first, y.requires_grad, repr(x.eq(y).all())]


def scn_detach_leaf_then_requires_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach().requires_grad_()
    (d * 3).sum().backward()
    return {"d": grad(d), "x": grad(x), "d_leaf": d.is_leaf}


def scn_data_flags_and_storage(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    flags = (d.requires_grad, d.is_leaf, fname(d))
    d[0] = 5.0
    return {"flags": flags, "x": repr(x), "version": x._version}


def scn_data_silent_change(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()
    z = (y * 1).sum()
    y.data.mul_(0)  # no version bump: the gradient is silently computed from zeros
    z.backward()
    return grad(x)


def scn_data_sgd_update(torch):
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        loss = (w**2).sum()
        loss.backward()
        w.data -= 0.1 * w.grad
        w.grad.zero_()
    return {"w": val(w), "leaf": w.is_leaf, "rg": w.requires_grad}


def scn_detach_inplace_nonleaf(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    r = y.detach_()
    return {"same": r is y, "y": desc(y)}


def scn_detach_inplace_E14_view(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    v = (x * 2)[0:1]
    return catch(lambda: v.detach_())


# --------------------------------------------------------------------------------------
# grad modes
# --------------------------------------------------------------------------------------


def scn_mode_is_grad_enabled_nesting(torch):
    seen = [torch.is_grad_enabled()]
    with torch.no_grad():
        seen.append(torch.is_grad_enabled())
        with torch.enable_grad():
            seen.append(torch.is_grad_enabled())
            with torch.no_grad():
                seen.append(torch.is_grad_enabled())
            seen.append(torch.is_grad_enabled())
        seen.append(torch.is_grad_enabled())
    seen.append(torch.is_grad_enabled())
    return seen


def scn_mode_no_grad_results(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        y = x * 2
        inside = desc(y)
        x_rg = x.requires_grad
    return {"inside": inside, "x_rg": x_rg, "outside": desc(x * 2)}


def scn_mode_seed000_no_grad(torch):
    x = torch.ones(2, 2, requires_grad=True)
    y = x * 2
    out = [y.requires_grad]
    with torch.no_grad():
        y = x * 2
        out.append(y.requires_grad)
    return out


def scn_mode_seed002_no_grad(torch):
    x = torch.tensor(1.0, requires_grad=True)
    out = [x.requires_grad]
    with torch.no_grad():
        out.append(x.requires_grad)
        out.append((x**2).requires_grad)
    out.append(x.requires_grad)
    return out


def scn_mode_seed004_no_grad(torch):
    x = torch.tensor(1.0, requires_grad=True)
    y = x * 2
    out = [y.requires_grad]
    with torch.no_grad():
        y = x * 2
    out.append(y.requires_grad)
    return out


def scn_mode_enable_grad_inside_no_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        with torch.enable_grad():
            y = x * 2
        z = x * 2
    y.sum().backward()
    return {"y": desc(y), "z": desc(z), "grad": grad(x)}


def scn_mode_set_grad_enabled_context(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    with torch.set_grad_enabled(False):
        seen.append(torch.is_grad_enabled())
        a = x * 2
        with torch.set_grad_enabled(True):
            seen.append(torch.is_grad_enabled())
            b = x * 2
    seen.append(torch.is_grad_enabled())
    return {"seen": seen, "a": a.requires_grad, "b": fname(b)}


def scn_mode_set_grad_enabled_call(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    try:
        torch.set_grad_enabled(False)
        off = torch.is_grad_enabled()
        y = x * 2
    finally:
        torch.set_grad_enabled(True)
    return {"off": off, "y": y.requires_grad, "on": torch.is_grad_enabled()}


def scn_mode_set_grad_enabled_decorator(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    @torch.set_grad_enabled(False)
    def f(t):
        return t * 2, torch.is_grad_enabled()

    before = torch.is_grad_enabled()
    y, inside = f(x)
    return {"before": before, "inside": inside, "after": torch.is_grad_enabled(), "y": desc(y)}


def scn_mode_no_grad_decorator_parens(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    @torch.no_grad()
    def f(t):
        """Doc."""
        return t * 2

    y = f(x)
    return {"y": desc(y), "name": f.__name__, "doc": f.__doc__, "mode": torch.is_grad_enabled()}


def scn_mode_no_grad_decorator_bare(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    @torch.no_grad
    def f(t, k=3):
        return t * k, torch.is_grad_enabled()

    y, inside = f(x, k=4)
    return {"y": desc(y), "inside": inside, "name": f.__name__, "mode": torch.is_grad_enabled()}


def scn_mode_enable_grad_decorator(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    @torch.enable_grad()
    def f(t):
        return t * 2

    @torch.enable_grad
    def g(t):
        return t * 3

    with torch.no_grad():
        y = f(x)
        z = g(x)
        mode = torch.is_grad_enabled()
    return {"y": fname(y), "z": fname(z), "mode": mode}


def scn_mode_decorator_reusable(torch):
    x = torch.tensor([1.0], requires_grad=True)

    @torch.no_grad()
    def f(t):
        return t + 1

    return [f(x).requires_grad, f(x).requires_grad, (x + 1).requires_grad]


def scn_mode_factories_under_no_grad(torch):
    with torch.no_grad():
        a = torch.ones(2, requires_grad=True)
        b = torch.tensor([1.0], requires_grad=True)
        c = torch.zeros(2)
    return [(a.requires_grad, a.is_leaf), (b.requires_grad, b.is_leaf), c.requires_grad]


def scn_mode_restored_after_exception(torch):
    def boom():
        with torch.no_grad():
            raise ValueError("boom")

    err = catch(boom)
    return {"err": err, "mode": torch.is_grad_enabled()}


def scn_mode_inplace_leaf_under_no_grad(torch):
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    (a * a).sum().backward()
    with torch.no_grad():
        a -= 0.5 * a.grad
        a.add_(1)
        a.mul_(2)
    a.grad = None
    (a * a).sum().backward()
    return {"a": desc(a), "version": a._version, "grad": grad(a)}


def scn_mode_function_under_no_grad(torch):
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        y = Double.apply(x)
    return desc(y)


# --------------------------------------------------------------------------------------
# in-place ops and the version counter
# --------------------------------------------------------------------------------------


def scn_inplace_E5_leaf_ops(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    def iadd():
        nonlocal x
        x += 1

    def isub():
        nonlocal x
        x -= 1

    out = {
        "add_": catch(lambda: x.add_(1)),
        "sub_": catch(lambda: x.sub_(1)),
        "mul_": catch(lambda: x.mul_(2)),
        "zero_": catch(lambda: x.zero_()),
        "+=": catch(iadd),
        "-=": catch(isub),
    }
    out["x"] = repr(x)
    out["version"] = x._version
    return out


def scn_inplace_E5b_view_of_leaf(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    def setitem():
        x[0] = 5.0

    return {
        "setitem": catch(setitem),
        "slice_mul_": catch(lambda: x[0:1].mul_(2)),
        "x": repr(x),
    }


def scn_inplace_nonleaf_add(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    r = y.add_(1)
    same = r is y
    y.sum().backward()
    return {"same": same, "y": desc(y), "grad": grad(x)}


def scn_inplace_nonleaf_iadd_isub(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y += 1
    n1 = fname(y)
    y -= x
    n2 = fname(y)
    y.sum().backward()
    return {"names": [n1, n2], "value": val(y), "grad": grad(x)}


def scn_inplace_nonleaf_mul(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x + 1
    y.mul_(x)
    y.sum().backward()
    return {"fn": fname(y), "value": val(y), "grad": grad(x)}


def scn_inplace_nonleaf_zero(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.zero_()
    (y + x).sum().backward()
    return {"fn": fname(y), "value": val(y), "grad": grad(x)}


def scn_inplace_nonleaf_setitem(torch):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y[0] = 5.0
    out = {"repr": repr(y), "type": type(y.grad_fn).__name__, "name": y.grad_fn.name()}
    y.sum().backward()
    out["grad"] = grad(x)
    return out


def scn_inplace_setitem_tensor_value(torch):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = torch.tensor(4.0, requires_grad=True)
    y = x * 1
    y[1] = w * 2
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    return {"x": grad(x), "w": grad(w), "y": val(y)}


def scn_inplace_version_counter(torch):
    x = torch.tensor([1.0, 2.0])
    seen = [x._version]
    x.add_(1)
    seen.append(x._version)
    x.mul_(2)
    seen.append(x._version)
    x[0] = 3.0
    seen.append(x._version)
    x -= 1
    seen.append(x._version)
    y = x + 1
    seen.append(y._version)
    return {"versions": seen, "x": val(x)}


def scn_inplace_E6_sigmoid_output(torch):
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a.sigmoid()
    c = b * 2
    b.mul_(3)
    return catch(lambda: c.sum().backward())


def scn_inplace_E6_mul_input(torch):
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b * b
    b.add_(1)
    return catch(lambda: c.sum().backward())


def scn_inplace_E6_leaf_constant(torch):
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    k = torch.tensor([[3.0, 4.0], [5.0, 6.0]])
    c = a * k
    k.add_(1)
    return catch(lambda: c.sum().backward())


def scn_inplace_E6_exp_double(torch):
    a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    b = a.exp()
    b += 1
    return catch(lambda: b.sum().backward())


def scn_inplace_E6_tanh_twice(torch):
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a.tanh()
    c = b.sum()
    b.add_(1)
    b.add_(1)
    return catch(lambda: c.backward())


def scn_inplace_no_E6_when_not_saved(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x + 1
    z = (y + 2).sum()
    y.add_(10)
    z.backward()
    return grad(x)


def scn_inplace_no_E6_scalar_mul(torch):
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b * 3  # only the scalar 3 is saved
    b.add_(1)
    c.sum().backward()
    return grad(a)


def scn_inplace_grad_after_inplace_chain(torch):
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    y = x.exp()
    z = y * 1
    z.mul_(2)
    z.add_(x)
    z.sum().backward()
    return {"z": desc(z), "grad": grad(x)}


# --------------------------------------------------------------------------------------
# retain_grad and the non-leaf .grad warning
# --------------------------------------------------------------------------------------


def scn_retain_grad_nonleaf(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    g, ws = nonleaf_grad(y)
    return {"grad": g, "warnings": ws, "retains_grad": y.retains_grad, "x": grad(x)}


def scn_retain_grad_accumulates(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    b = x * 2
    b.retain_grad()
    (b * b).sum().backward(retain_graph=True)
    first = val(b.grad)
    (b * b).sum().backward()
    return [first, val(b.grad)]


def scn_retain_grad_leaf_noop(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    return {"retains_grad": x.retains_grad, "grad": grad(x)}


def scn_retain_grad_E9(torch):
    return catch(lambda: torch.tensor([1.0]).retain_grad())


def scn_retain_grad_W1_warning(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    z.backward()
    return {"y": nonleaf_grad(y), "z": nonleaf_grad(z), "retains": y.retains_grad}


def scn_retain_grad_W1_seed001(torch):
    x = torch.randn(2, requires_grad=True)
    y = x * 3
    gradients = torch.tensor([100, 0.1], dtype=torch.float)
    y.backward(gradients)
    g, ws = nonleaf_grad(y)
    return {"x": repr(x.grad), "y": g, "warnings": ws}


def scn_retain_grad_after_hook(torch):
    out = []
    for order in ("hook_first", "retain_first"):
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        b = x * 2
        if order == "hook_first":
            b.register_hook(lambda g: g * 100)
            b.retain_grad()
        else:
            b.retain_grad()
            b.register_hook(lambda g: g * 100)
        b.sum().backward()
        out.append([val(b.grad), grad(x)])
    return out


def scn_retain_grad_seed002(torch):
    torch.manual_seed(0)
    x = torch.randn(2, 2, requires_grad=True)
    y = x + 2
    z = (y * y).sum()
    z.backward()
    ok = (x.grad - 2 * y.detach()).abs().max().item() < 1e-6
    return {
        "y": fname(y),
        "z": fname(z),
        "ok": ok,
        "y.grad": nonleaf_grad(y),
        "z.grad": nonleaf_grad(z),
    }


def scn_retain_grad_seed002_backward_with_tensor(torch):
    torch.manual_seed(0)
    x = torch.randn(2, 2, requires_grad=True)
    y = x + 2
    z = y * y
    y.backward(z)
    return (x.grad - z.detach()).abs().max().item() < 1e-6


# --------------------------------------------------------------------------------------
# tensor hooks
# --------------------------------------------------------------------------------------


def scn_hook_replaces_leaf_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    return grad(x)


def scn_hook_on_nonleaf_flows_down(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()
    return grad(x)


def scn_hook_observes(torch):
    seen = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.register_hook(lambda g: seen.append(("y", val(g))))
    x.register_hook(lambda g: seen.append(("x", val(g))))
    (y * torch.tensor([2.0, 3.0])).sum().backward()
    return seen


def scn_hook_chain_order(torch):
    seen = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1

    def h1(g):
        seen.append(("h1", val(g)))

    def h2(g):
        seen.append(("h2", val(g)))
        return g * 10

    def h3(g):
        seen.append(("h3", val(g)))

    for h in (h1, h2, h3):
        y.register_hook(h)
    y.sum().backward()
    return {"seen": seen, "grad": grad(x)}


def scn_hook_handle_remove(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 2)
    (x * 1).sum().backward()
    first = grad(x)
    h.remove()
    h.remove()  # removing twice is fine
    x.grad = None
    (x * 1).sum().backward()
    return {"first": first, "second": grad(x), "type": type(h).__name__}


def scn_hook_handle_context_manager(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with x.register_hook(lambda g: g * 5):
        (x * 1).sum().backward()
    first = grad(x)
    x.grad = None
    (x * 1).sum().backward()
    return [first, grad(x)]


def scn_hook_E10_no_grad(torch):
    return catch(lambda: torch.tensor([1.0]).register_hook(lambda g: g))


def scn_hook_E15_size(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: torch.ones(3))
    return catch(lambda: y.sum().backward())


def scn_hook_E15_named_function(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    def grow(g):
        return torch.ones(2, 2)

    x.register_hook(grow)
    return catch(lambda: (x * 2).sum().backward())


def scn_hook_E15b_non_tensor(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: 3)
    return catch(lambda: y.sum().backward())


def scn_hook_runs_once_per_backward(torch):
    calls = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: calls.append(val(g)))
    (y * y + y.exp() + y).sum().backward()
    return {"calls": calls, "grad": grad(x)}


def scn_hook_leaf_sees_new_grad_only(torch):
    seen = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: seen.append(val(g)))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    return {"seen": seen, "grad": grad(x)}


def scn_hook_inplace_modification(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3

    def h(g):
        g.mul_(2)

    y.register_hook(h)
    (y * torch.tensor([1.0, 2.0])).sum().backward()
    return grad(x)


def scn_hook_on_autograd_grad(torch):
    seen = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: seen.append(val(g)) or g * 0.5)
    (g,) = torch.autograd.grad((y * y).sum(), x)
    return {"seen": seen, "g": val(g), "x.grad": x.grad}


# --------------------------------------------------------------------------------------
# custom autograd.Function
# --------------------------------------------------------------------------------------


def _legendre(torch):
    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input**3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input**2 - 1)

    return LegendrePolynomial3


def scn_function_legendre_seed003(torch):
    P3 = _legendre(torch).apply
    x = torch.tensor([-1.0, -0.25, 0.5, 2.0], requires_grad=True)
    y = P3(x)
    out = {"y": desc(y), "repr": repr(y)}
    y.sum().backward()
    out["grad"] = grad(x)
    return out


def scn_function_legendre_in_expression(torch):
    P3 = _legendre(torch).apply
    x = torch.linspace(-1, 1, 5)
    a = torch.full((), 0.0, requires_grad=True)
    b = torch.full((), -1.0, requires_grad=True)
    c = torch.full((), 0.0, requires_grad=True)
    d = torch.full((), 0.3, requires_grad=True)
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - x.sin()).pow(2).sum()
    loss.backward()
    return {"loss": loss.item(), "grads": [t.grad.item() for t in (a, b, c, d)]}


def _seed003_training(torch, steps):
    P3 = _legendre(torch).apply
    dtype = torch.float
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    losses = []
    for t in range(steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {
        "losses": losses,
        "falling": all(p > q for p, q in zip(losses, losses[1:])),
        "params": [t.item() for t in (a, b, c, d)],
        "leaves": [(t.is_leaf, t.requires_grad) for t in (a, b, c, d)],
    }


@tolerance(1e-4, 1e-6)
def scn_function_seed003_training_500(torch):
    return _seed003_training(torch, 500)


@tolerance(1e-4, 1e-6)
def scn_function_seed003_training_full(torch):
    return _seed003_training(torch, 2000)


scn_function_seed003_training_full.slow = True


def scn_function_name_and_edges(torch):
    class MyMul(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([3.0, 4.0])
    y = MyMul.apply(x, c)
    out = {
        "repr": repr(y),
        "name": y.grad_fn.name(),
        "type": type(y.grad_fn).__name__,
        "tree": tree(y.grad_fn),
    }
    y.sum().backward()
    out["grad"] = grad(x)
    return out


def scn_function_non_tensor_argument(torch):
    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            ctx.k = k
            return a * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x, 2.5)
    edges = [(None if n is None else n.name(), nr) for n, nr in y.grad_fn.next_functions]
    y.sum().backward()
    return {"edges": edges, "grad": grad(x)}


def scn_function_saved_tensors_and_needs_input_grad(torch):
    seen = {}

    class Affine(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen["forward_needs"] = tuple(ctx.needs_input_grad)
            seen["forward_mode"] = torch.is_grad_enabled()
            ctx.save_for_backward(a, b)
            ctx.k = k
            return a * b + k

        @staticmethod
        def backward(ctx, g):
            saved = ctx.saved_tensors
            seen["saved_type"] = type(saved).__name__
            seen["saved"] = [val(t) for t in saved]
            seen["backward_needs"] = tuple(ctx.needs_input_grad)
            seen["backward_mode"] = torch.is_grad_enabled()
            a, b = saved
            return g * b, g * a, None

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([3.0, 4.0])
    y = Affine.apply(x, c, 3)
    y.sum().backward()
    seen["grad"] = grad(x)
    seen["y"] = val(y)
    return seen


def scn_function_returns_none_for_constant(torch):
    class Mix(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + 2 * b

        @staticmethod
        def backward(ctx, g):
            return g, None

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([1.0, 1.0], requires_grad=True)
    Mix.apply(x, w).sum().backward()
    return {"x": grad(x), "w": grad(w)}


def scn_function_two_outputs(torch):
    class SinCos(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a.sin(), a.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            (a,) = ctx.saved_tensors
            return gs * a.cos() - gc * a.sin()

    x = torch.tensor([0.5, 1.0], requires_grad=True)
    s, c = SinCos.apply(x)
    (s * 2 + c * 3).sum().backward()
    return {"s": fname(s), "c": fname(c), "same_node": s.grad_fn is c.grad_fn, "grad": grad(x)}


def scn_function_E16_wrong_count(torch):
    class F18(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    return catch(lambda: F18.apply(x, x).sum().backward())


def scn_function_E17_no_backward(torch):
    class NoBack(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = NoBack.apply(x)
    return {"name": fname(y), "err": catch(lambda: y.sum().backward())}


def scn_function_E18_instantiate(torch):
    class F18(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    f, ws = record(F18)
    return {"warnings": ws, "call": catch(lambda: f(x))}


def scn_function_no_input_requires_grad(torch):
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Double.apply(torch.tensor([1.0, 2.0]))
    return desc(y)


def scn_function_saved_tensors_freed(torch):
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x).sum()
    y.backward()
    first = grad(x)
    return {"first": first, "E2": catch(lambda: y.backward())}


def scn_function_saved_tensors_retained(torch):
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return grad(x)


def scn_function_E6_saved_input_modified(torch):
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Square.apply(h).sum()
    h.add_(1)
    return catch(lambda: y.backward())


def scn_function_double_backward(torch):
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a**3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 3 * a**2 * g

    x = torch.tensor(2.0, requires_grad=True)
    (g,) = torch.autograd.grad(Cube.apply(x), x, create_graph=True)
    (h,) = torch.autograd.grad(g, x)
    return [g.item(), h.item(), g.requires_grad]


def scn_function_chained_with_ops(torch):
    P3 = _legendre(torch).apply
    x = torch.tensor([0.2, 0.7], requires_grad=True)
    y = P3(P3(x).tanh() * 2)
    y.sum().backward()
    return {"y": val(y), "grad": grad(x), "tree": tree(y.grad_fn)}


def _dirty(torch):
    class Dirty(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            a.add_(1)
            ctx.mark_dirty(a)
            return a

        @staticmethod
        def backward(ctx, g):
            return g

    return Dirty


def scn_function_mark_dirty_nonleaf(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    r = _dirty(torch).apply(h)
    out = {"same": r is h, "repr": repr(h), "name": fname(h)}
    h.sum().backward()
    out["grad"] = grad(x)
    return out


def scn_function_E5c_mark_dirty_leaf(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    return catch(lambda: _dirty(torch).apply(x))


def scn_function_mark_non_differentiable(torch):
    class Masked(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            mask = (a > 1).float()
            ctx.mark_non_differentiable(mask)
            return a * 2, mask

        @staticmethod
        def backward(ctx, g, g_mask):
            return g * 2

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out, mask = Masked.apply(x)
    (out * mask).sum().backward()
    return {"out": desc(out), "mask": desc(mask), "grad": grad(x)}


def scn_function_E19_once_differentiable(torch):
    from importlib import import_module

    once_differentiable = import_module(torch.__name__ + ".autograd.function").once_differentiable

    class Once(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a**2

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (plain,) = torch.autograd.grad(Once.apply(x).sum(), x)
    z = Once.apply(x)
    (g,) = torch.autograd.grad((z * z).sum(), x, create_graph=True)
    return {
        "plain": val(plain),
        "g": repr(g),
        "E19": catch(lambda: g.sum().backward()),
    }


# optional in PYTORCH_SEMANTICS.md §10: expected to fail until srcad implements it
scn_function_E19_once_differentiable.optional = True


# --------------------------------------------------------------------------------------
# gradcheck
# --------------------------------------------------------------------------------------


def scn_gradcheck_double_function(torch):
    x = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
    return torch.autograd.gradcheck(lambda t: (t.sin() * t).exp(), (x,))


def scn_gradcheck_two_inputs(torch):
    x = torch.tensor([[0.3, -1.2], [0.5, 1.0]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[1.5], [-0.5]], dtype=torch.float64, requires_grad=True)
    return torch.autograd.gradcheck(lambda a, b: torch.tanh(a @ b), (x, w))


def scn_gradcheck_custom_function(torch):
    P3 = _legendre(torch).apply
    x = torch.tensor([-0.5, 0.25, 1.5], dtype=torch.float64, requires_grad=True)
    return torch.autograd.gradcheck(P3, (x,))


def _bad_square(torch):
    class BadSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a**2

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a  # wrong: should be 2 * a * g

    return BadSquare


def scn_gradcheck_wrong_function_raises(torch):
    bad = _bad_square(torch)
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    try:
        torch.autograd.gradcheck(bad.apply, (x,))
    except Exception as e:  # noqa: BLE001
        return {
            "type": type(e).__name__,
            "is_runtime_error": isinstance(e, RuntimeError),
            "first_line": str(e).split("\n")[0],
        }
    return "no exception"


def scn_gradcheck_wrong_function_no_raise(torch):
    bad = _bad_square(torch)
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    return torch.autograd.gradcheck(bad.apply, (x,), raise_exception=False)


def scn_gradcheck_float32_warning(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    _, ws = record(lambda: torch.autograd.gradcheck(lambda t: t * 2, (x,), raise_exception=False))
    return ws[:1]


# --------------------------------------------------------------------------------------
# broadcasting in backward
# --------------------------------------------------------------------------------------


def scn_broadcast_column_plus_row(torch):
    a = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    b = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = a + b
    (y * y).sum().backward()
    shapes = [list(a.grad.shape), list(b.grad.shape)]
    return {"shape": list(y.shape), "a": grad(a), "b": grad(b), "shapes": shapes}


def scn_broadcast_scalar_times_vector(torch):
    s = torch.tensor(2.0, requires_grad=True)
    v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (s * v).sum().backward()
    return {"s": grad(s), "v": grad(v), "s_shape": list(s.grad.shape)}


def scn_broadcast_size_one_dim(torch):
    a = torch.tensor([5.0], requires_grad=True)
    b = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    (a * b).sum().backward()
    return {"a": grad(a), "b": grad(b)}


def scn_broadcast_three_dims(torch):
    a = torch.ones(2, 1, 3, requires_grad=True)
    b = torch.tensor([[1.0], [2.0], [3.0], [4.0]], requires_grad=True)
    y = a * b
    y.sum().backward()
    return {"shape": list(y.shape), "a": grad(a), "b": grad(b)}


def scn_broadcast_division_denominator(torch):
    a = torch.tensor([[2.0, 4.0], [6.0, 8.0]], requires_grad=True)
    b = torch.tensor([2.0, -4.0], requires_grad=True)
    (a / b).sum().backward()
    return {"a": grad(a), "b": grad(b)}


def scn_broadcast_python_scalar_and_0d(torch):
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    s = torch.tensor(3.0, requires_grad=True)
    y = (2.0 * x - s) ** 2 / 4
    y.mean().backward()
    return {"x": grad(x), "s": grad(s)}


# --------------------------------------------------------------------------------------
# edge cases of derivative conventions
# --------------------------------------------------------------------------------------


def scn_edge_relu_at_zero(torch):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    x.relu().sum().backward()
    return grad(x)


def scn_edge_abs_at_zero(torch):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    x.abs().sum().backward()
    return grad(x)


def scn_edge_clamp_at_bounds(torch):
    x = torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clamp(0, 1).sum().backward()
    return grad(x)


def scn_edge_max_ties_spread(torch):
    x = torch.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    return grad(x)


def scn_edge_max_dim_ties_first(torch):
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    r = x.max(dim=1)
    r.values.sum().backward()
    return {"values": val(r.values), "indices": val(r.indices), "grad": grad(x)}


def scn_edge_maximum_ties(torch):
    a = torch.tensor([1.0, 3.0], requires_grad=True)
    b = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.max(a, b).sum().backward()
    return {"a": grad(a), "b": grad(b)}


def scn_edge_sqrt_at_zero(torch):
    x = torch.tensor([0.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()
    return grad(x)


def scn_edge_max_dim_indices(torch):
    x = torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    values, indices = x.max(0)
    mvalues, mindices = torch.min(x, dim=1)
    return {
        "values": desc(values),
        "indices": desc(indices),
        "min": [val(mvalues), val(mindices)],
    }


# --------------------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------------------


def scn_dtype_inference(torch):
    ts = {
        "floats": torch.tensor([1.0, 2.0]),
        "ints": torch.tensor([1, 2]),
        "mixed": torch.tensor([1, 2.0]),
        "bools": torch.tensor([True, False]),
        "scalar_float": torch.tensor(1.5),
        "scalar_int": torch.tensor(3),
        "arange_int": torch.arange(5),
        "arange_float": torch.arange(5.0),
        "linspace": torch.linspace(0, 1, 3),
        "ones": torch.ones(2),
        "full_int": torch.full((2,), 7),
        "full_float": torch.full((2,), 7.0),
    }
    return {k: str(t.dtype) for k, t in ts.items()}


def scn_dtype_aliases(torch):
    return {
        "float": [torch.float == torch.float32, str(torch.float)],
        "double": [torch.double == torch.float64, str(torch.double)],
        "long": [torch.long == torch.int64, str(torch.long)],
        "bool": str(torch.bool),
        "explicit": str(torch.tensor([1, 2], dtype=torch.float).dtype),
        "repr": repr(torch.float32),
    }


def scn_dtype_E8_int_requires_grad(torch):
    return {
        "E8": catch(lambda: torch.tensor([1, 2], requires_grad=True)),
        "E8b": catch(lambda: torch.tensor([1, 2]).requires_grad_()),
        "E8b_bool": catch(lambda: torch.tensor([True]).requires_grad_()),
    }


def scn_dtype_double_and_float(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    d = x.double()
    f = x.float()
    (d * d).sum().backward()
    return {
        "d": desc(d),
        "float_is_self": f is x,
        "grad": grad(x),
        "grad_dtype": str(x.grad.dtype),
        "d_repr": repr(d),
    }


def scn_dtype_promotion(torch):
    i = torch.tensor([1, 2])
    f = torch.tensor([0.5, 1.5])
    d = torch.tensor([1.0, 2.0], dtype=torch.float64)
    return {
        "int*float_scalar": desc(i * 2.5),
        "int+float": desc(i + f),
        "float+double": desc(f + d),
        "int*int": desc(i * 3),
        "int/int": desc(i / 2),
    }


def scn_dtype_float64_factories(torch):
    a = torch.ones(2, dtype=torch.float64)
    b = torch.zeros(2, 2, dtype=torch.double)
    c = torch.full((), 0.3, dtype=torch.float64, requires_grad=True)
    return [repr(a), repr(b), repr(c), str(c.dtype)]


def scn_dtype_from_numpy_array(torch):
    import numpy as np

    return {
        "float64": repr(torch.tensor(np.array([1.0, 2.0]))),
        "float32": repr(torch.tensor(np.array([1.0, 2.0], dtype=np.float32))),
        "int64": repr(torch.tensor(np.array([1, 2]))),
    }


def scn_dtype_comparison_results(torch):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = x > 1.5
    return {"m": desc(m), "repr": repr(m), "eq": repr(x.eq(x).all())}


# --------------------------------------------------------------------------------------
# .item(), .tolist(), .numpy(), shapes
# --------------------------------------------------------------------------------------


def scn_convert_item(torch):
    return {
        "float": torch.tensor(2.5).item(),
        "int": torch.tensor(7).item(),
        "bool": torch.tensor(True).item(),
        "one_elem": torch.tensor([[4.0]]).item(),
        "requires_grad": torch.tensor(1.5, requires_grad=True).item(),
        "types": [type(torch.tensor(v).item()).__name__ for v in (2.5, 7, True)],
    }


def scn_convert_E13_item(torch):
    return {
        "two": catch(lambda: torch.tensor([1.0, 2.0]).item()),
        "six": catch(lambda: torch.ones(2, 3).item()),
        "empty": catch(lambda: torch.tensor([]).item()),
    }


def scn_convert_tolist(torch):
    return {
        "matrix": torch.tensor([[1.0, 2.0], [3.0, 4.0]]).tolist(),
        "scalar": torch.tensor(2.0).tolist(),
        "ints": torch.tensor([1, 2]).tolist(),
        "bools": torch.tensor([True, False]).tolist(),
        "requires_grad": torch.tensor([1.0], requires_grad=True).tolist(),
        "empty": torch.zeros(0, 2).tolist(),
    }


def scn_convert_numpy(torch):
    t = torch.tensor([1.0, 2.0])
    n = t.numpy()
    n[0] = 5.0
    return {"type": type(n).__name__, "dtype": str(n.dtype), "t": repr(t), "n": n.tolist()}


def scn_convert_E12_numpy(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    return {
        "numpy": catch(lambda: x.numpy()),
        "nonleaf": catch(lambda: (x * 2).numpy()),
        "detached": x.detach().numpy().tolist(),
    }


def scn_convert_format_0d(torch):
    t = torch.tensor(1.5)
    return [f"{t:.2f}", f"{t}", str(t)]


def scn_shape_size(torch):
    t = torch.ones(2, 3)
    return {
        "shape": repr(t.shape),
        "size": repr(t.size()),
        "size_dim": t.size(1),
        "size_neg": t.size(-1),
        "str": str(t.shape),
        "index": t.shape[0],
        "len": len(t.shape),
        "tuple": tuple(t.shape),
        "eq_tuple": t.shape == (2, 3),
        "list": list(t.shape),
        "type": type(t.shape).__name__,
        "scalar": repr(torch.tensor(1.0).shape),
        "len_tensor": len(t),
    }


def scn_shape_dim_numel(torch):
    t = torch.ones(2, 3, 4)
    return [t.dim(), t.numel(), torch.tensor(1.0).dim(), torch.tensor(1.0).numel()]


def scn_shape_device(torch):
    t = torch.tensor([1.0, 2.0])
    d = torch.device("cpu")
    u = torch.tensor([1.0], device="cpu")
    return {
        "str": str(t.device),
        "repr": repr(t.device),
        "eq": t.device == d,
        "type": t.device.type,
        "explicit": repr(u),
    }


def scn_shape_torch_size_class(torch):
    s = torch.Size([2, 3])
    return [repr(s), s == torch.ones(2, 3).shape, repr(torch.zeros(0).shape)]


# --------------------------------------------------------------------------------------
# factories
# --------------------------------------------------------------------------------------


def scn_factory_ones_zeros(torch):
    return {
        "ones_varargs": desc(torch.ones(2, 3)),
        "ones_tuple": desc(torch.ones((2, 3))),
        "zeros_list": desc(torch.zeros([3])),
        "ones_0d": desc(torch.ones(())),
        "zeros_int": desc(torch.zeros(2, dtype=torch.int64)),
    }


def scn_factory_full(torch):
    return {
        "float": desc(torch.full((2, 2), 7.0)),
        "int": desc(torch.full((2,), 7)),
        "scalar": desc(torch.full((), 0.3)),
        "bool": desc(torch.full((2,), True)),
    }


def scn_factory_eye(torch):
    return [desc(torch.eye(3)), desc(torch.eye(2, 3))]


def scn_factory_arange(torch):
    return {
        "stop": desc(torch.arange(5)),
        "start_stop": desc(torch.arange(1, 4)),
        "step": desc(torch.arange(0, 1, 0.25)),
        "float_stop": desc(torch.arange(3.0)),
        "negative_step": desc(torch.arange(5, 0, -2)),
    }


def scn_factory_linspace(torch):
    return {
        "unit": desc(torch.linspace(0, 1, 5)),
        "pi": desc(torch.linspace(-math.pi, math.pi, 5)),
        "single": desc(torch.linspace(2, 3, 1)),
        "repr": repr(torch.linspace(-1, 1, 3)),
    }


def scn_factory_like(torch):
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    i = torch.tensor([1, 2])
    return {
        "ones_like": desc(torch.ones_like(x)),
        "zeros_like": desc(torch.zeros_like(x)),
        "ones_like_int": desc(torch.ones_like(i)),
        "zeros_like_dtype": desc(torch.zeros_like(i, dtype=torch.float32)),
    }


def scn_factory_empty_shape(torch):
    e = torch.empty(2, 3)
    f = torch.empty((4,), dtype=torch.float64)
    return [list(e.shape), str(e.dtype), list(f.shape), str(f.dtype), e.requires_grad]


def scn_factory_random_shapes(torch):
    torch.manual_seed(0)
    a = torch.randn(3, 4)
    b = torch.rand(2)
    c = torch.randn((2, 2), dtype=torch.float64)
    d = torch.randn(5, requires_grad=True)
    in_unit = bool(((b >= 0) & (b < 1)).all())
    return {
        "shapes": [list(t.shape) for t in (a, b, c, d)],
        "dtypes": [str(t.dtype) for t in (a, b, c, d)],
        "d": (d.requires_grad, d.is_leaf),
        "rand_in_unit": in_unit,
    }


def scn_factory_manual_seed_reproducible(torch):
    torch.manual_seed(123)
    a = torch.randn(4)
    torch.manual_seed(123)
    b = torch.randn(4)
    c = torch.randn(4)
    return [bool((a == b).all()), bool((a == c).all())]


def scn_factory_tensor_from_nested(torch):
    return {
        "nested": desc(torch.tensor([[1.0, 2.0], [3.0, 4.0]])),
        "tuple": desc(torch.tensor((1.0, 2.0))),
        "scalar": desc(torch.tensor(5.0)),
        "empty": desc(torch.tensor([])),
    }


def scn_factory_tensor_from_tensor_W5(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    t, ws = record(lambda: torch.tensor(x))
    return {"t": desc(t), "warnings": ws}


# --------------------------------------------------------------------------------------
# seed post 001 and 002 printouts
# --------------------------------------------------------------------------------------


def scn_seed001_grad_none_before_backward(torch):
    x = torch.randn(2, requires_grad=True)
    return x.grad


def scn_seed001_grad_fn_names(torch):
    x = torch.randn(2, requires_grad=True)
    y = x * 3
    z = x / 2
    w = x + y
    return [fname(w), fname(y), fname(z)]


def scn_seed002_reprs(torch):
    x1 = torch.ones(2, 2)
    x2 = torch.ones(2, 2, requires_grad=True)
    y1 = x1 + 2
    y2 = x2 + 2
    x = torch.ones(2, 2, requires_grad=True)
    y3 = x * 2
    y4 = x / 2
    return [repr(t) for t in (x1, x2, y1, y2, y3, y4)]


def scn_seed002_polynomial(torch):
    x = torch.tensor(2.0, requires_grad=True)
    y = 9 * x**4 + 2 * x**3 + 3 * x**2 + 6 * x + 1
    y.backward()
    return {"grad": repr(x.grad), "y": repr(y)}


def scn_seed002_mean_example(torch):
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    shown = [repr(x)]
    y = x + 2
    shown.append(repr(y))
    z = 3 * y**2
    shown.append(repr(z))
    out = z.mean()
    shown.append(repr(out))
    out.backward()
    shown.append(repr(x.grad))
    return shown


# --------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------

SCENARIOS = {
    name[len("scn_") :]: fn
    for name, fn in sorted(globals().items())
    if name.startswith("scn_") and callable(fn)
}
