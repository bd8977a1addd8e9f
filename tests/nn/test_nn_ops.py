"""The NN primitives and their rules, one row per primitive, against PyTorch.

Each row gives the srcad primitive, its arguments, and the same computation in
PyTorch.  The check runs the primitive (forward values), then the tape's backward
function compiled from the rule template (``registry.backward_fn``) with a random
cotangent, and compares both with torch autograd.  Nothing here needs the tape.
"""

import numpy as np
import pytest

from srcad.rules import nn_ops, registry

torch = pytest.importorskip("torch")
tF = torch.nn.functional

rng = np.random.default_rng(0)


def _r(*shape):
    return rng.standard_normal(shape)


def _labels(n, c, *rest):
    return rng.integers(0, c, size=(n, *rest))


X4 = _r(2, 3, 7, 6)
W4 = _r(4, 3, 3, 2)
B4 = _r(4)
X2 = _r(5, 4)
W2 = _r(3, 4)
B2 = _r(3)
Y5 = _labels(5, 4)
Y5_IGN = np.array([0, -100, 3, 1, -100])
CW = np.abs(_r(4)) + 0.1
BN_X = _r(6, 3, 4, 4)
BN_W = _r(3)
BN_B = _r(3)
RM = _r(3)
RV = np.abs(_r(3)) + 0.5
MASK = (rng.random((5, 4)) > 0.3) / 0.7
T = torch.tensor

# (id, primitive, args, kwargs, differentiable arg positions, torch function)
ROWS = [
    ("relu", nn_ops.relu, [X2], {}, [0], lambda x: tF.relu(x)),
    ("sigmoid", nn_ops.sigmoid, [X2], {}, [0], lambda x: torch.sigmoid(x)),
    ("softmax0", nn_ops.softmax, [X2, 0], {}, [0], lambda x, a: tF.softmax(x, a)),
    ("softmax1", nn_ops.softmax, [X4], {"axis": 1}, [0], lambda x, axis: tF.softmax(x, axis)),
    ("log_softmax", nn_ops.log_softmax, [X2, 1], {}, [0], lambda x, a: tF.log_softmax(x, a)),
    ("linear", nn_ops.linear, [X2, W2, B2], {}, [0, 1, 2], tF.linear),
    ("linear_nobias", nn_ops.linear, [X2, W2], {}, [0, 1], tF.linear),
    ("linear_3d", nn_ops.linear, [_r(2, 5, 4), W2, B2], {}, [0, 1, 2], tF.linear),
    ("linear_1d", nn_ops.linear, [_r(4), W2, B2], {}, [0, 1, 2], tF.linear),
    ("conv2d", nn_ops.conv2d, [X4, W4, B4], {}, [0, 1, 2], tF.conv2d),
    (
        "conv2d_stride_pad",
        nn_ops.conv2d,
        [X4, W4, B4, 2, 1],
        {},
        [0, 1, 2],
        lambda x, w, b, s, p: tF.conv2d(x, w, b, s, p),
    ),
    (
        "conv2d_tuple",
        nn_ops.conv2d,
        [X4, W4],
        {"stride": (1, 2), "padding": (2, 0)},
        [0, 1],
        lambda x, w, stride, padding: tF.conv2d(x, w, None, stride, padding),
    ),
    ("max_pool2d", nn_ops.max_pool2d, [X4, 2], {}, [0], tF.max_pool2d),
    (
        "max_pool2d_overlap",
        nn_ops.max_pool2d,
        [X4, 3, 1],
        {},
        [0],
        lambda x, k, s: tF.max_pool2d(x, k, s),
    ),
    (
        "max_pool2d_pad",
        nn_ops.max_pool2d,
        [X4, (3, 2), (2, 1), 1],
        {},
        [0],
        lambda x, k, s, p: tF.max_pool2d(x, k, s, p),
    ),
    ("dropout", nn_ops.dropout, [X2, MASK], {}, [0], lambda x, m: x * m),
    (
        "bn_train_4d",
        nn_ops.batch_norm_train,
        [BN_X, BN_W, BN_B],
        {},
        [0, 1, 2],
        lambda x, w, b: tF.batch_norm(x, None, None, w, b, training=True),
    ),
    (
        "bn_train_2d",
        nn_ops.batch_norm_train,
        [_r(8, 3), BN_W, BN_B, 1e-3],
        {},
        [0, 1, 2],
        lambda x, w, b, e: tF.batch_norm(x, None, None, w, b, training=True, eps=e),
    ),
    (
        "bn_train_noaffine",
        nn_ops.batch_norm_train,
        [BN_X],
        {},
        [0],
        lambda x: tF.batch_norm(x, None, None, training=True),
    ),
    (
        "bn_eval",
        nn_ops.batch_norm_eval,
        [BN_X, RM, RV, BN_W, BN_B],
        {},
        [0, 3, 4],
        lambda x, m, v, w, b: tF.batch_norm(x, m, v, w, b, training=False),
    ),
    ("nll_mean", nn_ops.nll_loss, [tF.log_softmax(T(X2), 1).numpy(), Y5], {}, [0], tF.nll_loss),
    (
        "nll_sum",
        nn_ops.nll_loss,
        [X2, Y5],
        {"reduction": "sum"},
        [0],
        lambda x, y, reduction: tF.nll_loss(x, y, reduction=reduction),
    ),
    (
        "nll_none_weight",
        nn_ops.nll_loss,
        [X2, Y5, CW],
        {"reduction": "none"},
        [0],
        lambda x, y, w, reduction: tF.nll_loss(x, y, w, reduction=reduction),
    ),
    (
        "nll_ignore",
        nn_ops.nll_loss,
        [X2, Y5_IGN, CW],
        {},
        [0],
        lambda x, y, w: tF.nll_loss(x, y, w),
    ),
    ("nll_spatial", nn_ops.nll_loss, [X4, _labels(2, 3, 7, 6)], {}, [0], tF.nll_loss),
    ("ce_mean", nn_ops.cross_entropy, [X2, Y5], {}, [0], tF.cross_entropy),
    (
        "ce_weight_ignore",
        nn_ops.cross_entropy,
        [X2, Y5_IGN, CW],
        {},
        [0],
        lambda x, y, w: tF.cross_entropy(x, y, w),
    ),
    (
        "ce_none",
        nn_ops.cross_entropy,
        [X2, Y5],
        {"reduction": "none"},
        [0],
        lambda x, y, reduction: tF.cross_entropy(x, y, reduction=reduction),
    ),
    ("ce_spatial", nn_ops.cross_entropy, [X4, _labels(2, 3, 7, 6)], {}, [0], tF.cross_entropy),
    ("mse_mean", nn_ops.mse_loss, [X2, _r(5, 4)], {}, [0, 1], tF.mse_loss),
    (
        "mse_sum",
        nn_ops.mse_loss,
        [X2, _r(5, 4)],
        {"reduction": "sum"},
        [0, 1],
        lambda x, y, reduction: tF.mse_loss(x, y, reduction=reduction),
    ),
    (
        "mse_none",
        nn_ops.mse_loss,
        [X2, _r(5, 4)],
        {"reduction": "none"},
        [0, 1],
        lambda x, y, reduction: tF.mse_loss(x, y, reduction=reduction),
    ),
]


def _torch_args(args, diff):
    out = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            t = torch.tensor(a)
            if i in diff:
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_primitive_and_adjoint_match_torch(row):
    _, prim, args, kwargs, diff, torch_fn = row
    result = prim(*args, **kwargs)
    targs = _torch_args(args, diff)
    expected = torch_fn(*targs, **kwargs)
    np.testing.assert_allclose(result, expected.detach().numpy(), rtol=1e-10, atol=1e-12)

    g = rng.standard_normal(np.shape(result))
    (expected * torch.tensor(g)).sum().backward()
    tpl = registry.lookup(prim).adjoint
    bound = tpl.bind(args, kwargs)
    vals = [bound[p] for p in tpl.params]
    needs = tuple(i in diff for i in range(len(tpl.params)))
    grads = registry.backward_fn(prim)(g, result, *vals, needs)
    for i in diff:
        np.testing.assert_allclose(
            grads[i],
            targs[i].grad.numpy(),
            rtol=1e-8,
            atol=1e-10,
            err_msg=f"adjoint of {tpl.params[i]}",
        )
        assert np.shape(grads[i]) == np.shape(args[i])


def test_float32_stays_float32():
    x = X4.astype(np.float32)
    w = W4.astype(np.float32)
    y = nn_ops.conv2d(x, w, B4.astype(np.float32))
    assert y.dtype == np.float32
    assert nn_ops.max_pool2d(y, 2).dtype == np.float32
    assert nn_ops.log_softmax(x, 1).dtype == np.float32
    loss = nn_ops.cross_entropy(X2.astype(np.float32), Y5)
    assert loss.dtype == np.float32
    g = nn_ops.cross_entropy_grad(np.float32(1), X2.astype(np.float32), Y5)
    assert g.dtype == np.float32


def test_dropout_mask_scaling():
    m = nn_ops.dropout_mask((1000,), 0.25, np.random.default_rng(1).random, np.float32)
    assert m.dtype == np.float32
    assert set(np.unique(m)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.15 < np.mean(m == 0) < 0.35
    assert not np.any(nn_ops.dropout_mask((10,), 1.0, np.random.random, np.float32))


# ---------------------------------------------------------------------------
# The same rules inlined by the compiler (source mode) and used in forward mode


def cnn_loss(w, b, fw, fb, x, y):
    h = nn_ops.relu(nn_ops.conv2d(x, w, b, stride=1, padding=1))
    h = nn_ops.max_pool2d(h, 2)
    h = np.reshape(h, (h.shape[0], -1))
    logits = nn_ops.linear(h, fw, fb)
    return nn_ops.cross_entropy(logits, y)


def bn_loss(x, gamma, beta, target):
    h = nn_ops.batch_norm_train(x, gamma, beta, 1e-5)
    p = nn_ops.softmax(nn_ops.sigmoid(h), axis=1)
    logp = nn_ops.log_softmax(p * 3.0, 1)
    return nn_ops.nll_loss(logp, target) + nn_ops.mse_loss(p, 0.25, reduction="sum")


def test_compiler_inlines_the_nn_rules():
    import srcad

    w, b = _r(3, 2, 3, 3), _r(3)
    fw, fb = _r(4, 3 * 4 * 4), _r(4)
    x, y = _r(2, 2, 8, 8), _labels(2, 4)
    g = srcad.grad(cnn_loss, wrt=(0, 1, 2, 3), mode="source")
    grads = g(w, b, fw, fb, x, y)
    assert g.mode == "source"
    tw, tb, tfw, tfb = (torch.tensor(a, requires_grad=True) for a in (w, b, fw, fb))
    h = tF.max_pool2d(tF.relu(tF.conv2d(torch.tensor(x), tw, tb, padding=1)), 2)
    tF.cross_entropy(tF.linear(h.flatten(1), tfw, tfb), torch.tensor(y)).backward()
    for got, t in zip(grads, (tw, tb, tfw, tfb)):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_compiler_and_tape_agree_on_bn_softmax_losses():
    import srcad

    args = (_r(6, 3), _r(3), _r(3), _labels(6, 3))
    src = srcad.grad(bn_loss, wrt=(0, 1, 2), mode="source")(*args)
    tape = srcad.grad(bn_loss, wrt=(0, 1, 2), mode="tape")(*args)
    for a, b in zip(src, tape):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def _fd_jvp(f, x, v, eps=1e-6):
    return (f(x + eps * v) - f(x - eps * v)) / (2 * eps)


def relu_of(x):
    return nn_ops.relu(x)


def sigmoid_of(x):
    return nn_ops.sigmoid(x)


def softmax_of(x):
    return nn_ops.softmax(x, 1)


def log_softmax_of(x):
    return nn_ops.log_softmax(x, 1)


def linear_of(x):
    return nn_ops.linear(x, W2, B2)


def conv2d_of(x):
    return nn_ops.conv2d(x[None, None], W4[:, :1], B4, 1, 1)


def dropout_of(x):
    return nn_ops.dropout(x, MASK)


def mse_of(x):
    return nn_ops.mse_loss(x, X2)


@pytest.mark.parametrize(
    "f",
    [relu_of, sigmoid_of, softmax_of, log_softmax_of, linear_of, conv2d_of, dropout_of, mse_of],
    ids=lambda f: f.__name__,
)
def test_tangent_rules_match_finite_differences(f):
    import srcad

    x = _r(5, 4) + 0.05  # keep relu's kink away from the samples
    v = _r(5, 4)
    value, tangent = srcad.jvp(f)(x, v)
    assert srcad.jvp(f).mode == "source"
    np.testing.assert_allclose(value, f(x))
    np.testing.assert_allclose(tangent, _fd_jvp(f, x, v), rtol=1e-5, atol=1e-7)


HVP_X = _r(2, 2, 6, 6)
HVP_FW = _r(4, 27)
HVP_Y = np.array([1, 3])


def cnn_nll(w):
    h = nn_ops.max_pool2d(np.tanh(nn_ops.conv2d(HVP_X, w, None, 1, 1)), 2)
    logits = nn_ops.linear(np.reshape(h, (2, -1)), HVP_FW)
    return nn_ops.nll_loss(nn_ops.log_softmax(logits, 1), HVP_Y)


def test_hvp_through_conv_pool_nll_in_source_mode():
    """Forward over reverse: the gradient's own primitives have tangent rules."""
    import srcad

    w, v = _r(3, 2, 3, 3), _r(3, 2, 3, 3)
    hf = srcad.hvp(cnn_nll)
    hv = hf(w, v)
    assert hf.mode == "source"
    g = srcad.grad(cnn_nll)
    fd = (g(w + 1e-5 * v) - g(w - 1e-5 * v)) / 2e-5
    np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-7)


def bn_train_of(x):
    return nn_ops.batch_norm_train(x, np.abs(CW) + 1.0, -CW, 1e-3)


def bn_eval_of(x):
    return nn_ops.batch_norm_eval(x, X2[0], np.abs(X2[1]) + 0.1, CW, -CW)


def ce_of(x):
    return nn_ops.cross_entropy(x, Y5_IGN, CW)


def ce_none_of(x):
    return nn_ops.cross_entropy(x, Y5, reduction="none")


def nll_of(x):
    return nn_ops.nll_loss(x, Y5, CW, reduction="sum")


@pytest.mark.parametrize(
    "f", [bn_train_of, bn_eval_of, ce_of, ce_none_of, nll_of], ids=lambda f: f.__name__
)
def test_more_tangent_rules(f):
    test_tangent_rules_match_finite_differences(f)
