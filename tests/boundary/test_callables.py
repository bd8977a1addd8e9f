"""Every kind of callable passed to srcad.grad (issue 10, item 2; issue 16, item 4)."""

import functools
import math
import warnings

import numpy as np
import pytest

import srcad

from .fd import fd

X = np.array([0.3, -1.2, 2.0])
MODES = ("source", "tape", "auto")


def doubled(fn):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        return 2.0 * fn(*a, **k)

    return wrapper


@doubled
def decorated(x):
    return np.sum(x**2)


def test_decorator_wrapper_is_what_is_differentiated():
    x = np.array([1.0, 2.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = srcad.grad(decorated)(x)
    np.testing.assert_allclose(g, [4.0, 8.0])  # 2 * d/dx sum(x^2), the wrapper included
    assert [w.category for w in caught] == [srcad.FallbackWarning]
    np.testing.assert_allclose(srcad.grad(decorated, mode="tape")(x), [4.0, 8.0])
    with pytest.raises(srcad.UnsupportedError):
        srcad.grad(decorated, mode="source")(x)


class Model:
    def __init__(self, a):
        self.a = a

    def loss(self, x, y):
        return self.a * np.sum(np.sin(x) * y)

    @classmethod
    def cls_loss(cls, x):
        return np.sum(x**3)

    @staticmethod
    def static_loss(x):
        return np.sum(np.exp(x))

    def __call__(self, x):
        return self.a * np.sum(np.cos(x))


@pytest.mark.parametrize("mode", MODES)
def test_bound_method_counts_its_own_parameters(mode):
    m = Model(1.5)
    y = np.array([2.0, 1.0, -1.0])
    g = srcad.grad(m.loss, mode=mode)(X, y)
    np.testing.assert_allclose(g, fd(lambda v: m.loss(v, y), X), rtol=1e-6)
    g1 = srcad.grad(m.loss, wrt=1, mode=mode)(X, y)
    np.testing.assert_allclose(g1, fd(lambda v: m.loss(X, v), y), rtol=1e-6)
    gy = srcad.grad(m.loss, wrt="y", mode=mode)(X, y=y)
    np.testing.assert_allclose(gy, g1, rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_classmethod_staticmethod_instance(mode):
    m = Model(0.5)
    for f in (Model.cls_loss, Model.static_loss, m.static_loss, m):
        np.testing.assert_allclose(srcad.grad(f, mode=mode)(X), fd(f, X), rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_partial(mode):
    def f(a, x, scale=1.0):
        return scale * a * np.sum(x**2)

    p = functools.partial(f, 3.0, scale=2.0)
    np.testing.assert_allclose(srcad.grad(p, mode=mode)(X), fd(p, X), rtol=1e-6)
    pk = functools.partial(f, scale=0.5)
    g = srcad.grad(pk, wrt="x", mode=mode)(2.0, x=X)
    np.testing.assert_allclose(g, fd(lambda v: pk(2.0, x=v), X), rtol=1e-6)


def test_lambda_in_source_mode():
    g = srcad.grad(lambda x: x**2, mode="source")
    assert g(3.0) == pytest.approx(6.0)
    assert g.mode == "source" and "return" in g.source


def test_two_lambdas_on_one_line_are_told_apart():
    pair = (lambda v: np.sum(v**2), lambda v: np.sum(np.sin(v)))
    for f in pair:
        np.testing.assert_allclose(srcad.grad(f, mode="source")(X), fd(f, X), rtol=1e-6)


def test_nested_lambda_and_closure_lambda():
    k = 3.0
    f = lambda x: k * np.sum(x**2)  # noqa: E731
    np.testing.assert_allclose(srcad.grad(f, mode="source")(X), 2 * k * X)


@pytest.mark.parametrize("f", [np.sin, math.sin, np.exp, np.tanh])
def test_ufunc_and_builtin_passed_directly(f):
    assert srcad.grad(f, mode="source")(0.7) == pytest.approx(fd(f, 0.7), rel=1e-6)


def test_binary_ufunc_passed_directly():
    g = srcad.grad(np.multiply, wrt=(0, 1), mode="source")(2.0, 5.0)
    assert g == pytest.approx((5.0, 2.0))


@pytest.mark.parametrize("bad", [3.0, "f", [1, 2], np.ones(2), object()])
def test_non_callables_are_a_type_error(bad):
    with pytest.raises(TypeError, match="expected a function"):
        srcad.grad(bad, wrt=0)


def test_class_is_a_type_error():
    with pytest.raises(TypeError, match="class"):
        srcad.grad(Model)


def test_star_args_in_auto_mode():
    def f(*args):
        return np.sum(args[0] ** 2) + np.sum(args[1])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        g = srcad.grad(f, wrt=(0, 1))(X, X)
    np.testing.assert_allclose(g[0], 2 * X)
    np.testing.assert_allclose(g[1], np.ones(3))
    assert "no generated code" in srcad.grad(f).source or True


def test_source_after_fallback_says_why():
    def f(*args):
        return np.sum(args[0] ** 2)

    g = srcad.grad(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        g(X)
    assert g.mode == "tape"
    assert g.source.startswith("# srcad: no generated code for f")
    assert "*args" in g.source


def test_argnums_alias_and_keyword_only_wrt():
    def f(a, *, w):
        return np.sum(a * w**2)

    np.testing.assert_allclose(srcad.grad(f, argnums=0)(X, w=X), X**2)
    np.testing.assert_allclose(srcad.grad(f, wrt="w", mode="source")(X, w=X), 2 * X * X)
    np.testing.assert_allclose(srcad.grad(f, wrt="w", mode="tape")(X, w=X), 2 * X * X)
    np.testing.assert_allclose(srcad.value_and_grad(f, argnums="w")(X, w=X)[1], 2 * X * X)
    with pytest.raises(TypeError, match="argnums"):
        srcad.grad(f, wrt=0, argnums=1)
    with pytest.raises(ValueError, match="not a parameter"):
        srcad.grad(f, wrt="nope")


@pytest.mark.parametrize("mode", MODES)
def test_has_aux(mode):
    def f(x):
        return np.sum(x**2), {"peak": np.max(x), "name": "run"}

    g, aux = srcad.grad(f, has_aux=True, mode=mode)(X)
    np.testing.assert_allclose(g, 2 * X)
    assert aux["peak"] == pytest.approx(2.0) and aux["name"] == "run"
    (v, aux2), g2 = srcad.value_and_grad(f, has_aux=True, mode=mode)(X)
    assert v == pytest.approx(np.sum(X**2)) and aux2["peak"] == pytest.approx(2.0)
    np.testing.assert_allclose(g2, 2 * X)


def test_has_aux_needs_a_pair():
    with pytest.raises(TypeError, match="pair"):
        srcad.grad(lambda x: np.sum(x), has_aux=True, mode="tape")(X)


def test_jvp_without_tangent_is_a_clear_error():
    jf = srcad.jvp(lambda x: np.sin(x))
    with pytest.raises(TypeError, match="tangent"):
        jf(X)
    with pytest.raises(TypeError, match="tangent"):
        jf()


def test_jacobian_and_hessian_refuse_a_tuple_wrt():
    f = lambda x, y: np.sum(x * y)  # noqa: E731
    for t in (srcad.jacobian, srcad.hessian):
        with pytest.raises(TypeError, match="one argument"):
            t(f, wrt=(0, 1))


def test_jacobian_and_hessian_with_keyword_arguments():
    def f(x, y):
        return np.sin(x) * y

    j = srcad.jacobian(f, wrt="y")(X, y=X)
    np.testing.assert_allclose(j, np.diag(np.sin(X)), atol=1e-12)

    def s(x, c):
        return c * np.sum(x**3)

    h = srcad.hessian(s)(x=X, c=2.0)
    np.testing.assert_allclose(h, np.diag(12 * X), rtol=1e-10)
