"""Every example of issue 9 gives the right gradient (central finite differences in
float64) or a located UnsupportedError, in source mode."""

import os
import tempfile

import numpy as np
import pytest

import srcad
from srcad.testing import numerical_grad

from . import issue9_funcs as F

RNG = np.random.default_rng(9)
CASES = [
    (F.logistic_zip, (np.array([0.5, 0.5]), np.eye(2), np.array([1.0, -1.0])), 0),
    (F.made_in_loop_then_written, (RNG.normal(size=(3, 4)), RNG.normal(size=4)), 1),
    (F.made_in_loop_then_written, (RNG.normal(size=(3, 4)), RNG.normal(size=4)), 0),
    (F.parts_of_broadcasts, (RNG.normal(size=4),), 0),
    (F.list_with_constants, (1.5,), 0),
    (F.walrus_in_test, (1.2,), 0),
    (F.walrus_in_test, (0.3,), 0),
    (F.array_family, (RNG.normal(size=4),), 0),
    (F.array_of_scalars, (1.0, 2.0), 0),
    (F.array_of_scalars, (1.0, 2.0), 1),
    (F.deep_recursion, (1.3,), 0),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_right_gradient_in_source_mode(f, args, wrt):
    got = srcad.grad(f, wrt=wrt, mode="source")(*args)
    want = numerical_grad(f, args, wrt)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_logistic_zip_value_from_the_issue():
    g = srcad.grad(F.logistic_zip, mode="source")(
        np.array([0.5, 0.5]), np.eye(2), np.array([1.0, -1.0])
    )
    np.testing.assert_allclose(g, [-0.3775, 0.6225], atol=1e-4)


def test_walrus_value_from_the_issue():
    assert srcad.grad(F.walrus_in_test, mode="source")(1.2) == pytest.approx(4.32)


def test_jacobian_of_jacobian_shape_and_values():
    x = np.array([0.3, 0.4])
    j2 = srcad.jacobian(srcad.jacobian(F.vector_map))(x)
    jac = srcad.jacobian(F.vector_map)
    h = 1e-6
    fd = np.stack([(jac(x + h * e) - jac(x - h * e)) / (2 * h) for e in np.eye(2)], axis=-1)
    assert j2.shape == (2, 2, 2)
    np.testing.assert_allclose(j2, fd, rtol=1e-6, atol=1e-8)


def test_a_very_long_expression_is_a_located_refusal(tmp_path):
    terms = " + ".join(f"x * {i}.0" for i in range(250))
    path = os.path.join(tempfile.mkdtemp(dir=tmp_path), "longexpr.py")
    with open(path, "w") as fh:
        fh.write(f"def long_expr(x):\n    return {terms}\n")
    ns = {}
    exec(compile(open(path).read(), path, "exec"), ns)
    try:
        g = srcad.grad(ns["long_expr"], mode="source")(1.3)
    except srcad.UnsupportedError as exc:
        assert exc.filename == path and exc.lineno == 1
    else:
        assert g == pytest.approx(sum(range(250)))


@pytest.mark.parametrize("f", [F.view_read_after_write, F.alias_then_augmented])
def test_reads_of_memory_written_unseen_are_refused_with_the_line(f):
    with pytest.raises(srcad.UnsupportedError, match="share memory") as info:
        srcad.grad(f, wrt=1, mode="source")(np.arange(4.0), np.ones(4))
    assert info.value.lineno is not None


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (F.view_read_before_write, (np.arange(4.0), 2.0), 1),
        (F.view_read_before_write, (np.arange(4.0), 2.0), 0),
        (F.rows_written_in_a_loop, (np.array([0.3, -0.2]), RNG.normal(size=(3, 2))), 0),
    ],
)
def test_writes_that_nothing_reads_stale_are_differentiated(f, args, wrt):
    got = srcad.grad(f, wrt=wrt, mode="source")(*args)
    np.testing.assert_allclose(got, numerical_grad(f, args, wrt), rtol=1e-5, atol=1e-7)
