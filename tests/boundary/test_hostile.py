"""Hostile inputs at the boundary: each gives the right gradient or a clear error."""

import warnings

import numpy as np
import pytest

import srcad

from .fd import fd

X = np.array([0.3, 0.4])


def _deep_source(levels):
    expr = "x"
    for i in range(levels):
        expr = f"{expr} * 1.001 + 0.1" if i % 2 else f"np.sin({expr})"
    return f"def deep(x):\n    return np.sum({expr})\n"


def test_deeply_nested_expression_falls_back_with_a_reason(tmp_path, monkeypatch):
    import importlib
    import sys

    (tmp_path / "srcad_deep_mod.py").write_text("import numpy as np\n" + _deep_source(150))
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("srcad_deep_mod")
    try:
        g = srcad.grad(mod.deep)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = g(X)
        np.testing.assert_allclose(got, fd(mod.deep, X), rtol=1e-5, atol=1e-12)
        if g.mode == "tape":
            assert "Reason" in str(caught[0].message)
    finally:
        sys.modules.pop("srcad_deep_mod", None)


def power(x, n):
    if n == 0:
        return 1.0
    return power(x, n - 1) * x


def test_recursion():
    f = lambda x: np.sum(power(x, 3))  # noqa: E731
    np.testing.assert_allclose(srcad.grad(f)(X), 3 * X**2, rtol=1e-10)


def posonly(x, /, y, *, z=2.0):
    return np.sum(x * y) * z


@pytest.mark.parametrize("mode", ("source", "tape"))
def test_positional_only_and_keyword_defaults(mode):
    g = srcad.grad(posonly, wrt=(0, "z"), mode=mode)(X, 3.0)
    np.testing.assert_allclose(g[0], 6.0 * np.ones(2))
    assert g[1] == pytest.approx(np.sum(X * 3.0))


def gen(x):
    yield x


@pytest.mark.parametrize("bad", [gen])
def test_generator_function_is_refused_clearly(bad):
    with pytest.raises((srcad.UnsupportedError, TypeError)):
        srcad.grad(bad, mode="source")(X)


def test_wrt_errors_name_the_problem():
    with pytest.raises(ValueError, match="out of range"):
        srcad.grad(posonly, wrt=5)
    with pytest.raises(TypeError, match="wrt"):
        srcad.grad(posonly, wrt=1.5)
    with pytest.raises(ValueError, match="twice"):
        srcad.grad(posonly, wrt=(0, "x"))
    with pytest.raises(TypeError, match="posonly"):
        srcad.grad(posonly)(X)  # a missing argument: the function named


def test_integer_wrt_in_container_and_object_leaf():
    f = lambda p: np.sum(p["a"] ** 2) + p["b"]  # noqa: E731
    g = srcad.grad(f, mode="tape")({"a": np.array([1, 2]), "b": 3})
    np.testing.assert_allclose(g["a"], [2.0, 4.0])
    assert g["b"] == 1.0 and isinstance(g["b"], float)
    with pytest.raises(TypeError, match=r"\['b'\]"):
        srcad.grad(f, mode="tape")({"a": np.ones(2), "b": "three"})


def test_float32_and_zero_d_arrays():
    f = lambda x: np.sum(x**2)  # noqa: E731
    g = srcad.grad(f)(np.float32(3.0))
    assert g == pytest.approx(6.0)
    g0 = srcad.grad(f)(np.array(3.0))
    assert np.shape(g0) == () and float(g0) == pytest.approx(6.0)
