"""Generated code: no files, linecache for tracebacks and pdb, exception notes that name
the user's line (issue 10, item 7), and custom rules on user functions in both engines
(item 6)."""

import linecache
import os
import tempfile
import traceback
import warnings

import numpy as np
import pytest

import srcad
from srcad.compiler import emit

X = np.array([0.5, 2.0])


def shapes_clash(x):
    y = np.sin(x)
    z = np.sum(y * np.ones(3))
    return z


def log_then_sum(x):
    y = np.log(x)
    return np.sum(y)


def test_no_files_are_written(monkeypatch, tmp_path):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    tempfile.tempdir = None
    try:
        before = set(os.listdir(tmp_path))

        def f(x):
            return np.sum(np.exp(x) * x)

        g = srcad.grad(f, mode="source")
        g(X)
        assert set(os.listdir(tmp_path)) == before
    finally:
        tempfile.tempdir = None
    filename = next(iter(k for k in emit.GENERATED if "grad of f" in k))
    assert filename.startswith("<srcad-generated-")
    assert linecache.getlines(filename)  # tracebacks and pdb can show it


def test_traceback_shows_generated_line_and_note_names_user_line():
    with pytest.raises(ValueError) as info:
        srcad.grad(shapes_clash, mode="source")(X)
    text = "".join(traceback.format_exception(info.type, info.value, info.tb))
    assert "<srcad-generated-" in text
    notes = getattr(info.value, "__notes__", [])
    assert any(__file__ in n and "shapes_clash" in n for n in notes), notes


def test_note_points_at_the_grad_of_block():
    # the backward sweep of `y = np.log(x)` multiplies the cotangent by 2.0; a
    # cotangent NumPy cannot multiply raises in that block
    vf = srcad.vjp(lambda x: np.log(x) * 2.0, mode="source")
    value, pullback = vf(X)
    with pytest.raises(TypeError) as info:
        pullback("not an array")
    notes = getattr(info.value, "__notes__", [])
    assert notes and __file__ in notes[0], notes


def test_cotangent_of_the_wrong_shape():
    """The pullback is specialized to the value's shape: a number is broadcast to
    it (each output weighted alike), a shape that does not broadcast is refused."""
    vf = srcad.vjp(lambda x: np.log(x) * 2.0, mode="source")
    value, pullback = vf(X)
    np.testing.assert_allclose(pullback(1.5), 1.5 * 2.0 / X)
    with pytest.raises(ValueError):
        pullback(np.ones(3))


def safe_norm(x):
    return np.sqrt(np.sum(x**2))


@srcad.adjoint(safe_norm)
def _(result, x):
    d[x] = d[result] * np.where(result == 0.0, 0.0, x / np.where(result == 0.0, 1.0, result))  # noqa: F821


def uses_safe_norm(x):
    return safe_norm(x) * 2.0


def also_unsupported(x):
    global _counter  # a global statement: the compiler refuses, auto falls back
    _counter = 1
    return safe_norm(x) * 2.0


_counter = 0


@pytest.mark.parametrize("mode", ("source", "tape"))
def test_custom_rule_on_a_user_function_serves_both_engines(mode):
    g = srcad.grad(uses_safe_norm, mode=mode)(np.zeros(2))
    np.testing.assert_array_equal(g, [0.0, 0.0])  # the rule's answer, not nan
    x = np.array([3.0, 4.0])
    np.testing.assert_allclose(srcad.grad(uses_safe_norm, mode=mode)(x), 2 * x / 5)


def test_custom_rule_survives_a_fallback():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        g = srcad.grad(also_unsupported)(np.zeros(2))
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_global_statement_still_writes_the_module_on_the_tape():
    global _counter
    _counter = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        srcad.grad(also_unsupported)(np.ones(2))
    assert _counter == 1


def test_closure_traceback_still_shows_generated_lines():
    def make(k):
        def f(x):
            return np.sum(np.log(x) * np.ones(3)) * k

        return f

    import gc

    g = srcad.grad(make(2.0), mode="source")
    with pytest.raises(ValueError) as info:
        g(X)
    gc.collect()
    frames = [fr for fr in traceback.extract_tb(info.tb) if "<srcad-generated-" in fr.filename]
    assert frames and frames[-1].line  # the generated line is there to show
