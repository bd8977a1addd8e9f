# ruff: noqa: F821  (rule templates use the d[...] notation the registry parses)
"""docs/rules.md's example runs as written, and srcad.testing.check_grads catches
wrong rules in each mode it claims to check (forward, reverse, second order).
"""

import re
import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest

import srcad

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_docs_example_runs_as_written(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert blocks, "docs/rules.md has no python example"
    script = tmp_path / "rules_example.py"
    script.write_text(blocks[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", srcad.FallbackWarning)  # stays in source mode
        ns = runpy.run_path(str(script))
    # the example's rule really is the derivative of softplus
    x = np.array([-1.0, 0.0, 2.0])
    g = srcad.grad(lambda_free_sum(ns["softplus"]))(x)
    np.testing.assert_allclose(g, 1.0 / (1.0 + np.exp(-x)), rtol=1e-12)


def lambda_free_sum(fn):
    def total(x):
        return np.sum(fn(x))

    total.__globals__["np"] = np
    return total


def test_check_grads_is_reachable_after_import_srcad():
    assert callable(srcad.testing.check_grads)


def cube(x):
    return np.sum(x**3)


def vector_out(x, y):
    return np.sin(x) * y


def test_check_grads_passes_right_rules_in_every_mode():
    x = np.array([0.3, -0.7, 1.1])
    for mode in ("source", "tape", "auto"):
        srcad.testing.check_grads(cube, x, mode=mode, order=2 if mode != "tape" else 1)
    srcad.testing.check_grads(vector_out, x, 0.5, order=1)
    srcad.testing.check_grads(cube, 0.4, modes=("fwd",))


def bad_prim(x):
    return np.sum(x**2)


@srcad.adjoint(bad_prim)
def _(result, x):
    d[x] = d[result] * 3.0 * x  # wrong: should be 2 x


@srcad.tangent(bad_prim)
def _(result, x):
    d[result] = np.sum(2.0 * x * d[x])  # right


def uses_bad(x):
    return bad_prim(x) * 2.0


def bad_fwd(x):
    return np.sum(x**2)


@srcad.adjoint(bad_fwd)
def _(result, x):
    d[x] = d[result] * 2.0 * x  # right


@srcad.tangent(bad_fwd)
def _(result, x):
    d[result] = np.sum(2.0 * d[x])  # wrong: drops x


def uses_bad_fwd(x):
    return bad_fwd(x) + 1.0


def test_check_grads_catches_a_wrong_adjoint():
    x = np.array([0.3, -0.7])
    with pytest.raises(AssertionError, match="reverse mode"):
        srcad.testing.check_grads(uses_bad, x, modes=("rev",), order=1, mode="source")
    srcad.testing.check_grads(uses_bad, x, modes=("fwd",), order=1, mode="source")


def test_check_grads_catches_a_wrong_tangent():
    x = np.array([0.3, -0.7])
    with pytest.raises(AssertionError, match="forward mode"):
        srcad.testing.check_grads(uses_bad_fwd, x, modes=("fwd",), order=1, mode="source")
    srcad.testing.check_grads(uses_bad_fwd, x, modes=("rev",), order=1, mode="source")


def wrong_second(x):
    return np.sum(np.exp(x))


def helper_first_only(x):
    return np.exp(x)


def test_check_grads_rejects_bad_arguments():
    with pytest.raises(ValueError, match="order"):
        srcad.testing.check_grads(cube, np.ones(2), order=3)
    with pytest.raises(ValueError, match="modes"):
        srcad.testing.check_grads(cube, np.ones(2), modes=("sideways",))
    with pytest.raises(ValueError, match="no floating argument"):
        srcad.testing.check_grads(cube, 3)
