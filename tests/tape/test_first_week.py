"""srcad against PyTorch on what issue 13's programs and a user's first week reach for.

Each scenario takes the module (``torch`` or ``srcad``) and returns plain observations
(values, grads, dtypes, reprs, grad_fn trees, exception type and leading message), and
the two are compared as in ``test_differential.py``.
"""

import warnings

import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is the oracle of the tape tests: pip install torch==2.13.0"
)

import srcad  # noqa: E402

from .scenarios import catch, desc, grad, record, tree, val  # noqa: E402

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__.removeprefix("scn_")] = fn
    return fn


def _functional(t):
    return t.nn.functional


# --------------------------------------------------------------------------------------
# F.linear / nn.Linear: PyTorch's graph (addmm(bias, input, weight.t()) and its views)


def _linear_case(t, shape, with_bias):
    w = t.tensor([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, 1.0]], requires_grad=True)
    b = t.tensor([0.1, -0.2], requires_grad=True)
    n = 1
    for s in shape:
        n *= s
    x = t.arange(n, dtype=t.float32).reshape(shape).sub(3.0).requires_grad_()
    h = t.relu(x)
    y = _functional(t).linear(h, w, b if with_bias else None)
    y.backward(t.ones_like(y) * 0.5)
    return {
        "y": val(y),
        "tree": tree(y.grad_fn),
        "grads": [grad(x), grad(w), grad(b)],
    }


@scenario
def scn_linear_graph(t):
    return [
        _linear_case(t, shape, bias)
        for shape in [(4,), (3, 4), (2, 3, 4)]
        for bias in (True, False)
    ]


@scenario
def scn_nn_linear_addmm_edges(t):
    t.manual_seed(0)
    lin = t.nn.Linear(4, 2)
    with t.no_grad():
        lin.weight.copy_(t.tensor([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, 1.0]]))
        lin.bias.copy_(t.tensor([0.1, -0.2]))
    x = t.tensor([[1.0, -2.0, 3.0, 0.5], [0.0, 1.0, -1.0, 2.0]], requires_grad=True)
    y = lin(t.relu(x))
    nf = y.grad_fn.next_functions
    y.sum().backward()
    return {
        "tree": tree(y.grad_fn),
        "bias_edge_is_bias": nf[0][0].variable is lin.bias,
        "weight_edge": nf[2][0].next_functions[0][0].variable is lin.weight,
        "grads": [grad(x), grad(lin.weight), grad(lin.bias)],
        "no_input_grad": tree(lin(t.ones(2, 4)).grad_fn),
    }


@scenario
def scn_addmm_and_bmm(t):
    b = t.tensor([1.0, 2.0], requires_grad=True)
    m1 = t.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    m2 = t.tensor([[1.0, 0.0], [0.5, -1.0], [2.0, 1.0]], requires_grad=True)
    y = t.addmm(b, m1, m2)
    (y * t.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    scaled = t.addmm(b, m1, m2, beta=0.5, alpha=2.0)
    p = t.arange(12.0).reshape(2, 2, 3).requires_grad_()
    q = t.arange(12.0).reshape(2, 3, 2)
    z = t.bmm(p, q)
    z.sum().backward()
    return {
        "y": desc(y),
        "grads": [grad(b), grad(m1), grad(m2)],
        "scaled": val(scaled),
        "bmm": desc(z),
        "bmm_grad": grad(p),
        "errors": [
            catch(lambda: t.addmm(b, t.ones(3), m2)),
            catch(lambda: t.addmm(b, m1, t.ones(2, 2))),
            catch(lambda: t.bmm(t.ones(2, 3), t.ones(2, 3, 1))),
            catch(lambda: t.bmm(t.ones(2, 2, 3), t.ones(3, 3, 1))),
        ],
    }


# --------------------------------------------------------------------------------------
# to(): keywords PyTorch refuses


@scenario
def scn_to_requires_grad_refused(t):
    a = t.ones(2)
    return [
        catch(lambda: a.to(requires_grad=True), 60),
        catch(lambda: a.to(t.float64, requires_grad=True), 60),
        catch(lambda: a.to("cpu", foo=1), 60),
        str(a.to(t.float64, copy=True, non_blocking=False).dtype),
        str(a.to(dtype=t.int64).dtype),
    ]


# --------------------------------------------------------------------------------------
# out=


@scenario
def scn_out_keyword(t):
    a = t.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = t.tensor([[1.0, 0.0], [0.5, -1.0], [2.0, 1.0]])
    obs = {}
    o = t.empty(2, 2)
    r = t.matmul(a, b, out=o)
    obs["matmul"] = [r is o, val(o)]
    o = t.empty(0)
    t.mm(a, b, out=o)
    obs["resized_empty"] = val(o)
    o = t.empty(5)
    _, ws = record(lambda: t.matmul(a, b, out=o))
    obs["resized_warns"] = [val(o), ws]
    for name in ["add", "sub", "mul", "div", "maximum", "minimum", "pow", "remainder"]:
        o = t.zeros(2, 3)
        r = getattr(t, name)(a, a - 0.5, out=o)
        obs[name] = [r is o, val(o)]
    o = t.empty(2, 3)
    obs["alpha"] = val(t.add(a, 2, alpha=3, out=o))
    o = t.empty(3, dtype=t.float64)
    obs["cast_up"] = [str(t.add(t.ones(3), 1.5, out=o).dtype), val(o)]
    o = t.empty(2, 3, dtype=t.int64)
    obs["cat"] = val(t.cat([t.ones(1, 3), t.zeros(1, 3)], out=t.empty(2, 3)))
    obs["stack"] = val(t.stack([t.ones(3), t.zeros(3)], dim=1, out=t.empty(3, 2)))
    ar = t.ones(2, 3, requires_grad=True)
    obs["errors"] = [
        catch(lambda: t.add(a, a, out=t.empty(2, 3, dtype=t.int64))),
        catch(lambda: t.matmul(a, b, out=t.empty(2, 2, dtype=t.int64))),
        catch(lambda: t.matmul(a, b.double(), out=t.empty(2, 2, dtype=t.float64))),
        catch(lambda: t.add(ar, a, out=t.empty(2, 3))),
        catch(lambda: t.matmul(ar, b, out=t.empty(2, 2))),
        catch(lambda: t.add(a, a, out=[1])),
        catch(lambda: t.add(a, a, out=t.zeros(2, 3, requires_grad=True))),
    ]
    with t.no_grad():
        obs["no_grad"] = t.matmul(ar, b, out=t.empty(2, 2)).requires_grad
    return obs


# --------------------------------------------------------------------------------------
# torch.cuda, torch.accelerator, default device, legacy constructors, Variable


@scenario
def scn_cuda_and_accelerator(t):
    return {
        "cuda": [t.cuda.is_available(), t.cuda.device_count(), t.cuda.is_initialized()],
        "seed": [t.cuda.manual_seed(0), t.cuda.manual_seed_all(0)],
        "accelerator": [
            t.accelerator.is_available(),
            t.accelerator.current_accelerator(),
            t.accelerator.device_count(),
        ],
        "no_index": catch(t.accelerator.current_device_index),
        "tutorial_device": (
            "cuda" if t.cuda.is_available() else "mps" if t.backends.mps.is_available() else "cpu"
        ),
        "backends": [
            t.backends.mps.is_available(),
            t.backends.mps.is_built(),
            t.backends.cudnn.enabled,
            t.backends.cudnn.benchmark,
            t.backends.cudnn.deterministic,
            t.backends.cudnn.is_available(),
            t.backends.cudnn.version(),
        ],
    }


@scenario
def scn_default_device(t):
    obs = [repr(t.get_default_device())]
    t.set_default_device("cpu")
    obs.append(repr(t.get_default_device()))
    obs.append(str(t.ones(2).device))
    t.set_default_device(t.device("cpu"))
    obs.append(str(t.tensor([1.0]).device))
    t.set_default_device(None)
    obs.append(repr(t.get_default_device()))
    return obs


@scenario
def scn_legacy_constructors(t):
    import numpy as np

    obs = {
        "long": desc(t.LongTensor([1, 2])),
        "long_trunc": desc(t.LongTensor([1.7, -2.5])),
        "float": desc(t.FloatTensor([[1, 2], [3, 4]])),
        "double": desc(t.DoubleTensor([1])),
        "from_numpy": desc(t.FloatTensor(np.array([1.0, 2.0]))),
        "sizes": [list(t.LongTensor(2, 3).shape), str(t.FloatTensor(3).dtype)],
        "empty": list(t.FloatTensor().shape),
        "size_obj": list(t.FloatTensor(t.Size([2, 2])).shape),
        "others": [str(t.IntTensor([1]).dtype), str(t.BoolTensor([1, 0]).dtype)],
        "isinstance": [
            isinstance(t.ones(2), t.FloatTensor),
            isinstance(t.ones(2), t.LongTensor),
            isinstance(t.ones(2, dtype=t.long), t.LongTensor),
        ],
        "repr": [repr(t.FloatTensor), t.FloatTensor.__name__, type(t.FloatTensor).__name__],
        "type_as_legacy": str(t.ones(2).type(t.DoubleTensor).dtype),
        "type_name": t.ones(2, dtype=t.int64).type(),
    }
    obs["errors"] = [
        catch(lambda: t.FloatTensor([1, 2], requires_grad=True)),
        catch(lambda: t.FloatTensor("a")),
        catch(lambda: t.LongTensor(2.0)),
        catch(lambda: t.FloatTensor(t.ones(2, dtype=t.long)), 30),
        catch(lambda: t.FloatTensor(-1)),
    ]
    return obs


@scenario
def scn_autograd_variable(t):
    from_t = t.ones(2)
    v = t.autograd.Variable(from_t, requires_grad=True)
    (v * 3).sum().backward()
    x = t.ones(2, requires_grad=True) * 2
    v2 = t.autograd.Variable(x)
    return {
        "v": desc(v),
        "grad": grad(v),
        "source_untouched": from_t.requires_grad,
        "isinstance": isinstance(from_t, t.autograd.Variable),
        "type": type(v).__name__,
        "detached": [v2.grad_fn is None, v2.requires_grad, v2.is_leaf],
        "errors": [
            catch(lambda: t.autograd.Variable([1, 2])),
            catch(lambda: t.autograd.Variable(t.tensor([1, 2]), requires_grad=True)),
        ],
    }


# --------------------------------------------------------------------------------------
# torch.autograd.functional


def _af(t):
    return t.autograd.functional


def _f(a):
    return a**2 * a.sum()


def _g(a, b):
    return a[:2] * b.sum(0), (b @ a[:2]).exp()


def _h(a):
    return (a**3).sum() * a[0]


def _xy(t):
    return t.tensor([1.0, 2.0, 3.0]), t.tensor([[0.5, -1.0], [2.0, 0.25]])


def _vals(obj):
    if isinstance(obj, tuple):
        return ["tuple", [_vals(o) for o in obj]]
    if obj is None:
        return None
    return [obj.tolist(), list(obj.shape), str(obj.dtype), obj.requires_grad]


@scenario
def scn_functional_jacobian(t):
    af, (x, y) = _af(t), _xy(t)
    xr = x.clone().requires_grad_()
    j = af.jacobian(_f, xr, create_graph=True)
    j.sum().backward()
    return {
        "single": _vals(af.jacobian(_f, x)),
        "tuples": _vals(af.jacobian(_g, (x, y))),
        "tuple_in": _vals(af.jacobian(lambda a: a.sin(), (x,))),
        "create_graph": [j.requires_grad, grad(xr)],
        "independent": _vals(af.jacobian(lambda a: t.ones(2), x)),
        "strategy": _vals(af.jacobian(_f, x, vectorize=False, strategy="reverse-mode")),
    }


@scenario
def scn_functional_vjp_jvp(t):
    af, (x, y) = _af(t), _xy(t)
    return {
        "vjp": _vals(af.vjp(_f, x, t.ones(3))),
        "vjp_scalar": _vals(af.vjp(lambda a: (a**3).sum(), x)),
        "vjp_unused": _vals(af.vjp(lambda a, b: (a * 2).sum(), (x, y))),
        "jvp": _vals(af.jvp(_f, x, t.tensor([1.0, 0.0, -1.0]))),
        "jvp_tuples": _vals(af.jvp(_g, (x, y), (t.ones(3), t.ones(2, 2)))),
        "jvp_strict": _vals(af.jvp(_f, x, t.ones(3), strict=True)),
    }


@scenario
def scn_functional_hessian(t):
    af, (x, y) = _af(t), _xy(t)
    v = t.tensor([1.0, 2.0, 0.5])
    return {
        "hessian": _vals(af.hessian(_h, x)),
        "hessian_tuple": _vals(af.hessian(lambda a, b: (a[:2] * b.sum(0)).sum() ** 2, (x, y))),
        "hessian_linear": _vals(af.hessian(lambda a: (a * 2).sum(), x)),
        "hvp": _vals(af.hvp(_h, x, v)),
        "vhp": _vals(af.vhp(_h, x, v)),
        "hvp_graph": _vals(af.hvp(_h, x, v, create_graph=True)),
    }


@scenario
def scn_functional_errors(t):
    af, (x, _) = _af(t), _xy(t)
    return [
        catch(lambda: af.jacobian(lambda a: t.ones(2), x, strict=True)),
        catch(lambda: af.vjp(_f, x)),
        catch(lambda: af.vjp(_f, x, t.ones(2))),
        catch(lambda: af.jacobian(_f, [x])),
        catch(lambda: af.jvp(_f, x)),
        catch(lambda: af.hessian(_f, x)),
        catch(lambda: af.hvp(lambda a: (a**2).sum(), x, t.ones(2))),
        catch(lambda: af.jacobian(_f, (x, 3))),
        catch(lambda: af.vjp(lambda a, b: (a * b).sum(), (x, x), (t.ones(1),))),
        catch(lambda: af.vjp(lambda a: (a, a), x, (t.ones(3),))),
        catch(lambda: af.hessian(lambda a: (a, a), x)),
    ]


# --------------------------------------------------------------------------------------
# Ops a user reaches for in the first week: value, dtype, grad_fn name and input grads
# (each row: the op on a 2x3 float input ``a`` that requires grad and constants ``b``)

A23 = [[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]
B23 = [[1.0, 1.5, -1.0], [2.0, -2.0, 0.5]]

GRAD_ROWS = {
    "topk": lambda t, a, b: a.topk(2).values,
    "topk_small_dim0": lambda t, a, b: t.topk(a, 1, dim=0, largest=False)[0],
    "sort": lambda t, a, b: t.sort(a).values,
    "sort_desc": lambda t, a, b: a.sort(dim=0, descending=True)[0],
    "scatter_src": lambda t, a, b: b.scatter(1, t.tensor([[0], [2]]), a[:, :1]),
    "scatter_value": lambda t, a, b: a.scatter(1, t.tensor([[0, 1], [2, 2]]), 7.0),
    "scatter_add": lambda t, a, b: b.scatter_add(1, t.tensor([[0, 0], [2, 2]]), a[:, :2]),
    "scatter_add_self": lambda t, a, b: a.scatter_add(0, t.tensor([[1, 0, 1]]), b),
    "masked_select": lambda t, a, b: a.masked_select(b > 0),
    "take_along_dim": lambda t, a, b: t.take_along_dim(a, t.tensor([[0], [2]]), dim=1),
    "repeat": lambda t, a, b: a.repeat(2, 1),
    "repeat_3d": lambda t, a, b: a.repeat(2, 1, 2),
    "repeat_interleave": lambda t, a, b: a.repeat_interleave(2, dim=1),
    "repeat_interleave_flat": lambda t, a, b: t.repeat_interleave(a, 2),
    "roll": lambda t, a, b: a.roll(1, 1),
    "roll_flat": lambda t, a, b: t.roll(a, 2),
    "tril": lambda t, a, b: a.tril(),
    "triu_1": lambda t, a, b: t.triu(a, 1),
    "diag_embed": lambda t, a, b: t.diag(a[0]),
    "diagonal": lambda t, a, b: a.diag(),
    "tensor_split": lambda t, a, b: a.tensor_split(2, dim=1)[0],
    "fliplr": lambda t, a, b: a.fliplr(),
    "atan2": lambda t, a, b: t.atan2(a, b),
    "fmod": lambda t, a, b: a.fmod(2),
    "fmod_tensor": lambda t, a, b: t.fmod(a, b),
    "einsum": lambda t, a, b: t.einsum("ij,kj->ik", a, b),
    "einsum_rowdot": lambda t, a, b: t.einsum("ij,ij->i", [a, b]),
    "trace": lambda t, a, b: a[:, :2].trace(),
    "lerp": lambda t, a, b: a.lerp(b, 0.25),
    "addcmul": lambda t, a, b: t.addcmul(a, a, b, value=0.5),
    "addcdiv": lambda t, a, b: t.addcdiv(b, a, b, value=2.0),
    "baddbmm": lambda t, a, b: t.baddbmm(b[None, :, :2], a[None], b.t()[None, :, :2]),
    "dist": lambda t, a, b: t.dist(a, b),
    "diff": lambda t, a, b: t.diff(a, dim=1),
    "diff_2": lambda t, a, b: a.diff(n=2, dim=1, prepend=b[:, :1]),
    "meshgrid": lambda t, a, b: t.meshgrid(a[0], a[1, :2], indexing="ij")[0],
    "meshgrid_xy": lambda t, a, b: t.meshgrid(a[0], a[1, :2], indexing="xy")[1],
}


# PyTorch records einsum as the views and products it decomposes into: its top node
# depends on the equation, so only the values and gradients are compared there.
UNNAMED = {"einsum", "einsum_rowdot"}


def _grad_row(t, op, named):
    a = t.tensor(A23, requires_grad=True)
    b = t.tensor(B23)
    y = op(t, a, b)
    n = y.numel()
    seed = t.arange(1, n + 1, dtype=y.dtype).reshape(y.shape) * 0.5
    y.backward(seed)
    out = desc(y)
    if not named:
        out["grad_fn"] = out["grad_fn"] is not None
    return {"y": out, "grad": grad(a)}


for _name, _op in GRAD_ROWS.items():
    SCENARIOS[f"grad_{_name}"] = lambda t, _op=_op, _n=_name not in UNNAMED: _grad_row(t, _op, _n)


@scenario
def scn_first_week_values(t):
    import numpy as np

    a = t.tensor(A23)
    i = t.tensor([3, 1, 3, 2])
    return {
        "return_types": [type(a.max(1)).__name__, type(a.topk(1)).__name__, repr(a.sort(1))],
        "argsort": val(a.argsort(dim=1, descending=True)),
        "argsort_ties": val(t.tensor([1, 0, 1, 0]).argsort()),
        "sort_ties_desc": val(t.tensor([1, 0, 1, 0]).sort(descending=True).indices),
        "topk_errors": [catch(lambda: a.topk(4)), catch(lambda: a.topk(-1))],
        "nonzero": [val((a > 2).nonzero()), val(t.nonzero(a))],
        "nonzero_tuple": [val(x) for x in a.nonzero(as_tuple=True)],
        "unique": [
            val(t.unique(i)),
            [val(x) for x in i.unique(return_inverse=True, return_counts=True)],
        ],
        "bincount": [val(t.bincount(i)), val(t.bincount(i, minlength=6))],
        "bincount_w": desc(t.bincount(i, weights=t.tensor([0.5, 1.0, 1.0, 2.0]))),
        "bincount_err": catch(lambda: t.bincount(t.tensor([-1]))),
        "isin": val(t.isin(i, t.tensor([2, 3]))),
        "histc": [
            desc(t.histc(t.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)),
            val(t.histc(t.tensor([1.0, 1.0]), 3)),
            val(t.histc(a, bins=5)),
        ],
        "histogram": [val(x) for x in t.histogram(t.tensor([1.0, 2, 5]), 3)],
        "histogram_edges": [
            val(x) for x in t.histogram(t.tensor([1.0, 2, 5]), t.tensor([0.0, 2, 6]))
        ],
        "histogram_w": [
            val(x)
            for x in t.histogram(
                t.tensor([1.0, 2, 5]), 2, weight=t.tensor([1.0, 2, 3]), density=True
            )
        ],
        "histogram_range": [val(x) for x in t.histogram(a, bins=4, range=(0.0, 4.0))],
        "hist_errors": [
            catch(lambda: t.histc(t.tensor([1, 2]))),
            catch(lambda: t.histogram(t.tensor([1, 2]))),
            catch(lambda: t.histc(t.tensor([1.0, 2.0]), 3, 2, 1)),
            catch(lambda: t.histogram(t.tensor([1.0, 2.0]), bins=3, range=(3.0, 1.0))),
        ],
        "scatter_": val(t.zeros(2, 3).scatter_(0, t.tensor([[1, 0, 1]]), 1.0)),
        "scatter_reduce_add": val(
            t.zeros(2, 3).scatter(1, t.tensor([[0, 0]]), t.ones(1, 2), reduce="add")
        ),
        "scatter_errors": [
            catch(lambda: a.scatter(1, t.tensor([0]), 1.0)),
            catch(lambda: a.scatter(1, t.tensor([[0]]), t.ones(1, 1, dtype=t.float64))),
            catch(lambda: a.masked_select(t.tensor([1, 0, 1]))),
            catch(lambda: t.ones(2, requires_grad=True).scatter_(0, t.tensor([0]), 1.0)),
        ],
        "int_ops": [
            desc(t.atan2(t.tensor([1, 2]), t.tensor([2, 2]))),
            desc(t.tensor([5, -5]).fmod(3)),
            desc(t.trace(t.tensor([[1, 2], [3, 4]]))),
            desc(t.tensor([[1, 2], [3, 4]]).repeat(1, 2)),
        ],
        "repeat_interleave_counts": val(t.repeat_interleave(t.tensor([2, 1]))),
        "tensor_split_idx": [val(x) for x in t.arange(5).tensor_split([1, 10, 3])],
        "tensor_split_n": [val(x) for x in t.arange(7).tensor_split(3)],
        "meshgrid_warn": record(lambda: len(t.meshgrid(t.tensor([1, 2]), t.tensor([3]))))[1],
        "shape_errors": [
            catch(lambda: t.diag(t.ones(2, 2, 2))),
            catch(lambda: t.tril(t.ones(2))),
            catch(lambda: t.ones(3).tensor_split(0)),
            catch(lambda: t.ones(2, 3).repeat(2)),
            catch(lambda: t.ones(3).fliplr()),
            catch(lambda: t.trace(t.ones(3))),
            catch(lambda: t.einsum("i,i->", t.ones(2), [1.0, 2.0])),
        ],
        "new": [
            desc(a.new_zeros(2, 2)),
            desc(a.new_ones((1, 2))),
            desc(a.new_full((2,), 3)),
            desc(a.new_tensor([1, 2])),
            desc(t.ones(2, dtype=t.int64).new_tensor([1.5])),
            list(a.new_empty(3).shape),
            desc(a.new_zeros(2, dtype=t.float64, requires_grad=True)),
        ],
        "from_numpy": desc(t.from_numpy(np.array([1, 2]))),
    }


@scenario
def scn_random_fills(t):
    x = t.zeros(1000)
    x.normal_(2.0, 0.5)
    u = t.zeros(1000, dtype=t.float64).uniform_(-1.0, 3.0)
    a = t.ones(3, requires_grad=True)
    y = a * 2
    y.normal_()
    y.sum().backward()
    return {
        "normal": [
            str(x.dtype),
            abs(x.mean().item() - 2.0) < 0.1,
            abs(x.std().item() - 0.5) < 0.1,
        ],
        "uniform": [
            str(u.dtype),
            u.min().item() >= -1.0,
            u.max().item() < 3.0,
            abs(u.mean().item() - 1.0) < 0.2,
        ],
        "grad_fn": y.grad_fn.name(),
        "grad": grad(a),
        "returns_self": x.normal_() is x,
        "errors": [
            catch(lambda: t.ones(2, requires_grad=True).normal_()),
            catch(lambda: t.ones(2).normal_(0, -1.0)),
            catch(lambda: t.ones(2).uniform_(2.0, 1.0)),
        ],
    }


@scenario
def scn_no_grad_module_inference(t):
    t.manual_seed(0)
    model = t.nn.Sequential(t.nn.Linear(3, 4), t.nn.ReLU(), t.nn.Linear(4, 2))
    with t.no_grad():
        for p in model.parameters():
            p.copy_(t.linspace(-1.0, 1.0, p.numel()).reshape(p.shape))
    x = t.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 2.0]])
    with t.no_grad():
        y = model(x)
    z = model(x)

    @t.no_grad()
    def infer(inp):
        return model(inp)

    w = infer(x)
    return {
        "no_grad": desc(y),
        "with_grad": desc(z),
        "decorated": desc(w),
        "params_untouched": [p.grad is None for p in model.parameters()],
        "mode_restored": t.is_grad_enabled(),
    }


@scenario
def scn_overwrites_give_zero_grads(t):
    out = []
    for how in ["fill", "fill_t", "zero", "copy", "copy_sub"]:
        a = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
        v = t.tensor(2.0, requires_grad=True)
        y = a * 2
        if how == "fill":
            y.fill_(1.0)
        elif how == "fill_t":
            y.fill_(v)
        elif how == "zero":
            y.zero_()
        elif how == "copy":
            y.copy_(t.ones(3))
        else:
            y[:2].copy_(t.ones(2))
        (y * t.tensor([1.0, 2.0, 3.0])).sum().backward()
        out.append([how, y.grad_fn.name(), grad(a), grad(v), val(y)])
    return out


LINALG_ROWS = {
    "norm": lambda t, a: t.linalg.norm(a),
    "norm_1": lambda t, a: t.linalg.norm(a[0], 1),
    "vector_norm_dim": lambda t, a: t.linalg.vector_norm(a, dim=1),
    "vector_norm_inf": lambda t, a: t.linalg.vector_norm(a, float("inf")),
    "vector_norm_3": lambda t, a: t.linalg.vector_norm(a, 3),
    "vector_norm_keep": lambda t, a: t.linalg.vector_norm(a, keepdim=True),
    "matrix_norm": lambda t, a: t.linalg.matrix_norm(a),
    "inv": lambda t, a: t.linalg.inv(a),
    "inverse": lambda t, a: t.inverse(a),
    "det": lambda t, a: t.linalg.det(a),
    "torch_det": lambda t, a: t.det(a),
    "solve_vector": lambda t, a: t.linalg.solve(a, a[0] * 2),
    "solve_matrix": lambda t, a: t.linalg.solve(a, a.t()),
    "cholesky": lambda t, a: t.linalg.cholesky(a),
    "pinv": lambda t, a: t.linalg.pinv(a),
}


@scenario
def scn_linalg(t):
    obs = {}
    for name, f in LINALG_ROWS.items():
        a = t.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
        y = f(t, a)
        y.backward(t.ones_like(y))
        obs[name] = [desc(y), grad(a)]
    obs["errors"] = [
        catch(lambda: t.linalg.inv(t.zeros(2, 2))),
        catch(lambda: t.linalg.inv(t.tensor([[1.0, 2.0], [2.0, 4.0]]))),
        catch(lambda: t.linalg.inv(t.ones(2, 3))),
        catch(lambda: t.linalg.det(t.ones(3))),
        catch(lambda: t.linalg.cholesky(-t.eye(2))),
        catch(lambda: t.linalg.solve(t.zeros(2, 2), t.ones(2))),
        isinstance(t.linalg.LinAlgError("x"), RuntimeError),
    ]
    return obs


# --------------------------------------------------------------------------------------
# torch.autograd.profiler


@scenario
def scn_profiler(t):
    prof_mod = t.autograd.profiler
    x = t.ones(3, 3, requires_grad=True)
    w = t.tensor([[0.5, -1.0, 2.0], [1.5, 0.5, -0.5]], requires_grad=True)
    with prof_mod.profile(record_shapes=True) as prof:
        with prof_mod.record_function("my_block"):
            y = (x @ x).relu().sum() + t.nn.functional.linear(x, w).sum()
        y.backward()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8)
    lines = table.splitlines()
    keys = {e.key for e in prof.key_averages()}
    wanted = ["my_block", "aten::matmul", "aten::relu", "aten::sum", "aten::linear", "aten::t"]
    avg = prof.key_averages()[0]
    shaped = prof.key_averages(group_by_input_shape=True).table(row_limit=3)
    with prof_mod.profile(enabled=False) as off:
        (x * 2).sum()
    after = (x * 2).sum()
    return {
        "table": [type(table).__name__, lines[1].split()[:4], lines[-1].split(":")[0]],
        "row_limit": len(lines) <= 8 + 5,
        "keys": [k in keys for k in wanted],
        "backward_nodes": any(k.startswith("autograd::engine::evaluate_function") for k in keys),
        "avg": [type(avg).__name__, avg.count >= 1, avg.cpu_time_total >= avg.self_cpu_time_total],
        "shapes_column": shaped.splitlines()[1].split()[-2:],
        "str": str(prof)[:3],
        "grad": grad(x),
        "disabled": off is None,
        "restored": [desc(after), t.matmul.__name__],
    }


# --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_state():
    yield
    for mod in (torch, srcad):
        mod.set_grad_enabled(True)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_matches_pytorch(name, assert_same):
    fn = SCENARIOS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = fn(torch)
        actual = fn(srcad)
    assert_same(expected, actual, *getattr(fn, "tolerance", ()))
