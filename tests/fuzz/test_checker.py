"""The fuzzer's own oracle: finite differences, kink detection, and the verdicts.

A fuzzer that cannot see a wrong gradient proves nothing, so these tests feed
the checker programs with known derivatives and a transformation made wrong on
purpose, and check that it tells them apart.
"""

import numpy as np
import pytest

import srcad

from . import check
from .gen import Param, Program, make_args
from .reduce import reduce_program


def _prog(body, params=(("x", "arr", (3,)),), seed=0):
    src = "import numpy as np\n\n\ndef f(" + ", ".join(p[0] for p in params) + "):\n" + body
    return Program(src, "f", [Param(*p) for p in params], seed, "general")


def test_finite_differences_match_a_known_gradient():
    x = np.array([0.3, -0.7, 1.1])
    f = lambda x: float(np.sum(np.sin(x) * x))
    fd = check.finite_differences(f, [x], [0], f(x))
    np.testing.assert_allclose(fd[0], np.cos(x) * x + np.sin(x), rtol=1e-8, atol=1e-9)


def test_a_point_on_a_kink_is_dropped():
    tie = np.array([0.5, 0.5, -1.0])  # a tie under max: one-sided slopes differ
    f = lambda x: float(np.max(x))
    assert check.finite_differences(f, [tie], [0], f(tie)) is None
    near = np.array([0.5, 0.5 + 3e-6, -1.0])  # within the larger step of a tie
    assert check.finite_differences(f, [near], [0], f(near)) is None
    away = np.array([0.5, 0.9, -1.0])
    np.testing.assert_allclose(check.finite_differences(f, [away], [0], f(away))[0], [0, 1, 0])


def test_a_right_program_is_ok_in_both_modes():
    rep = check.check_program(_prog("    return np.sum(np.tanh(x) ** 2)\n"))
    assert rep.status == "checked"
    assert {m: o.kind for m, o in rep.modes.items()} == {"source": "ok", "tape": "ok"}


def test_a_wrong_gradient_is_caught(monkeypatch):
    real = srcad.value_and_grad

    def off_by_ten_percent(f, wrt=0, **kw):
        inner = real(f, wrt=wrt, **kw)

        def call(*args):
            v, g = inner(*args)
            return v, tuple(1.1 * np.asarray(x) for x in g)

        return call

    monkeypatch.setattr(srcad, "value_and_grad", off_by_ten_percent)
    rep = check.check_program(_prog("    return np.sum(np.sin(x))\n"), ("source",))
    out = rep.modes["source"]
    assert (out.kind, out.api) == ("wrong", "value_and_grad")


def test_a_changed_input_is_a_crash(monkeypatch):
    real = srcad.jvp

    def scribbling(f, wrt=0, **kw):
        inner = real(f, wrt=wrt, **kw)

        def call(*args):
            out = inner(*args)
            args[0][0] = 42.0  # right numbers, but the caller's array is changed
            return out

        return call

    monkeypatch.setattr(srcad, "jvp", scribbling)
    rep = check.check_program(_prog("    return np.sum(x * x)\n"), ("source",))
    assert rep.modes["source"].kind == "crash"
    assert "input" in rep.modes["source"].cause


def test_invalid_programs_are_not_cases():
    assert check.check_program(_prog("    return x\n")).status == "invalid"  # not a scalar
    assert check.check_program(_prog("    return np.log(x[0] - 5.0)\n")).status == "invalid"
    assert check.check_program(_prog("    return x[7]\n")).status == "invalid"


@pytest.mark.parametrize(
    "what, expected",
    [
        ("x.py:3: srcad's compiler failed on f (KeyError: 'a1')", "crash"),
        ("x.py:3: no derivative rule for `foo`", "refused"),
    ],
)
def test_compiler_failures_count_as_crashes(what, expected):
    out = check._classify_exception(srcad.UnsupportedError(what.split(": ", 1)[1]), "source")
    assert out.kind == expected


def test_arguments_are_deterministic():
    p = _prog("    return x[0]\n", (("x", "arr", (2, 3)), ("k", "int", (), 2)), seed=7)
    a, b = make_args(p), make_args(p)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == 2


def test_reduction_deletes_what_the_failure_does_not_need():
    body = (
        "    t1 = np.sin(x)\n"
        "    for i in range(2):\n"
        "        t1 = t1 + 1.0\n"
        "    if x[0] > 0.0:\n"
        "        t2 = x * 2.0\n"
        "    else:\n"
        "        t2 = x\n"
        "    return np.sum(x ** 3) + np.sum(t1) + np.sum(t2)\n"
    )
    still = lambda p: "x ** 3" in p.source and check.check_program(p, ()).status == "checked"
    small = reduce_program(_prog(body), still, budget=30.0)
    assert "return np.sum(x ** 3)\n" in small.source
    assert "for " not in small.source and "if " not in small.source
