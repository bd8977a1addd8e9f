"""Tangent rules derived from adjoint rules (``elementwise=True``, ``reduction=True``).

The registry derives the forward rule of an elementwise primitive from its adjoint
(``d[x] = d[result] * f'(x)`` gives ``d[result] = d[x] * f'(x)``) and of a reduction
in the weights pattern (``expand_reduced(g) * w`` gives ``np.sum(w * dx, axis)``).
NumPy's own rules are checked by the rules table; here, rules a user registers, the
refusal of templates that are not of the form, and the derived trees themselves.
"""

import numpy as np
import pytest

import srcad
from srcad import runtime as _rt
from srcad.rules import registry


def softplus(x):
    return np.logaddexp(0.0, x)


@srcad.adjoint(softplus, elementwise=True)
def _(result, x):
    d[x] = d[result] / (1.0 + np.exp(-x))  # noqa: F821 - d is the template language


def scaled_diff(x, y):
    return 2.0 * x - 3.0 * y


@srcad.adjoint(scaled_diff, broadcast=True, elementwise=True)
def _(result, x, y):
    d[x] = 2.0 * d[result]  # noqa: F821
    d[y] = -d[result] * 3.0  # noqa: F821


def logsumexp(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    s = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=axis)


def _softmax_weights(a, axis):
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


srcad.nondifferentiable(_softmax_weights)


@srcad.adjoint(logsumexp, reduction=True)
def _(result, a, axis=None, keepdims=False):
    w = _softmax_weights(a, axis)
    d[a] = _rt.expand_reduced(d[result], a, axis, keepdims) * w  # noqa: F821


def _fd_dir(f, x, v, eps=1e-6):
    return (f(x + eps * v) - f(x - eps * v)) / (2 * eps)


X = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])
V = np.array([[0.7, 0.2, -0.5], [-1.1, 0.4, 0.9]])


def f_soft(x):
    return np.sum(softplus(x) * x)


def f_diff(x):
    return np.sum(scaled_diff(x, x[0]) ** 2)


def f_lse(x):
    return np.sum(logsumexp(x, axis=1) ** 2) + logsumexp(x)


@pytest.mark.parametrize("f", [f_soft, f_diff, f_lse], ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["source", "tape"])
def test_user_rules_forward_and_reverse(f, mode):
    want = _fd_dir(f, X, V)
    _, t = srcad.jvp(f, mode=mode)(X.copy(), V)
    assert t == pytest.approx(want, rel=1e-6)
    g = srcad.grad(f, mode=mode)(X.copy())
    assert np.sum(g * V) == pytest.approx(want, rel=1e-6)


def test_derived_trees_read_as_written_by_hand():
    import ast

    import astor
    import gast

    def same(prim, text):  # compared as parsed trees (astor wraps long lines anywhere)
        got = astor.to_source(gast.gast_to_ast(registry.lookup(prim).tangent.tree.body[-1]))
        assert ast.dump(ast.parse(got)) == ast.dump(ast.parse(text)), got

    same(softplus, "d[result] = d[x] / (1.0 + np.exp(-x))")
    same(
        scaled_diff,
        "d[result] = _rt.broadcast_like(2.0 * d[x], result)"
        " + _rt.broadcast_like(-d[y] * 3.0, result)",
    )
    same(logsumexp, "d[result] = np.sum(w * d[a], axis=axis, keepdims=keepdims)")
    same(np.sin, "d[result] = d[x] * np.cos(x)")
    same(np.multiply, "d[result] = d[x] * y + d[y] * x")


def _not_elementwise(x):
    return x


def test_templates_not_of_the_form_are_refused_at_registration():
    with pytest.raises(TypeError, match="times or divided"):

        @srcad.adjoint(_not_elementwise, elementwise=True)
        def _(result, x):
            d[x] = _rt.unbroadcast(d[result], x)  # noqa: F821

    with pytest.raises(TypeError, match="times or divided"):

        @srcad.adjoint(_not_elementwise, elementwise=True)
        def _(result, x):
            d[x] = 1.0 / d[result]  # noqa: F821 - not linear in the cotangent

    with pytest.raises(TypeError, match="expand_reduced"):

        @srcad.adjoint(_not_elementwise, reduction=True)
        def _(result, x):
            d[x] = d[result] * x  # noqa: F821


def fmod_small_active(x1, x2):
    return np.sum(np.fmod(x1, x2) ** 2)


def test_a_bare_term_is_broadcast_to_the_result():
    """np.fmod(x1, x2) with only the smaller x1 active: the tangent d[x1] alone has
    x1's shape; the derived rule broadcasts it to the result's."""
    x1 = np.array([0.7, -1.3, 2.2])
    x2 = np.array([[0.5, 0.9, 1.7], [2.5, 0.6, -0.8]])
    v = np.array([0.3, -0.4, 1.0])
    _, t = srcad.jvp(fmod_small_active, wrt=0, mode="source")(x1, x2, v)
    want = _fd_dir(lambda a: fmod_small_active(a, x2), x1, v)
    assert t == pytest.approx(want, rel=1e-6)
