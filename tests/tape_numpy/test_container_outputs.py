"""vjp, jvp and jacobian on the tape of functions that return tuples, lists and dicts.

The tape gave zeros for every one of them (the peer suite's test_make_list/dict and
Tangent's fn_multiple_return): the backward pass only looked for a single output
tensor.  Reference: central finite differences of the plain function (float64).
"""

import numpy as np
import pytest

import srcad

from .fd import fd_jacobian

X = np.array([0.4, -0.7, 1.1])


def as_tuple(x):
    return np.sin(x) * x[0], np.sum(x**2), 3.0


def as_list(x):
    return [x[1] * x, np.tanh(x[2])]


def as_dict(x):
    return {"a": x * x[2], "b": np.cos(x[0]), "n": 2}


def flat(out):
    """The float leaves of an output, concatenated (the references' view of it)."""
    if isinstance(out, dict):
        return np.concatenate([flat(out[k]) for k in sorted(out)])
    if isinstance(out, (tuple, list)):
        return np.concatenate([flat(v) for v in out])
    return np.ravel(np.asarray(out, dtype=float))


def ct_for(out, rng):
    if isinstance(out, dict):
        return {k: ct_for(v, rng) for k, v in out.items()}
    if isinstance(out, (tuple, list)):
        return type(out)(ct_for(v, rng) for v in out)
    return rng.uniform(-1, 1, np.shape(out)) if np.ndim(out) else float(rng.uniform(-1, 1))


@pytest.mark.parametrize("fn", [as_tuple, as_list, as_dict])
def test_vjp_of_a_container_output(fn):
    rng = np.random.default_rng(3)
    value, pullback = srcad.vjp(fn, mode="tape")(X)
    ct = ct_for(fn(X), rng)
    J = fd_jacobian(lambda z: flat(fn(z)), X)
    np.testing.assert_allclose(flat(value), flat(fn(X)), rtol=1e-12)
    np.testing.assert_allclose(pullback(ct), flat(ct) @ J, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fn", [as_tuple, as_list, as_dict])
def test_jvp_of_a_container_output(fn):
    t = np.array([0.3, 1.0, -0.5])
    value, tangent_out = srcad.jvp(fn, mode="tape")(X, t)
    J = fd_jacobian(lambda z: flat(fn(z)), X)
    assert type(tangent_out) is type(fn(X))
    np.testing.assert_allclose(flat(tangent_out), J @ t, rtol=1e-7, atol=1e-9)


def test_jacobian_of_a_tuple_of_scalars():
    def f(x):
        return np.sum(np.sin(x)), x[0] * x[1]

    got = srcad.jacobian(f, mode="tape")(X)
    np.testing.assert_allclose(got, fd_jacobian(lambda z: np.array(f(z)), X), rtol=1e-7)


def test_vjp_of_a_container_output_inside_grad():
    def outer(x):
        _, pull = srcad.vjp(as_list, mode="tape")(x)
        return np.sum(pull([np.ones(3), 2.0]) ** 2)

    def outer_fd(x):
        J = fd_jacobian(lambda z: flat(as_list(z)), x, eps=1e-5)
        return np.sum((np.r_[np.ones(3), 2.0] @ J) ** 2)

    from .fd import fd_grad

    np.testing.assert_allclose(
        srcad.grad(outer, mode="tape")(X), fd_grad(outer_fd, X, eps=1e-4), rtol=1e-5, atol=1e-6
    )
